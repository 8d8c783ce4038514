package dev.cfost.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.PairingChallenge;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PairingReplyTest {
  final DeviceKeys authorizer = DeviceKeys.generate();
  final PairingChallenge challenge = challenge(authorizer, 7);
  final PairingReply approval = PairingReply.approved("user-1", "alice", "DEVICE", "127.0.0.1:7947", "notes");

  private static PairingChallenge challenge(DeviceKeys keys, int nonceByte) {
    byte[] nonce = new byte[32];
    nonce[0] = (byte) nonceByte;
    return PairingChallenge.of("user-1", keys.publicKey(), nonce, Instant.now().plusSeconds(300), List.of());
  }

  @Test
  void anApprovalSignedByTheChallengesAuthorizerReadsBack() {
    assertThat(PairingReply.decode(approval.encode(authorizer, challenge.nonce()), challenge)).isEqualTo(approval);
  }

  @Test
  void anApprovalSignedByAnotherDeviceOrForAnotherChallengeIsRefused() {
    String byOther = approval.encode(DeviceKeys.generate(), challenge.nonce());
    String forOtherNonce = approval.encode(authorizer, challenge(authorizer, 8).nonce());
    for (String line : List.of(byOther, forOtherNonce)) {
      assertThatThrownBy(() -> PairingReply.decode(line, challenge)).isInstanceOf(CliException.class)
          .hasMessageContaining("not signed by the device that made the pairing code");
    }
  }

  @Test
  void anApprovalAlteredInTransitIsRefused() {
    String line = approval.encode(authorizer, challenge.nonce()).replace("\"alice\"", "\"mallory\"");
    assertThatThrownBy(() -> PairingReply.decode(line, challenge)).hasMessageContaining("not signed");
  }

  @Test
  void aRefusalCarriesItsReasonWithoutControlCharacters() {
    PairingReply read = PairingReply.decode(PairingReply.refused("expired\u001b[2J").encode(authorizer,
        challenge.nonce()), challenge);
    assertThat(read.isApproved()).isFalse();
    assertThat(read.error()).isEqualTo("expired\\u001b[2J");
  }

  @Test
  void somethingElseIsNoReply() {
    for (String line : new String[] {null, "", "hello", "[]", "{\"approved\":true}", "{\"approved\":\"yes\"}"}) {
      assertThatThrownBy(() -> PairingReply.decode(line, challenge)).as(line).isInstanceOf(CliException.class);
    }
  }
}
