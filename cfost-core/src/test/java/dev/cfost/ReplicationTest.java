package dev.cfost;

import static dev.cfost.TestDb.dump;
import static dev.cfost.TestDb.open;
import static dev.cfost.TestDb.pull;
import static dev.cfost.TestDb.sql;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplicationTest {
  @TempDir Path dir;
  final AtomicLong now = new AtomicLong(1_800_000_000_000L);
  Cfost a;
  Cfost b;

  @BeforeEach
  void openTwoReplicas() {
    a = open(dir.resolve("a.db"), now::get);
    b = open(dir.resolve("b.db"), now::get);
    for (Cfost db : new Cfost[] {a, b}) {
      sql(db, "CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT, done INTEGER DEFAULT 0)");
      db.replicate("todo");
    }
  }

  @AfterEach
  void close() {
    a.close();
    b.close();
  }

  private void syncBothWays() {
    pull(b, a, 7);
    pull(a, b, 7);
  }

  @Test
  void insertedRowsArriveWithTheirTypes() {
    sql(a, "INSERT INTO todo VALUES ('t1', 'milk', 0), ('t2', 'eggs', 1)");
    syncBothWays();
    assertThat(dump(b, "todo")).containsExactly("text:t1 | text:milk | integer:0", "text:t2 | text:eggs | integer:1");
  }

  @Test
  void concurrentEditsToDifferentColumnsBothSurvive() {
    sql(a, "INSERT INTO todo VALUES ('t1', 'milk', 0)");
    syncBothWays();
    sql(a, "UPDATE todo SET title = 'oat milk' WHERE id = 't1'");
    sql(b, "UPDATE todo SET done = 1 WHERE id = 't1'");
    a.capture();
    b.capture();
    syncBothWays();
    assertThat(dump(a, "todo")).containsExactly("text:t1 | text:oat milk | integer:1");
    assertThat(dump(b, "todo")).isEqualTo(dump(a, "todo"));
  }

  @Test
  void concurrentEditsToOneColumnResolveToTheLaterClock() {
    sql(a, "INSERT INTO todo VALUES ('t1', 'milk', 0)");
    syncBothWays();
    sql(b, "UPDATE todo SET title = 'first' WHERE id = 't1'");
    b.capture();
    now.addAndGet(5);
    sql(a, "UPDATE todo SET title = 'second' WHERE id = 't1'");
    a.capture();
    syncBothWays();
    assertThat(dump(a, "todo")).containsExactly("text:t1 | text:second | integer:0");
    assertThat(dump(b, "todo")).isEqualTo(dump(a, "todo"));
  }

  @Test
  void aDeleteBeatsConcurrentUpdatesAndAReinsertResurrects() {
    sql(a, "INSERT INTO todo VALUES ('t1', 'milk', 0)");
    syncBothWays();
    sql(a, "DELETE FROM todo WHERE id = 't1'");
    now.addAndGet(10);
    sql(b, "UPDATE todo SET title = 'later edit' WHERE id = 't1'");
    a.capture();
    b.capture();
    syncBothWays();
    assertThat(dump(a, "todo")).isEmpty();
    assertThat(dump(b, "todo")).isEmpty();

    sql(b, "INSERT INTO todo VALUES ('t1', 'back', 1)");
    b.capture();
    syncBothWays();
    assertThat(dump(a, "todo")).containsExactly("text:t1 | text:back | integer:1");
    assertThat(dump(b, "todo")).isEqualTo(dump(a, "todo"));
  }

  @Test
  void aChangeRelayedThroughAThirdReplicaArrives() {
    try (Cfost c = open(dir.resolve("c.db"), now::get)) {
      sql(c, "CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT, done INTEGER DEFAULT 0)");
      c.replicate("todo");
      sql(a, "INSERT INTO todo VALUES ('from-a', 'x', 0)");
      pull(b, a, 100);
      pull(c, b, 100);
      assertThat(dump(c, "todo")).containsExactly("text:from-a | text:x | integer:0");
    }
  }

  @Test
  void aResumedPullDoesNotResendWhatWasReceived() {
    sql(a, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)"
        + " INSERT INTO todo SELECT 'r' || i, 'v', 0 FROM n");
    int first = pull(b, a, 10);
    assertThat(first).isEqualTo(100);
    assertThat(pull(b, a, 10)).isZero();
    sql(a, "UPDATE todo SET done = 1 WHERE id = 'r7'");
    assertThat(pull(b, a, 10)).isEqualTo(1);
  }

  /**
   * A transaction larger than the capture's chunk (10,000 keys), with updates, deletes and re-inserts of
   * the same rows in it: every row's clocks come out once and right, so the other replica ends equal.
   */
  @Test
  void aTransactionLargerThanACaptureChunkIsCapturedRowByRow() throws Exception {
    try (java.sql.Connection c = a.connect()) {
      c.setAutoCommit(false);
      try (var ins = c.prepareStatement("INSERT INTO todo(id, title) VALUES (?, ?)")) {
        for (int i = 0; i < 25_000; i++) {
          ins.setString(1, String.format("t%06d", (i * 7919) % 25_000)); // not in key order
          ins.setString(2, "title " + i);
          ins.executeUpdate();
        }
      }
      try (var s = c.createStatement()) {
        s.executeUpdate("UPDATE todo SET done = 1 WHERE CAST(substr(id, 2) AS INTEGER) % 7 = 0");
        s.executeUpdate("DELETE FROM todo WHERE CAST(substr(id, 2) AS INTEGER) % 11 = 0");
      }
      int reinserted = 0;
      try (var ins = c.prepareStatement("INSERT INTO todo(id, title) VALUES (?, 'again')")) {
        for (int i = 0; i < 25_000; i += 143) { // deleted above (a multiple of 11), back in the same transaction
          ins.setString(1, String.format("t%06d", i));
          ins.executeUpdate();
          reinserted++;
        }
      }
      c.commit();
      int deleted = (25_000 + 10) / 11;
      assertThat(dump(a, "todo")).hasSize(25_000 - deleted + reinserted);
    }
    a.capture();

    MergeResult r = b.merge(TestDb.allChanges(a, 1000));

    assertThat(dump(b, "todo")).isEqualTo(dump(a, "todo"));
    // Rows never seen before this transaction: each is a plain insert (title and done), whatever
    // happened to it inside the transaction; the deleted ones leave nothing.
    assertThat(r.received()).as("changes").isEqualTo(2L * dump(a, "todo").size());
  }

  /**
   * An application trigger that writes another replicated table: on the device that wrote, both writes
   * are local changes; on a device merging them, the trigger's write during the merge is not (as with
   * cr-sqlite's sync bit), and both tables still converge.
   */
  @Test
  void aWriteByAnApplicationTriggerDuringAMergeIsNotALocalChange() {
    for (Cfost db : new Cfost[] {a, b}) {
      sql(db, "CREATE TABLE seen(id TEXT PRIMARY KEY NOT NULL, n INTEGER)",
          "CREATE TRIGGER app_seen AFTER INSERT ON todo BEGIN INSERT OR REPLACE INTO seen VALUES (NEW.id, 1); END");
      db.replicate("seen");
    }
    sql(a, "INSERT INTO todo(id, title) VALUES ('x', 'from a')");
    a.capture();
    assertThat(TestDb.allChanges(a, 100)).extracting(Change::table).contains("todo", "seen");

    b.merge(TestDb.allChanges(a, 100).stream().filter(ch -> ch.table().equals("todo")).toList());
    b.capture();

    assertThat(dump(b, "seen")).as("written by b's trigger").isEqualTo(dump(a, "seen")).hasSize(1);
    assertThat(TestDb.allChanges(b, 100)).as("b's changes: only the merged todo row, from a")
        .allMatch(ch -> ch.table().equals("todo") && java.util.Arrays.equals(ch.siteId(), a.siteId()));
    pull(b, a, 7);
    assertThat(dump(b, "seen")).isEqualTo(dump(a, "seen"));
  }

  /**
   * Reading the change stream takes no write lock when every local write is captured: an application
   * transaction holding the lock does not hold up a peer reading, and a write still pending is captured
   * first (so the read waits for the lock then).
   */
  @Test
  void readingChangesDoesNotWaitForAnApplicationsWriteTransaction() throws Exception {
    sql(a, "INSERT INTO todo(id, title) VALUES ('x', 'one')");
    a.capture();
    try (java.sql.Connection app = a.connect(); var s = app.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
      s.execute("INSERT INTO todo(id, title) VALUES ('y', 'not committed')");
      var reader = java.util.concurrent.CompletableFuture.supplyAsync(() -> a.changes(Cursor.START, 100));
      ChangeBatch batch;
      try {
        batch = reader.get(5, java.util.concurrent.TimeUnit.SECONDS);
      } finally {
        s.execute("COMMIT"); // lets a blocked read finish either way
      }
      assertThat(batch.changes()).extracting(Change::pk).containsOnly(TestDb.allChanges(a, 100).get(0).pk());
    }
    assertThat(TestDb.allChanges(a, 100)).as("the committed write is captured by the next read")
        .extracting(Change::val).contains("not committed");
  }

  @Test
  void aCaptureThatFindsNothingWritesNothing() throws Exception {
    sql(a, "INSERT INTO todo(id, title) VALUES ('x', 'one')");
    a.capture();
    try (java.sql.Connection other = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("a.db"));
        var s = other.createStatement()) {
      long before = dataVersion(s);
      a.capture();
      a.capture();
      assertThat(dataVersion(s)).as("data_version seen by another connection after empty captures").isEqualTo(before);
      sql(a, "UPDATE todo SET title = 'two' WHERE id = 'x'");
      a.capture();
      assertThat(dataVersion(s)).as("after a capture that stamps a write").isNotEqualTo(before);
    }
  }

  private static long dataVersion(java.sql.Statement s) throws java.sql.SQLException {
    try (var rs = s.executeQuery("PRAGMA data_version")) {
      return rs.getLong(1);
    }
  }

  @Test
  void anEngineWriteWaitsForAnApplicationsWriteTransaction() throws Exception {
    try (java.sql.Connection app = a.connect(); var s = app.createStatement()) {
      s.execute("INSERT INTO todo(id, title) VALUES ('x', 'committed')"); // something for the capture to stamp
      s.execute("BEGIN IMMEDIATE");
      s.execute("INSERT INTO todo(id, title) VALUES ('y', 'held')");
      var capture = java.util.concurrent.CompletableFuture.runAsync(a::capture);
      Thread.sleep(300); // the capture waits for the write lock meanwhile
      assertThat(capture).as("a capture while the application holds the write lock").isNotDone();
      s.execute("COMMIT");
      capture.get(5, java.util.concurrent.TimeUnit.SECONDS); // fails if the wait gave up: "database is locked"
    }
    assertThat(TestDb.allChanges(a, 100)).extracting(Change::val).contains("committed", "held");
  }

  /**
   * Two replicas delete the same row: both deletes have the same causal length, and a third replica
   * records the same site for the row's tombstone whichever delete it gets first (found by
   * MergeProperties once it ran in the build).
   */
  @Test
  void concurrentDeletesOfOneRowLeaveTheSameTombstoneInAnyOrder() {
    sql(a, "INSERT INTO todo(id, title) VALUES ('x', 'one')");
    syncBothWays();
    sql(a, "DELETE FROM todo WHERE id = 'x'");
    sql(b, "DELETE FROM todo WHERE id = 'x'");
    List<Change> fromA = TestDb.allChanges(a, 100);
    List<Change> fromB = TestDb.allChanges(b, 100);
    try (Cfost c1 = open(dir.resolve("c1.db"), now::get); Cfost c2 = open(dir.resolve("c2.db"), now::get)) {
      for (Cfost db : new Cfost[] {c1, c2}) {
        sql(db, "CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT, done INTEGER DEFAULT 0)");
        db.replicate("todo");
      }
      c1.merge(fromA);
      c1.merge(fromB);
      c2.merge(fromB);
      c2.merge(fromA);
      assertThat(MergeProperties.clockState(c2)).isEqualTo(MergeProperties.clockState(c1)).hasSize(1);
    }
  }

  @Test
  void concurrentWritesOfMinusZeroAndZeroEndTheSameInAnyOrder() {
    // SQLite calls -0.0 and 0.0 equal yet keeps the sign in a column without REAL affinity (a REAL column
    // stores both as 0.0): replicas must agree on the bits, whatever the order and the grouping.
    for (String type : new String[] {"", " REAL"}) {
      String table = "CREATE TABLE m" + type.trim() + "(id TEXT PRIMARY KEY NOT NULL, v" + type + ")";
      String name = "m" + type.trim();
      sql(a, table);
      a.replicate(name);
      sql(a, "INSERT INTO " + name + " VALUES ('x', 1.5)");
      List<Change> insert = TestDb.allChanges(a, 100).stream().filter(c -> c.table().equals(name)).toList();
      Change written = insert.stream().filter(c -> c.cid().equals("v")).findFirst().orElseThrow();
      List<Change> rest = insert.stream().filter(c -> !c.cid().equals("v")).toList();
      Change minus = withValue(written, -0.0, (byte) 1);
      for (byte otherSite : new byte[] {0, 2}) {
        Change plus = withValue(written, 0.0, otherSite);
        String expected = type.isEmpty() && otherSite == 0 ? "text:x | real:-0.0" : "text:x | real:0.0";
        List<Cfost> replicas = new java.util.ArrayList<>();
        try {
          for (int i = 0; i < 3; i++) {
            Cfost db = open(dir.resolve(name + "-" + otherSite + "-" + i + ".db"), now::get);
            replicas.add(db);
            sql(db, table);
            db.replicate(name);
            db.merge(rest);
          }
          replicas.get(0).merge(List.of(minus));
          replicas.get(0).merge(List.of(plus));
          replicas.get(1).merge(List.of(plus));
          replicas.get(1).merge(List.of(minus));
          replicas.get(2).merge(List.of(minus, plus)); // both in one merge
          for (Cfost db : replicas) {
            assertThat(dump(db, name)).as("column type '" + type + "', other site " + otherSite).containsExactly(expected);
            assertThat(MergeProperties.clockState(db)).isEqualTo(MergeProperties.clockState(replicas.get(0)));
          }
        } finally {
          replicas.forEach(Cfost::close);
        }
      }
    }
  }

  private static Change withValue(Change c, double val, byte site) {
    byte[] siteId = new byte[16];
    java.util.Arrays.fill(siteId, site);
    return new Change(c.table(), c.pk(), c.cid(), val, c.colVersion(), c.dbVersion(), siteId, c.cl(), c.seq());
  }

  /** Found by SchemaChangeProperties: a resurrection's sentinel alone reached a replica where the row lived. */
  @Test
  void aNewLifeOfARowDoesNotKeepTheValuesOfTheOldOne() {
    sql(a, "INSERT INTO todo VALUES ('k', 'old life', 1)");
    syncBothWays();
    byte[] site = new byte[16];
    java.util.Arrays.fill(site, (byte) 9);
    byte[] pk = dev.cfost.internal.PackedKey.pack(java.util.List.of("k"));
    // Deleted and re-inserted elsewhere with only its key: cl 3, no cells.
    Change resurrection = new Change("todo", pk, Change.SENTINEL, null, 3, 1, site, 3, 0);
    a.merge(java.util.List.of(resurrection));
    b.merge(java.util.List.of(new Change("todo", pk, Change.SENTINEL, null, 2, 1, site, 2, 0), resurrection));
    assertThat(dump(a, "todo")).isEqualTo(dump(b, "todo")).containsExactly("text:k | null:null | integer:0");
  }
}
