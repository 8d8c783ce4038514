package dev.cfost.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.Cfost;
import dev.cfost.Change;
import dev.cfost.net.PeerOptions;
import dev.cfost.net.SyncException;
import dev.cfost.net.SyncKey;
import dev.cfost.net.Transports;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a device trusts a sync server with ({@link SyncTrust#applyToServer}), through the public API. */
class ServerTrustTest {
  @TempDir Path dir;
  final DeviceKeys mine = DeviceKeys.generate();
  final DeviceKeys other = DeviceKeys.generate();
  final byte[] otherSite = new byte[16];
  final byte[] serverSite = new byte[16];
  Cfost db;
  String alice;

  @BeforeEach
  void aUserWithTwoDevices() {
    db = Cfost.open(dir.resolve("mine.db"));
    alice = Users.open(db, new Argon2Params(1024, 1, 1)).register("alice", "alice@example.org", "correct horse".toCharArray());
    Devices devices = Devices.open(db);
    devices.add(alice, mine.publicKey(), "mine", null);
    devices.add(alice, other.publicKey(), "other", mine.deviceId());
    devices.bindSite(mine.deviceId(), db.siteId());
    otherSite[0] = 7;
    devices.bindSite(other.deviceId(), otherSite);
    serverSite[0] = 9;
  }

  @AfterEach
  void close() {
    db.close();
  }

  private PeerOptions serverOptions(DeviceId pairedWith) throws Exception {
    return SyncTrust.forUser(db, mine, alice, pairedWith)
        .applyToServer(PeerOptions.builder().transport(Transports.disabled())).build();
  }

  @Test
  void aServerWithASiteOfItsOwnIsAdmittedThoughItProvesNoDeviceKey() throws Exception {
    PeerOptions o = serverOptions(null);
    assertThat(o.deviceId).isEqualTo(mine.deviceId().toString());
    assertThat(o.authorizer.refusal(null, "server", serverSite)).isNull();
  }

  @Test
  void aServerAnnouncingTheSiteOfOneOfTheUsersDevicesIsRefused() throws Exception {
    PeerOptions o = serverOptions(null);
    assertThat(o.authorizer.refusal(null, "server", otherSite))
        .contains("which is device " + other.deviceId() + "'s");
    assertThat(o.authorizer.refusal(null, "server", db.siteId())).contains("which is device " + mine.deviceId() + "'s");
  }

  @Test
  void aServerClaimingADeviceIdIsRefusedEvenTheDeviceThatPairedThisOne() throws Exception {
    DeviceKeys anchor = DeviceKeys.generate(); // not in the device list yet, as just after pairing
    PeerOptions o = serverOptions(anchor.deviceId());
    assertThat(o.authorizer.refusal(null, anchor.deviceId().toString(), serverSite))
        .contains("announces itself as device " + anchor.deviceId());
    assertThat(o.authorizer.refusal(null, other.deviceId().toString(), serverSite)).contains("never speaks for a device");
  }

  /** The server relays; it cannot vouch: a change without its origin's seal is refused, whatever it claims. */
  @Test
  void aBatchFromTheServerWithoutTheOriginsSealIsRefused() throws Exception {
    DeviceKeys anchor = DeviceKeys.generate();
    PeerOptions o = serverOptions(anchor.deviceId());
    Change forged = new Change("todo", new byte[] {1, 11, 1, 'a'}, "title", "forged", 5, 9, otherSite, 1, 0);
    assertThatThrownBy(() -> o.sealer.verify(anchor.deviceId().toString(), serverSite, List.of(forged), List.of()))
        .isInstanceOf(SyncException.class).hasMessageContaining("unsigned_change");
    assertThatThrownBy(() -> o.sealer.verify("server", serverSite, List.of(forged), List.of()))
        .isInstanceOf(SyncException.class).hasMessageContaining("unsigned_change");
  }

  @Test
  void aDatabaseWithoutUsersCannotSyncThroughAServer() throws Exception {
    SyncTrust keyed = SyncTrust.forSyncKey(SyncKey.generate());
    assertThatThrownBy(() -> keyed.applyToServer(PeerOptions.builder())).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("without users cannot sync through a server");
  }
}
