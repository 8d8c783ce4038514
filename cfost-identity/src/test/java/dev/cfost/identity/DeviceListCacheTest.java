package dev.cfost.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.cfost.Cfost;
import dev.cfost.Change;
import dev.cfost.ChangeFilter;
import dev.cfost.Cursor;
import dev.cfost.SealedChanges;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device list a ChangeSeals keeps between batches is never served stale: a revocation that reaches
 * the replica between two batches of one stream, however it is written, refuses the next batch.
 */
class DeviceListCacheTest {
  @TempDir Path dir;
  final List<Cfost> open = new ArrayList<>();
  Cfost a;
  Cfost b;
  Cfost c;
  DeviceKeys ka = DeviceKeys.generate();
  DeviceKeys kb = DeviceKeys.generate();
  DeviceKeys kc = DeviceKeys.generate();
  ChangeSeals sealsA;
  ChangeSeals sealsB;
  int rows;

  @BeforeEach
  void threeDevicesOfOneUser() {
    a = replica("a.db");
    b = replica("b.db");
    c = replica("c.db");
    String alice = Fixtures.userWithDevice(a, "alice", ka);
    Devices devices = Devices.open(a);
    devices.add(alice, kb.publicKey(), "b", ka.deviceId());
    devices.add(alice, kc.publicKey(), "c", ka.deviceId());
    devices.bindSite(kb.deviceId(), b.siteId());
    devices.bindSite(kc.deviceId(), c.siteId());
    sealsA = ChangeSeals.open(a, ka, alice);
    sealsB = ChangeSeals.open(b, kb, alice);
    ChangeSeals.open(c, kc, alice);
    Fixtures.pull(b, a);
    Fixtures.pull(c, a);
    SealedChanges first = nextBatchOfA();
    sealsB.verify(first.changes(), first.seals()); // B now keeps the list it checked this against
  }

  @AfterEach
  void close() {
    open.forEach(Cfost::close);
  }

  @Test
  void aRevocationMergedFromAnotherDeviceRefusesTheNextBatch() {
    Devices.open(c).revoke(ka.deviceId());
    Fixtures.pull(b, c); // the revocation arrives as B merges C's changes

    assertRefused(nextBatchOfA());
  }

  @Test
  void aRevocationMadeOnThisReplicaThroughAnotherObjectRefusesTheNextBatch() {
    Devices.open(b).revoke(ka.deviceId());

    assertRefused(nextBatchOfA());
  }

  @Test
  void aRevocationWrittenByAnotherProcessRefusesTheNextBatch() throws SQLException {
    // A plain SQLite connection of its own, as another process (an older CFOST, the sqlite3 shell) writes.
    try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("b.db"));
        Statement s = other.createStatement()) {
      s.execute("INSERT INTO identity_revocations(device_id, revoked_at) VALUES ('" + ka.deviceId() + "', 1)");
    }

    assertRefused(nextBatchOfA());
  }

  @Test
  void withItsTriggersDroppedTheListIsReadForEveryBatch() throws SQLException {
    try (Connection conn = b.connect(); Statement s = conn.createStatement()) {
      s.execute("DROP TRIGGER identity_revocations_listed_insert");
    }
    SealedChanges before = nextBatchOfA();
    sealsB.verify(before.changes(), before.seals());
    Devices.open(b).revoke(ka.deviceId());

    assertRefused(nextBatchOfA());
  }

  @Test
  void aNewlyBoundSiteIsSeenByTheNextBatch() {
    // A change of a site bound to no device may be vouched for by any authorized device; once the site is
    // bound to C, only C's seal proves it.
    byte[] site = PairingTest.site();
    Change foreign = new Change("todo", todos(a).get(0).pk(), "title", "imported", 99, 1, site, 1, 0);
    a.merge(List.of(foreign));
    SealedChanges vouched = sealsA.seal(List.of(foreign));
    sealsB.verify(vouched.changes(), vouched.seals());
    try (Connection conn = b.connect(); Statement s = conn.createStatement()) {
      s.execute("UPDATE identity_devices SET site_id = x'" + dev.cfost.Values.hex(site) + "' WHERE device_id = '"
          + kc.deviceId() + "'");
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
    Throwable t = catchThrowable(() -> sealsB.verify(vouched.changes(), vouched.seals()));
    assertThat(t).isInstanceOf(SealRefusedException.class);
    assertThat(((SealRefusedException) t).code()).isEqualTo(SealRefusedException.SITE_MISMATCH);
  }

  private void assertRefused(SealedChanges batch) {
    Throwable t = catchThrowable(() -> sealsB.verify(batch.changes(), batch.seals()));
    assertThat(t).isInstanceOf(SealRefusedException.class);
    assertThat(((SealRefusedException) t).code()).isEqualTo(SealRefusedException.UNAUTHORIZED);
    assertThat(t.getMessage()).contains(ka.deviceId().toString());
  }

  /** A new row written on A, sealed by A, as A's stream continues. */
  private SealedChanges nextBatchOfA() {
    rows++;
    sql(a, "INSERT INTO todo VALUES ('t" + rows + "', 'milk', 0)");
    List<Change> mine = todos(a).stream().filter(x -> java.util.Arrays.equals(x.siteId(), a.siteId())).toList();
    return sealsA.seal(mine);
  }

  private Cfost replica(String name) {
    Cfost db = Fixtures.open(dir.resolve(name));
    open.add(db);
    sql(db, "CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT, done INTEGER)");
    db.replicate("todo");
    return db;
  }

  private static void sql(Cfost db, String statement) {
    try (Connection conn = db.connect(); Statement s = conn.createStatement()) {
      s.execute(statement);
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  private static List<Change> todos(Cfost db) {
    return db.changes(Cursor.START, 1000, new ChangeFilter(Set.of("todo"), Map.of(), null)).changes();
  }
}
