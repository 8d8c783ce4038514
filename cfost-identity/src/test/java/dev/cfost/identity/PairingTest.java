package dev.cfost.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.cfost.Cfost;
import dev.cfost.identity.PairingException.Reason;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PairingTest {
  @TempDir Path dir;
  final AtomicLong now = new AtomicLong(1_800_000_000_000L);
  Cfost db;
  DeviceKeys laptop;
  DeviceKeys phone;
  String alice;
  Pairing pairing;
  Devices devices;

  @BeforeEach
  void open() {
    db = Fixtures.open(dir.resolve("a.db"));
    laptop = DeviceKeys.generate();
    phone = DeviceKeys.generate();
    alice = Fixtures.userWithDevice(db, "alice", laptop);
    pairing = Pairing.open(db, laptop, now::get);
    devices = Devices.open(db);
  }

  @AfterEach
  void close() {
    db.close();
  }

  @Test
  void anApprovedResponseAddsTheNewDeviceForTheUser() {
    PairingChallenge challenge = pairing.createChallenge(alice, List.of("192.168.1.20:7420", "[fe80::1]:7420"));
    // The new device only sees strings: the challenge scanned, its response sent back.
    PairingChallenge scanned = PairingChallenge.decode(challenge.encode());
    String sent = PairingResponse.create(scanned, phone, site(), "phone").encode();

    Device added = pairing.approve(PairingResponse.decode(sent), challenge);

    assertThat(added.id()).isEqualTo(phone.deviceId());
    assertThat(added.userId()).isEqualTo(alice);
    assertThat(added.name()).isEqualTo("phone");
    assertThat(added.authorizedBy()).contains(laptop.deviceId());
    assertThat(devices.isAuthorized(phone.deviceId(), alice)).isTrue();
  }

  @Test
  void aResponseWithoutItsChallengeIsCheckedAgainstTheIssuedOne() {
    PairingChallenge challenge = pairing.createChallenge(alice, List.of());
    String pasted = PairingResponse.create(PairingChallenge.decode(challenge.encode()), phone, site(), "phone").encode();

    assertThat(pairing.approve(PairingResponse.decode(pasted)).id()).isEqualTo(phone.deviceId());
    assertThat(refusal(() -> pairing.approve(PairingResponse.decode(pasted)))).isEqualTo(Reason.REPLAYED);
  }

  @Test
  void aResponseWithoutItsChallengeIsRefusedWhenNoneWasIssuedOrItExpired() {
    PairingChallenge invented = PairingChallenge.of(alice, laptop.publicKey(), new byte[32],
        Instant.ofEpochMilli(now.get() + 1000), List.of());
    assertThat(refusal(() -> pairing.approve(PairingResponse.create(invented, phone, site(), "phone"))))
        .isEqualTo(Reason.UNKNOWN_CHALLENGE);

    PairingChallenge issued = pairing.createChallenge(alice, List.of());
    PairingResponse late = PairingResponse.create(issued, phone, site(), "phone");
    now.addAndGet(300_000);
    assertThat(refusal(() -> pairing.approve(late))).isEqualTo(Reason.EXPIRED);
    assertThat(devices.find(phone.deviceId())).isEmpty();
  }

  @Test
  void aChallengeCarriesItsFieldsThroughItsStringForm() {
    PairingChallenge challenge = pairing.createChallenge(alice, List.of("host.local:7420"));
    PairingChallenge read = PairingChallenge.decode(challenge.encode());

    assertThat(challenge.encode()).startsWith("cfost-pair:").matches("cfost-pair:[A-Za-z0-9_-]+");
    assertThat(read).isEqualTo(challenge);
    assertThat(read.userId()).isEqualTo(alice);
    assertThat(read.authorizerId()).isEqualTo(laptop.deviceId());
    assertThat(read.authorizerPublicKey()).isEqualTo(laptop.publicKey());
    assertThat(read.nonce()).hasSize(32);
    assertThat(read.expiresAt()).isEqualTo(Instant.ofEpochMilli(now.get() + 300_000));
    assertThat(read.addresses()).containsExactly("host.local:7420");
  }

  @Test
  void aChallengeFromTheFirstDeviceNamesNoOtherAnchor() {
    PairingChallenge read = PairingChallenge.decode(pairing.createChallenge(alice, List.of()).encode());

    assertThat(read.firstDeviceId()).isEmpty();
    assertThat(read.serverAnchor()).isEqualTo(laptop.deviceId());
  }

  /** A device paired by the phone anchors its first server sync on the laptop, the user's first device. */
  @Test
  void aChallengeFromALaterDeviceNamesTheFirstDeviceThroughItsStringForm() {
    PairingChallenge first = pairing.createChallenge(alice, List.of());
    pairing.approve(PairingResponse.create(first, phone, site(), "phone"), first);
    PairingChallenge fromPhone = Pairing.open(db, phone, now::get).createChallenge(alice, List.of("host.local:7420"));

    PairingChallenge read = PairingChallenge.decode(fromPhone.encode());

    assertThat(read).isEqualTo(fromPhone);
    assertThat(read.authorizerId()).isEqualTo(phone.deviceId());
    assertThat(read.firstDeviceId()).contains(laptop.deviceId());
    assertThat(read.serverAnchor()).isEqualTo(laptop.deviceId());
    assertThat(read.databaseId()).contains(db.databaseId());
    assertThat(read.addresses()).containsExactly("host.local:7420");
  }

  @Test
  void aRevokedFirstDeviceIsNamedByNoChallenge() {
    PairingChallenge first = pairing.createChallenge(alice, List.of());
    pairing.approve(PairingResponse.create(first, phone, site(), "phone"), first);
    devices.revoke(laptop.deviceId());

    PairingChallenge fromPhone = Pairing.open(db, phone, now::get).createChallenge(alice, List.of());

    assertThat(fromPhone.firstDeviceId()).isEmpty();
    assertThat(fromPhone.serverAnchor()).isEqualTo(phone.deviceId());
  }

  @Test
  void aVersion3ChallengeNamingItsAuthorizerAsTheFirstDeviceIsMalformed() {
    byte[] key = laptop.publicKey();
    byte[] bytes = new dev.cfost.identity.internal.Wire.Writer().u8(3).string(alice).fixed(key, 32)
        .fixed(new byte[32], 32).i64(now.get()).u8(0).string("").fixed(key, 32).toBytes();
    String text = PairingChallenge.PREFIX + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);

    assertThatThrownBy(() -> PairingChallenge.decode(text)).isInstanceOf(PairingException.class)
        .hasMessageContaining("names its authorizer as the user's first device");
  }

  @Test
  void twoChallengesHaveDifferentNonces() {
    assertThat(pairing.createChallenge(alice, List.of()).nonce())
        .isNotEqualTo(pairing.createChallenge(alice, List.of()).nonce());
  }

  @Test
  void aReplayedResponseIsRefused() {
    PairingChallenge challenge = pairing.createChallenge(alice, List.of());
    PairingResponse response = PairingResponse.create(challenge, phone, site(), "phone");
    pairing.approve(response, challenge);

    assertThat(refusal(() -> pairing.approve(response, challenge))).isEqualTo(Reason.REPLAYED);
    // Nor can the used challenge pair a different device.
    PairingResponse other = PairingResponse.create(challenge, DeviceKeys.generate(), site(), "tablet");
    assertThat(refusal(() -> pairing.approve(other, challenge))).isEqualTo(Reason.REPLAYED);
  }

  @Test
  void aResponseAfterExpiryIsRefused() {
    PairingChallenge challenge = pairing.createChallenge(alice, List.of());
    PairingResponse response = PairingResponse.create(challenge, phone, site(), "phone");
    now.addAndGet(300_000);

    PairingException e = (PairingException) catchThrowable(() -> pairing.approve(response, challenge));
    assertThat(e.reason()).isEqualTo(Reason.EXPIRED);
    assertThat(e).hasMessageContaining("expired");
    assertThat(devices.find(phone.deviceId())).isEmpty();
  }

  @Test
  void aResponseJustBeforeExpiryIsApproved() {
    PairingChallenge challenge = pairing.createChallenge(alice, List.of());
    PairingResponse response = PairingResponse.create(challenge, phone, site(), "phone");
    now.addAndGet(299_999);

    assertThat(pairing.approve(response, challenge).id()).isEqualTo(phone.deviceId());
  }

  @Test
  void aSignatureByAnotherKeyIsRefusedAsForged() {
    PairingChallenge challenge = pairing.createChallenge(alice, List.of());
    // Mallory claims the phone's key and id but can only sign with her own key.
    DeviceKeys mallory = DeviceKeys.generate();
    PairingResponse honest = PairingResponse.create(challenge, phone, site(), "phone");
    byte[] site = site();
    byte[] forged = mallory.sign(PairingResponse.signedBytes(challenge, phone.deviceId(), phone.publicKey(), "phone", site));
    PairingResponse response = new PairingResponse(challenge.nonce(), phone.deviceId(), phone.publicKey(), "phone", site,
        forged);

    assertThat(refusal(() -> pairing.approve(response, challenge))).isEqualTo(Reason.BAD_SIGNATURE);
    assertThat(devices.find(phone.deviceId())).isEmpty();
    assertThat(pairing.approve(honest, challenge).id()).isEqualTo(phone.deviceId()); // the nonce was not burnt
  }

  @Test
  void aResponseAlteredInTransitIsRefused() {
    PairingChallenge challenge = pairing.createChallenge(alice, List.of());
    PairingResponse r = PairingResponse.create(challenge, phone, site(), "phone");
    DeviceKeys other = DeviceKeys.generate();

    PairingResponse renamed = new PairingResponse(r.nonce(), r.deviceId(), r.publicKey(), "laptop", r.siteId(),
        r.signature());
    PairingResponse swappedKey = new PairingResponse(r.nonce(), other.deviceId(), other.publicKey(), "phone",
        r.siteId(), r.signature());
    PairingResponse otherSite = new PairingResponse(r.nonce(), r.deviceId(), r.publicKey(), "phone", site(),
        r.signature());

    assertThat(refusal(() -> pairing.approve(renamed, challenge))).isEqualTo(Reason.BAD_SIGNATURE);
    assertThat(refusal(() -> pairing.approve(otherSite, challenge))).isEqualTo(Reason.BAD_SIGNATURE);
    assertThat(refusal(() -> pairing.approve(swappedKey, challenge))).isEqualTo(Reason.BAD_SIGNATURE);
    // Flipping any bit of the string form is refused one way or another, never approved.
    String text = r.encode();
    byte[] bytes = Base64.getUrlDecoder().decode(text.substring(PairingResponse.PREFIX.length()));
    for (int i = 0; i < bytes.length; i++) {
      byte[] flipped = bytes.clone();
      flipped[i] ^= 0x04;
      String altered = PairingResponse.PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(flipped);
      Throwable t = catchThrowable(() -> pairing.approve(PairingResponse.decode(altered), challenge));
      assertThat(t).as("bit flipped in byte %d", i).isInstanceOf(PairingException.class);
    }
    assertThat(devices.find(phone.deviceId())).isEmpty();
  }

  @Test
  void malformedSignatureBytesAreRefusedWithoutAnExceptionEscaping() {
    PairingChallenge challenge = pairing.createChallenge(alice, List.of());
    byte[] invalidPoint = new byte[64];
    invalidPoint[0] = 2; // the JDK's verify throws "Invalid point" for this R
    byte[] allOnes = new byte[64];
    java.util.Arrays.fill(allOnes, (byte) 0xff);
    for (byte[] sig : new byte[][] {invalidPoint, allOnes, new byte[64], new byte[0], new byte[63], new byte[255]}) {
      PairingResponse r = new PairingResponse(challenge.nonce(), phone.deviceId(), phone.publicKey(), "phone", site(),
          sig);
      PairingResponse overTheWire = PairingResponse.decode(r.encode());
      assertThat(refusal(() -> pairing.approve(overTheWire, challenge))).as("%d-byte signature", sig.length)
          .isEqualTo(Reason.BAD_SIGNATURE);
    }
  }

  @Test
  void aDeviceIdThatIsNotTheKeysIsRefused() {
    PairingChallenge challenge = pairing.createChallenge(alice, List.of());
    PairingResponse r = PairingResponse.create(challenge, phone, site(), "phone");
    PairingResponse lying = new PairingResponse(r.nonce(), laptop.deviceId(), r.publicKey(), "phone", r.siteId(),
        r.signature());

    assertThat(refusal(() -> pairing.approve(lying, challenge))).isEqualTo(Reason.DEVICE_ID_MISMATCH);
  }

  @Test
  void aChallengeThisDeviceNeverIssuedIsRefused() {
    PairingChallenge real = pairing.createChallenge(alice, List.of());
    // Same nonce, but for another user: an attacker trying to pair into a different account.
    PairingChallenge altered = PairingChallenge.of("someone-else", laptop.publicKey(), real.nonce(),
        real.expiresAt(), List.of());
    PairingChallenge invented = PairingChallenge.of(alice, laptop.publicKey(), new byte[32],
        real.expiresAt(), List.of());

    assertThat(refusal(() -> pairing.approve(PairingResponse.create(altered, phone, site(), "phone"), altered)))
        .isEqualTo(Reason.UNKNOWN_CHALLENGE);
    assertThat(refusal(() -> pairing.approve(PairingResponse.create(invented, phone, site(), "phone"), invented)))
        .isEqualTo(Reason.UNKNOWN_CHALLENGE);
  }

  @Test
  void aResponseToAnotherChallengeIsRefused() {
    PairingChallenge first = pairing.createChallenge(alice, List.of());
    PairingChallenge second = pairing.createChallenge(alice, List.of());
    PairingResponse toFirst = PairingResponse.create(first, phone, site(), "phone");

    assertThat(refusal(() -> pairing.approve(toFirst, second))).isEqualTo(Reason.NONCE_MISMATCH);
  }

  @Test
  void aRevokedAuthorizerCanNeitherIssueNorApprove() {
    PairingChallenge challenge = pairing.createChallenge(alice, List.of());
    PairingResponse response = PairingResponse.create(challenge, phone, site(), "phone");
    devices.revoke(laptop.deviceId());

    assertThat(refusal(() -> pairing.approve(response, challenge))).isEqualTo(Reason.AUTHORIZER_NOT_AUTHORIZED);
    assertThat(refusal(() -> pairing.createChallenge(alice, List.of()))).isEqualTo(Reason.AUTHORIZER_NOT_AUTHORIZED);
  }

  @Test
  void aDeviceCannotIssueChallengesForAnotherUser() {
    String bob = Users.open(db, Fixtures.CHEAP).register("bob", "bob@example.org", Fixtures.pw("correct horse"));

    assertThat(refusal(() -> pairing.createChallenge(bob, List.of()))).isEqualTo(Reason.AUTHORIZER_NOT_AUTHORIZED);
  }

  @Test
  void aRevokedDeviceCannotPairAgainWithTheSameKey() {
    PairingChallenge first = pairing.createChallenge(alice, List.of());
    pairing.approve(PairingResponse.create(first, phone, site(), "phone"), first);
    devices.revoke(phone.deviceId());
    PairingChallenge second = pairing.createChallenge(alice, List.of());

    assertThat(refusal(() -> pairing.approve(PairingResponse.create(second, phone, site(), "phone"), second)))
        .isEqualTo(Reason.DEVICE_REVOKED);
    assertThat(devices.isAuthorized(phone.deviceId(), alice)).isFalse();
  }

  @Test
  void anAlreadyPairedDeviceIsRefusedAndKeepsItsChallengeUnused() {
    PairingChallenge first = pairing.createChallenge(alice, List.of());
    pairing.approve(PairingResponse.create(first, phone, site(), "phone"), first);
    PairingChallenge second = pairing.createChallenge(alice, List.of());

    assertThat(refusal(() -> pairing.approve(PairingResponse.create(second, phone, site(), "phone 2"), second)))
        .isEqualTo(Reason.DEVICE_ALREADY_REGISTERED);
    DeviceKeys tablet = DeviceKeys.generate();
    assertThat(pairing.approve(PairingResponse.create(second, tablet, site(), "tablet"), second).id())
        .isEqualTo(tablet.deviceId());
  }

  @Test
  void garbageIsRefusedAsMalformed() {
    for (String bad : new String[] {"", "hello", "cfost-pair:", "cfost-pair:!!!", "cfost-pair:AQ",
        "cfost-pair:" + "A".repeat(5000), pairing.createChallenge(alice, List.of()).encode() + "AAAA"}) {
      assertThat(refusal(() -> PairingChallenge.decode(bad))).as(bad).isEqualTo(Reason.MALFORMED);
    }
    PairingChallenge challenge = pairing.createChallenge(alice, List.of());
    String good = PairingResponse.create(challenge, phone, site(), "phone").encode();
    for (String bad : new String[] {"", good.substring(0, good.length() - 10), good + "AA", "cfost-pair-response:AgAA",
        challenge.encode(), null}) {
      assertThat(refusal(() -> PairingResponse.decode(bad))).as(bad).isEqualTo(Reason.MALFORMED);
    }
  }

  @Test
  void aDeviceNameWithControlCharactersIsRefusedAsMalformed() {
    PairingChallenge challenge = pairing.createChallenge(alice, List.of());
    // Signed correctly by the phone, but the name would print escape codes on the authorizer's terminal.
    String name = "phone\u001b[2J";
    byte[] site = site();
    byte[] sig = phone.sign(PairingResponse.signedBytes(challenge, phone.deviceId(), phone.publicKey(), name, site));
    PairingResponse r = new PairingResponse(challenge.nonce(), phone.deviceId(), phone.publicKey(), name, site, sig);

    assertThat(refusal(() -> pairing.approve(r, challenge))).isEqualTo(Reason.MALFORMED);
  }

  @Test
  void theApprovedDeviceIsBoundToItsSiteAndASiteHasOneDevice() {
    byte[] site = site();
    PairingChallenge first = pairing.createChallenge(alice, List.of());
    Device added = pairing.approve(PairingResponse.create(first, phone, site, "phone"), first);
    assertThat(added.siteId()).hasValueSatisfying(s -> assertThat(s).isEqualTo(site));

    PairingChallenge second = pairing.createChallenge(alice, List.of());
    PairingResponse copy = PairingResponse.create(second, DeviceKeys.generate(), site, "a copy of the phone's database");
    assertThat(refusal(() -> pairing.approve(copy, second))).isEqualTo(Reason.SITE_TAKEN);
  }

  @Test
  void invalidAddressesAreRefused() {
    for (String bad : new String[] {"host", "host:0", "host:70000", ":7420", "ho st:1", "[zz]:1"}) {
      assertThat(catchThrowable(() -> pairing.createChallenge(alice, List.of(bad))))
          .as(bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(bad);
    }
  }

  /** A new database's site id: 16 random bytes. */
  static byte[] site() {
    byte[] site = new byte[16];
    new java.security.SecureRandom().nextBytes(site);
    return site;
  }

  private static Reason refusal(Runnable r) {
    Throwable t = catchThrowable(r::run);
    assertThat(t).isInstanceOf(PairingException.class);
    return ((PairingException) t).reason();
  }
}
