package dev.cfost;

import static dev.cfost.TestDb.allChanges;
import static dev.cfost.TestDb.dump;
import static dev.cfost.TestDb.pull;
import static dev.cfost.TestDb.sql;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What happens around an engine's transactions: writes made while no engine ran, two engines on one file,
 * an application holding the write lock, a read that captures.
 */
class EngineLifecycleTest {
  @TempDir Path dir;
  final AtomicLong now = new AtomicLong(1_800_000_000_000L);

  private Cfost open(String name) {
    return TestDb.open(dir.resolve(name), now::get);
  }

  private static void plainSql(Path file, String... statements) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  private static Change cell(String table, String key, String column, Object value, long colVersion, int site) {
    byte[] siteId = new byte[16];
    java.util.Arrays.fill(siteId, (byte) site);
    return new Change(table, dev.cfost.internal.PackedKey.pack(List.of(key)), column, value, colVersion, 1, siteId, 1,
        0);
  }

  @Test
  void writesMadeWhileNoEngineRanKeepTheirClocksWhenADeferredChangeIsMergedAtOpen() throws Exception {
    Path file = dir.resolve("a.db");
    try (Cfost a = open("a.db")) {
      sql(a, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
      a.replicate("t");
      // From a peer that already has column 'c': kept aside until this replica has it too.
      long stamp = dev.cfost.internal.HybridClock.timestamp(now.get(), 0);
      MergeResult r = a.mergeAll(List.of(cell("t", "remote", Change.SENTINEL, null, 1, 9),
          cell("t", "remote", "c", "from afar", stamp, 9)).iterator(), true);
      assertThat(r.deferred()).isEqualTo(1);
    }
    // While no engine runs: the application adds the column and writes a row.
    plainSql(file, "ALTER TABLE t ADD COLUMN c", "INSERT INTO t VALUES ('offline', 'written offline', NULL)");
    try (Cfost a = open("a.db"); Cfost b = open("b.db")) {
      sql(b, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v, c)");
      b.replicate("t");
      pull(b, a, 100);
      assertThat(dump(b, "t")).contains("text:offline | text:written offline | null:null");
      assertThat(dump(a, "t")).contains("text:remote | null:null | text:from afar");
    }
  }

  @Test
  void aChangesReadThatCapturesDoesNotSendTheCapturedRowsAgain() {
    try (Cfost a = open("a.db")) {
      sql(a, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
      a.replicate("t");
      ChangeBatch first = a.changes(Cursor.START, 100);
      sql(a, "INSERT INTO t VALUES ('x', 1)"); // not yet captured: the next read captures it
      ChangeBatch withRow = a.changes(first.next(), 100);
      assertThat(withRow.changes()).extracting(Change::cid).containsExactly("v");
      assertThat(withRow.caughtUp()).isTrue();
      assertThat(a.changes(withRow.next(), 100).changes()).isEmpty();
    }
  }

  @Test
  void anEngineFollowsAColumnAnotherEngineAddedWithoutResettingItsClocks() {
    try (Cfost daemon = open("a.db"); Cfost cli = open("a.db"); Cfost peer = open("b.db")) {
      sql(daemon, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
      daemon.replicate("t");
      cli.addColumn("t", "c TEXT");
      sql(cli, "INSERT INTO t VALUES ('x', 1, 'set by the cli')");
      cli.capture();
      sql(daemon, "UPDATE t SET v = 2 WHERE id = 'x'");
      daemon.capture(); // a capture with the daemon's column list must keep the clock of c
      sql(peer, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v, c TEXT)");
      peer.replicate("t");
      pull(peer, daemon, 100);
      assertThat(dump(peer, "t")).containsExactly("text:x | integer:2 | text:set by the cli");
    }
  }

  @Test
  void anEngineReadsSitesAnotherEngineAddedOnTheSameFile() {
    try (Cfost daemon = open("a.db"); Cfost cli = open("a.db"); Cfost peer = open("b.db")) {
      for (Cfost db : new Cfost[] {daemon, peer}) {
        sql(db, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
        db.replicate("t");
      }
      sql(peer, "INSERT INTO t VALUES ('from peer', 1)");
      cli.merge(allChanges(peer, 100)); // like `cfost import` beside a running daemon: adds the peer's site
      List<Change> read = allChanges(daemon, 100);
      assertThat(read).extracting(Change::siteId).allSatisfy(s -> assertThat(s).isEqualTo(peer.siteId()));
      // The daemon's own ordinal for a further new site must not collide with the one the cli allocated.
      Change other = cell("t", "other", "v", 5L, dev.cfost.internal.HybridClock.timestamp(now.get(), 0), 7);
      daemon.merge(List.of(cell("t", "other", Change.SENTINEL, null, 1, 7), other));
      assertThat(dump(daemon, "t")).contains("text:other | integer:5");
    }
  }

  @Test
  void anEngineNeverPersistsAClockBelowWhatAnotherEngineOnTheFilePersisted() {
    long ahead;
    try (Cfost slow = open("a.db")) {
      sql(slow, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
      slow.replicate("t");
      // Another engine whose wall clock reads a minute later stamps a write.
      try (Cfost fast = TestDb.open(dir.resolve("a.db"), () -> now.get() + 60_000)) {
        sql(fast, "INSERT INTO t VALUES ('x', 1)");
        fast.capture();
        ahead = allChanges(fast, 10).get(0).colVersion();
      }
      sql(slow, "INSERT INTO t VALUES ('y', 2)"); // another row: the clock alone orders it after 'x'
      slow.capture();
      assertThat(stampOf(slow, "y")).as("a write made after another on the same file is stamped above it")
          .isGreaterThan(ahead);
    }
    try (Cfost reopened = open("a.db")) {
      sql(reopened, "INSERT INTO t VALUES ('z', 3)");
      reopened.capture();
      assertThat(stampOf(reopened, "z")).as("after a restart").isGreaterThan(ahead);
    }
  }

  private static long stampOf(Cfost db, String key) {
    byte[] pk = dev.cfost.internal.PackedKey.pack(List.of(key));
    return allChanges(db, 100).stream().filter(c -> java.util.Arrays.equals(c.pk(), pk)).findFirst().orElseThrow()
        .colVersion();
  }

  @Test
  void aCallWhileTheApplicationHoldsTheWriteLockDoesNotWaitForAMergeWaitingForThatLock() throws Exception {
    try (Cfost a = open("a.db"); Cfost b = open("b.db")) {
      for (Cfost db : new Cfost[] {a, b}) {
        sql(db, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
        db.replicate("t");
      }
      sql(b, "INSERT INTO t VALUES ('x', 1)");
      List<Change> batch = allChanges(b, 100);
      try (Connection app = a.connect(); Statement s = app.createStatement()) {
        app.setAutoCommit(false);
        s.execute("INSERT INTO t VALUES ('mine', 0)"); // the application now holds SQLite's write lock
        CompletableFuture<MergeResult> merge = CompletableFuture.supplyAsync(() -> a.merge(batch));
        Thread.sleep(300); // the merge is now waiting for the application's write lock
        long began = System.nanoTime();
        long version = a.dbVersion(); // the application's own thread calls the engine
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
        assertThat(tookMs).as("dbVersion() while a merge waits for the lock, ms").isLessThan(2_000);
        assertThat(version).as("nothing of a was stamped yet").isZero();
        app.commit();
        assertThat(merge.get(30, TimeUnit.SECONDS).applied()).isEqualTo(1);
      }
      assertThat(dump(a, "t")).containsExactly("text:mine | integer:0", "text:x | integer:1");
    }
  }

  @Test
  void aCommitRightAfterTheEnginesCommitIsStillCaptured() throws Exception {
    Path file = dir.resolve("a.db");
    try (Cfost a = Cfost.open(CfostOptions.builder(file).captureInterval(Duration.ZERO).build());
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
      sql(a, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
      a.replicate("t");
      s.execute("PRAGMA busy_timeout = 30000");
      // The engine and another connection commit at the same moment, many times over. A commit landing
      // just after the engine's COMMIT, before it reads data_version, must not count as captured.
      for (int i = 0; i < 400; i++) {
        java.util.concurrent.CyclicBarrier go = new java.util.concurrent.CyclicBarrier(2);
        CompletableFuture<Void> engine = CompletableFuture.runAsync(() -> {
          await(go);
          a.setDatabaseId("d" + System.nanoTime());
        });
        await(go);
        s.execute("INSERT INTO t VALUES ('r" + i + "', " + i + ")");
        engine.get(30, TimeUnit.SECONDS);
        a.capture();
        try (java.sql.ResultSet rs = s.executeQuery("SELECT count(*) FROM cfost__log_t")) {
          rs.next();
          assertThat(rs.getLong(1)).as("log rows left after capture(), round " + i).isZero();
        }
      }
    }
  }

  private static void await(java.util.concurrent.CyclicBarrier barrier) {
    try {
      barrier.await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
