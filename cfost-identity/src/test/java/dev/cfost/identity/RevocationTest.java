package dev.cfost.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.cfost.Cfost;
import dev.cfost.Change;
import dev.cfost.ChangeBatch;
import dev.cfost.Cursor;
import dev.cfost.SealedChanges;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A revoked device tries to undo its revocation: it writes with a clock 50 s ahead of the revoker's (within
 * the drift bound), so its cell wins last-writer-wins on a replica that merges it first. Real SQLite files;
 * every batch goes through the receiver's seal verification, as a session does.
 */
class RevocationTest {
  @TempDir Path dir;
  final List<Cfost> open = new ArrayList<>();
  final DeviceKeys ka = DeviceKeys.generate();
  final DeviceKeys kb = DeviceKeys.generate();
  final DeviceKeys kr = DeviceKeys.generate();
  Cfost a; // the revoker
  Cfost b; // a bystander that hears from the revoked device first
  Cfost r; // the revoked device, its clock 50 s ahead
  ChangeSeals sealsA;
  ChangeSeals sealsB;
  ChangeSeals sealsR;
  String alice;

  @BeforeEach
  void threeDevices() {
    a = track(Fixtures.open(dir.resolve("a.db")));
    b = track(Fixtures.open(dir.resolve("b.db")));
    r = track(Fixtures.open(dir.resolve("r.db"), () -> System.currentTimeMillis() + 50_000));
    alice = Fixtures.userWithDevice(a, "alice", ka);
    Devices devices = Devices.open(a);
    devices.add(alice, kb.publicKey(), "b", ka.deviceId());
    devices.add(alice, kr.publicKey(), "r", ka.deviceId());
    devices.bindSite(kb.deviceId(), b.siteId());
    devices.bindSite(kr.deviceId(), r.siteId());
    sealsA = ChangeSeals.open(a, ka, alice);
    sealsB = ChangeSeals.open(b, kb, alice);
    sealsR = ChangeSeals.open(r, kr, alice);
    Fixtures.pull(b, a);
    Fixtures.pull(r, a);
  }

  @AfterEach
  void close() {
    open.forEach(Cfost::close);
  }

  private Cfost track(Cfost db) {
    open.add(db);
    return db;
  }

  /** What a session does: {@code from} seals its new changes, {@code to} verifies them and merges. */
  private static void sync(Cfost to, ChangeSeals toSeals, Cfost from, ChangeSeals fromSeals) {
    from.capture();
    Cursor cursor = to.peerCursor(from.siteId());
    while (true) {
      ChangeBatch batch = from.changes(cursor, 100);
      List<Change> changes = batch.changes().stream().filter(c -> !java.util.Arrays.equals(c.siteId(), to.siteId()))
          .toList();
      if (!changes.isEmpty()) {
        SealedChanges sealed = fromSeals.seal(changes);
        to.merge(toSeals.verify(sealed.changes(), sealed.seals()));
      }
      cursor = batch.next();
      to.savePeerCursor(from.siteId(), cursor);
      if (batch.caughtUp()) {
        return;
      }
    }
  }

  private static void sql(Cfost db, String statement) {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute(statement);
    } catch (java.sql.SQLException e) {
      throw new AssertionError(e);
    }
    db.capture();
  }

  @Test
  void aRevokedDeviceThatClearsItsRevocationStaysRevokedOnAReplicaThatHearsFromItFirst() {
    Devices.open(a).revoke(kr.deviceId());
    sync(r, sealsR, a, sealsA); // the revoked device learns of it and undoes it, its clock ahead
    sql(r, "UPDATE identity_devices SET revoked_at = NULL WHERE device_id = '" + kr.deviceId() + "'");

    sync(b, sealsB, r, sealsR); // b still trusts r: it takes r's write first
    sync(b, sealsB, a, sealsA); // then the revocation arrives

    assertThat(Devices.open(b).isAuthorized(kr.deviceId(), alice)).as("r authorized on b").isFalse();
    assertThat(Devices.open(b).find(kr.deviceId()).orElseThrow().isRevoked()).isTrue();
    assertThat(Devices.open(a).isAuthorized(kr.deviceId(), alice)).isFalse();
  }

  @Test
  void aRevokedDeviceThatClearsItsRevocationBeforeItIsRevokedStaysRevoked() {
    // r foresees its revocation: it writes revoked_at = NULL again and again, ahead of the revoker's clock.
    sql(r, "UPDATE identity_devices SET revoked_at = NULL, name = 'r' WHERE device_id = '" + kr.deviceId() + "'");
    Devices.open(a).revoke(kr.deviceId());
    sync(b, sealsB, r, sealsR);
    sync(b, sealsB, a, sealsA);
    assertThat(Devices.open(b).isAuthorized(kr.deviceId(), alice)).isFalse();
  }

  @Test
  void aChangeThatDeletesARevocationIsRefusedWhoeverSealedIt() {
    Devices.open(a).revoke(kr.deviceId());
    sync(b, sealsB, a, sealsA);
    // b itself (authorized) tries to delete the revocation record of r: refused by a, whatever the order.
    Throwable t = catchThrowable(() -> {
      sql(b, "DELETE FROM identity_revocations WHERE device_id = '" + kr.deviceId() + "'");
      sync(a, sealsA, b, sealsB);
    });
    assertThat(t).isInstanceOf(SealRefusedException.class).hasMessageContaining("revocation");
    assertThat(Devices.open(a).isAuthorized(kr.deviceId(), alice)).isFalse();
  }
}
