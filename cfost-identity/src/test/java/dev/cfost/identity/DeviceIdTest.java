package dev.cfost.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DeviceIdTest {
  // Device ids printed by Syncthing (its documentation and tests): the check characters must agree.
  private static final String SYNCTHING = "P56IOI7-MZJNU2Y-IQGDREY-DM2MGTI-MGL3BXN-PQ6W5BM-TBBZ4TJ-XZWICQ2";
  private static final String[] MORE_SYNCTHING = {
      "GYRZZQB-IRNPV4Z-T7TC52W-EQYJ3TT-FDQW6MW-DFLMU42-SSSU6EM-FBK2VAY",
      "LGFPDIT-7SKNNJL-VJZA4FC-7QNCRKA-CE753K7-2BW5QDK-2FOZ7FR-FEP57QJ"};

  @Test
  void idsPrintedBySyncthingParseAndPrintTheSame() {
    assertThat(DeviceId.parse(SYNCTHING).toString()).isEqualTo(SYNCTHING);
    for (String id : MORE_SYNCTHING) {
      assertThat(DeviceId.parse(id).toString()).isEqualTo(id);
    }
  }

  @Test
  void theIdIsTheSha256OfThePublicKeyInEightGroupsOfSeven() throws Exception {
    DeviceKeys keys = DeviceKeys.generate();
    DeviceId id = DeviceId.of(keys.publicKey());

    assertThat(id.hash()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(keys.publicKey()));
    assertThat(id.toString()).matches("[A-Z2-7]{7}(-[A-Z2-7]{7}){7}");
    assertThat(id).isEqualTo(keys.deviceId());
    assertThat(id.matches(keys.publicKey())).isTrue();
    assertThat(id.matches(DeviceKeys.generate().publicKey())).isFalse();
  }

  @Test
  void printedIdsRoundTripForManyKeys() {
    Random random = new Random(42);
    for (int i = 0; i < 500; i++) {
      byte[] key = new byte[32];
      random.nextBytes(key);
      DeviceId id = DeviceId.of(key);
      DeviceId parsed = DeviceId.parse(id.toString());
      assertThat(parsed).isEqualTo(id);
      assertThat(parsed.hashCode()).isEqualTo(id.hashCode());
      assertThat(parsed.toString()).isEqualTo(id.toString());
    }
  }

  @Test
  void caseSeparatorsAndLookAlikeDigitsDoNotMatter() {
    String loose = SYNCTHING.toLowerCase().replace('-', ' ').replace("o", "0").replace("i", "1");
    assertThat(loose).contains("0").contains("1");

    assertThat(DeviceId.parse(loose).toString()).isEqualTo(SYNCTHING);
    assertThat(DeviceId.parse(SYNCTHING.replace("-", "")).toString()).isEqualTo(SYNCTHING);
  }

  @Test
  void everySingleCharacterTypoIsDetected() {
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    String plain = SYNCTHING.replace("-", "");
    int detected = 0;
    for (int pos = 0; pos < plain.length(); pos++) {
      for (char typo : alphabet.toCharArray()) {
        if (typo == plain.charAt(pos)) {
          continue;
        }
        String mistyped = plain.substring(0, pos) + typo + plain.substring(pos + 1);
        assertThatThrownBy(() -> DeviceId.parse(mistyped)).as("typo at %d: %s", pos, mistyped)
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageMatching(".*(typo|padding bits).*");
        detected++;
      }
    }
    assertThat(detected).isEqualTo(56 * 31);
  }

  @Test
  void textThatIsNotADeviceIdIsRefusedWithTheReason() {
    assertThatThrownBy(() -> DeviceId.parse(SYNCTHING.substring(0, 62)))
        .hasMessageContaining("55 characters");
    assertThatThrownBy(() -> DeviceId.parse(SYNCTHING.replace('P', '9')))
        .hasMessageContaining("'9'").hasMessageContaining("base32");
    assertThatThrownBy(() -> DeviceId.parse("")).hasMessageContaining("0 characters");
    assertThatThrownBy(() -> DeviceId.parse(null)).isInstanceOf(IllegalArgumentException.class);
    // Syncthing's old form without check characters is refused: the checks are the point.
    assertThatThrownBy(() -> DeviceId.parse("P56IOI7MZJNU2IQGDREYDM2MGTMGL3BXNPQ6W5BTBBZ4TJXZWICQ"))
        .hasMessageContaining("52 characters");
  }
}
