package dev.cfost.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import dev.cfost.net.PeerAuthorizer;
import dev.cfost.net.PeerOptions;
import dev.cfost.net.SyncKey;
import dev.cfost.net.Transports;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checks {@link SyncTrust} makes of a peer, through its public API only. */
class SyncTrustTest {
  @TempDir Path dir;
  final DeviceKeys mine = DeviceKeys.generate();
  final DeviceKeys other = DeviceKeys.generate();
  final byte[] otherSite = new byte[16];
  Cfost db;
  Devices devices;
  String alice;

  @BeforeEach
  void aUserWithTwoDevices() {
    db = Cfost.open(dir.resolve("mine.db"));
    alice = Users.open(db, new Argon2Params(1024, 1, 1)).register("alice", "alice@example.org", "correct horse".toCharArray());
    devices = Devices.open(db);
    devices.add(alice, mine.publicKey(), "mine", null);
    devices.add(alice, other.publicKey(), "other", mine.deviceId());
    devices.bindSite(mine.deviceId(), db.siteId());
    otherSite[0] = 7;
    devices.bindSite(other.deviceId(), otherSite);
  }

  @AfterEach
  void close() {
    db.close();
  }

  private PeerAuthorizer authorizer(DeviceId pairedWith) throws Exception {
    return SyncTrust.forUser(db, mine, alice, pairedWith).authorizer().orElseThrow();
  }

  private static String id(DeviceKeys keys) {
    return keys.deviceId().toString();
  }

  @Test
  void anAuthorizedDeviceAnnouncingItsOwnIdAndSiteIsAdmitted() throws Exception {
    assertThat(authorizer(null).refusal(other.jdkPublicKey(), id(other), otherSite)).isNull();
  }

  @Test
  void aPeerWithoutADeviceKeyIsRefused() throws Exception {
    PublicKey ec = KeyPairGenerator.getInstance("EC").generateKeyPair().getPublic();
    assertThat(authorizer(null).refusal(null, id(other))).contains("proved no device key");
    assertThat(authorizer(null).refusal(ec, id(other))).contains("carries no device key");
  }

  @Test
  void aPeerAnnouncingAnotherDevicesIdIsRefused() throws Exception {
    assertThat(authorizer(null).refusal(other.jdkPublicKey(), id(mine)))
        .contains("announces device " + id(mine) + " but its certificate proves device " + id(other));
  }

  @Test
  void unknownAndRevokedDevicesAreRefused() throws Exception {
    DeviceKeys stranger = DeviceKeys.generate();
    PeerAuthorizer authorizer = authorizer(null);
    assertThat(authorizer.refusal(stranger.jdkPublicKey(), id(stranger))).contains("not an authorized device");
    devices.revoke(other.deviceId());
    assertThat(authorizer.refusal(other.jdkPublicKey(), id(other), otherSite)).contains("not an authorized device");
  }

  @Test
  void anotherUsersDeviceIsRefused() throws Exception {
    String bob = Users.open(db, new Argon2Params(1024, 1, 1)).register("bob", "bob@example.org", "correct horse".toCharArray());
    DeviceKeys bobs = DeviceKeys.generate();
    devices.add(bob, bobs.publicKey(), "bob's", null);
    assertThat(authorizer(null).refusal(bobs.jdkPublicKey(), id(bobs))).contains("not an authorized device");
  }

  @Test
  void aDeviceAnnouncingASiteThatIsNotItsOwnIsRefused() throws Exception {
    byte[] elsewhere = new byte[16];
    elsewhere[0] = 9;
    assertThat(authorizer(null).refusal(other.jdkPublicKey(), id(other), elsewhere)).contains("which is not its own");
    assertThat(authorizer(null).refusal(other.jdkPublicKey(), id(other), db.siteId()))
        .contains("which is not its own");
  }

  @Test
  void aDeviceWithoutABoundSiteCannotClaimAnotherDevicesSite() throws Exception {
    DeviceKeys unbound = DeviceKeys.generate();
    devices.add(alice, unbound.publicKey(), "unbound", mine.deviceId());
    assertThat(authorizer(null).refusal(unbound.jdkPublicKey(), id(unbound), otherSite))
        .contains("it is device " + id(other) + "'s");
  }

  @Test
  void theDeviceThatPairedThisOneIsAdmittedOnlyUntilTheDeviceListNamesIt() throws Exception {
    DeviceKeys anchor = DeviceKeys.generate();
    assertThat(authorizer(null).refusal(anchor.jdkPublicKey(), id(anchor))).contains("not an authorized device");
    assertThat(authorizer(anchor.deviceId()).refusal(anchor.jdkPublicKey(), id(anchor))).isNull();
    devices.add(alice, anchor.publicKey(), "anchor", mine.deviceId());
    devices.revoke(anchor.deviceId());
    assertThat(authorizer(anchor.deviceId()).refusal(anchor.jdkPublicKey(), id(anchor)))
        .contains("not an authorized device");
  }

  @Test
  void aUsersDatabaseSyncsAsItsDeviceWithAuthorizerAndSealer() throws Exception {
    SyncTrust trust = SyncTrust.forUser(db, mine, alice, null);
    PeerOptions options = trust.applyTo(PeerOptions.builder().transport(Transports.disabled())).build();
    assertThat(trust.deviceId()).contains(mine.deviceId());
    assertThat(options.deviceId).isEqualTo(id(mine));
    assertThat(options.authorizer).isSameAs(trust.authorizer().orElseThrow());
    assertThat(options.sealer).isSameAs(trust.sealer().orElseThrow());
    assertThat(DeviceKeys.deviceIdOf(trust.tlsIdentity().certificate().getPublicKey())).isEqualTo(mine.deviceId());
  }

  @Test
  void forUserKeepsTheDeviceKeyBesideTheDatabase() throws Exception {
    SyncTrust trust = SyncTrust.forUser(db, alice);
    assertThat(trust.deviceId()).contains(DeviceKeys.forDatabase(db).deviceId());
    assertThat(DeviceKeys.keyFileOf(db.path())).exists();
  }

  @Test
  void aSyncKeyAddsNoDeviceChecks() throws Exception {
    SyncTrust trust = SyncTrust.forSyncKey(SyncKey.generate());
    PeerOptions options = trust.applyTo(PeerOptions.builder().transport(Transports.disabled())).build();
    assertThat(trust.deviceId()).isEmpty();
    assertThat(trust.authorizer()).isEmpty();
    assertThat(trust.sealer()).isEmpty();
    assertThat(options.authorizer).isNull();
    assertThat(options.sealer).isNull();
    assertThat(options.deviceId).isNull();
  }
}
