package dev.cfost;

import static dev.cfost.CrashChecks.assertSameRows;
import static dev.cfost.CrashChecks.copyDb;
import static dev.cfost.CrashChecks.firstDifference;
import static dev.cfost.CrashChecks.integrity;
import static dev.cfost.CrashChecks.rows;
import static dev.cfost.TestDb.sql;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 3 under a real crash: a child JVM ({@link CrashChild}) is killed with SIGKILL at seeded random
 * points of a large local transaction, a capture, a merge and a resumed pull. Afterwards the database must
 * pass {@code PRAGMA integrity_check}, open, hold all or nothing of what was in flight, replicate into a
 * fresh replica identically, and sync on without losing or resending what was acknowledged.
 *
 * <p>Kill points are seeded and stratified: each scenario kills inside its work at least once and once
 * after it. The capture scenario aims by time, at a seeded fraction of the capture time its first run
 * measured, so a replay hits the same fraction rather than the same instant.
 *
 * <p>Each kill prints one {@code crash ...} line. Replay with {@code -Dcfost.crash.seed=<seed>};
 * {@code -Dcfost.crash.runs=<n>} sets the kills per scenario and {@code -Dcfost.crash.rows=<n>} the size of
 * the large local transaction.
 */
class CrashIT {
  static final long SEED = Long.getLong("cfost.crash.seed", System.nanoTime());
  static final int RUNS = Integer.getInteger("cfost.crash.runs", 3);
  static final int BIG_TX_ROWS = Integer.getInteger("cfost.crash.rows", 60_000);
  static final int SEED_ROWS = 10_000;
  static final int CAPTURE_ROWS = 20_000;
  /** Rows of the source of the merge and pull scenarios; it streams about four changes per row. */
  static final int SOURCE_ROWS = 20_000;
  static final int PULL_BATCH = 2_000;

  @TempDir static Path shared;
  @TempDir Path dir;

  private static Path sourceDb;
  private static Path sourceChanges;
  private static List<String> sourceRows;
  private static int sourceChangeCount;

  @BeforeAll
  static void printSeed() {
    assertThat(RUNS).as("cfost.crash.runs").isGreaterThanOrEqualTo(2);
    System.out.println("crash seed=" + SEED + " runs=" + RUNS + " (replay with -Dcfost.crash.seed=" + SEED + ")");
  }

  private static Random random(int scenario) {
    return new Random(SEED * 31 + scenario);
  }

  /** Where kill {@code run} of {@code runs} lands, as a fraction of the work: one in each stratum. */
  private static double fraction(Random rnd, int run, int runs) {
    return (run + rnd.nextDouble()) / runs * 0.95;
  }

  private static void report(String scenario, int run, String kill, long rows, String outcome, long startNanos) {
    System.out.printf("crash scenario=%s seed=%d run=%d kill=%s rows=%d outcome=%s ms=%d%n", scenario, SEED, run,
        kill, rows, outcome, (System.nanoTime() - startNanos) / 1_000_000);
  }

  // ---- 1. a large local transaction ----

  @Test
  void aKilledLocalTransactionIsAllOrNothingAndItsClocksReplicate() throws Exception {
    Random rnd = random(1);
    Path template = dir.resolve("local-template.db");
    try (Cfost db = TestDb.open(template)) {
      sql(db, CrashChild.TABLE_DDL);
      db.replicate(CrashChild.TABLE);
      sql(db, "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < " + (SEED_ROWS - 1) + ")"
          + " INSERT INTO item SELECT printf('s%06d', i), i, 'seed', i * 0.5, CAST(printf('%08x', i) AS BLOB) FROM s");
    }
    List<String> before = rows(template);
    Path expected = dir.resolve("local-expected.db");
    copyDb(template, expected);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + expected)) {
      CrashChild.localTransaction(c, SEED_ROWS, BIG_TX_ROWS, false);
    }
    List<String> after = rows(expected);
    assertThat(after).hasSize(SEED_ROWS - SEED_ROWS / 10 + BIG_TX_ROWS);
    long totalOps = BIG_TX_ROWS + SEED_ROWS / 2 + SEED_ROWS / 10;

    int inside = 0;
    for (int run = 0; run < RUNS; run++) {
      long start = System.nanoTime();
      Path file = dir.resolve("local-" + run + ".db");
      copyDb(template, file);
      String kill;
      List<String> reports;
      try (CrashProcess child = CrashProcess.start(dir, "local", file.toString(), "" + SEED_ROWS, "" + BIG_TX_ROWS)) {
        if (run < RUNS - 1) {
          long ops = (long) (fraction(rnd, run, RUNS - 1) * totalOps);
          kill = "tx-op-" + ops + "/" + totalOps;
          child.awaitAtLeast("progress", ops);
        } else {
          int delay = rnd.nextInt(300);
          kill = "commit+" + delay + "ms";
          child.awaitReport("committed");
          Thread.sleep(delay);
        }
        reports = child.kill();
      }
      String at = "seed=" + SEED + " run=" + run + " kill=" + kill + ": ";
      boolean committed = reports.stream().anyMatch(r -> r.startsWith("committed"));
      boolean captured = reports.contains("captured");
      inside += committed ? 0 : 1;

      assertThat(integrity(file)).as(at + "integrity_check after the kill").isEqualTo("ok");
      try (Cfost db = TestDb.open(file)) {
        List<String> rows = rows(db);
        boolean all = rows.equals(after);
        assertThat(all || rows.equals(before)).as(at + "the killed transaction is all or nothing: %s",
            firstDifference(committed ? after : before, rows)).isTrue();
        assertThat(all || !committed).as(at + "a committed transaction survives the kill").isTrue();
        CrashChecks.replicatesIdentically(at, db, dir.resolve("local-" + run + "-replica.db"));
        report("local-tx", run, kill, rows.size(), (all ? "all" : "none")
            + (committed && !captured ? ",killed-before-capture-returned" : ""), start);
      }
    }
    assertThat(inside).as("seed=" + SEED + ": kills that landed inside the transaction").isPositive();
  }

  // ---- 2. a capture ----

  @Test
  void aKilledCaptureLosesNoCommittedWrite() throws Exception {
    Random rnd = random(2);
    Path template = dir.resolve("capture-template.db");
    try (Cfost db = TestDb.open(template)) {
      sql(db, CrashChild.TABLE_DDL);
      db.replicate(CrashChild.TABLE);
    }
    long captureMillis = -1;
    int inside = 0;
    for (int run = 0; run < RUNS; run++) {
      long start = System.nanoTime();
      Path file = dir.resolve("capture-" + run + ".db");
      copyDb(template, file);
      String kill;
      List<String> reports;
      try (CrashProcess child = CrashProcess.start(dir, "capture", file.toString(), "" + CAPTURE_ROWS)) {
        if (run == 0) { // also measures how long the capture takes, to aim the later kills
          captureMillis = Long.parseLong(child.awaitReport("captured").split(" ")[1]);
          kill = "after-capture(" + captureMillis + "ms)";
        } else {
          long delay = (long) (fraction(rnd, run - 1, RUNS - 1) * captureMillis);
          kill = "commit+" + delay + "ms/" + captureMillis + "ms";
          child.awaitReport("committed");
          Thread.sleep(delay);
        }
        reports = child.kill();
      }
      String at = "seed=" + SEED + " run=" + run + " kill=" + kill + ": ";
      boolean captured = reports.stream().anyMatch(r -> r.startsWith("captured"));
      inside += captured ? 0 : 1;

      assertThat(integrity(file)).as(at + "integrity_check after the kill").isEqualTo("ok");
      try (Cfost db = TestDb.open(file)) {
        List<String> rows = rows(db);
        assertThat(rows).as(at + "the committed transaction, whole").hasSize(CAPTURE_ROWS);
        CrashChecks.replicatesIdentically(at, db, dir.resolve("capture-" + run + "-replica.db"));
        report("capture", run, kill, rows.size(), captured ? "captured" : "killed-mid-capture", start);
      }
    }
    assertThat(inside).as("seed=" + SEED + ": kills that landed inside the capture").isPositive();
  }

  // ---- 3. a merge ----

  @Test
  void aKilledMergeAppliesNoneOrAllOfTheBatch() throws Exception {
    Random rnd = random(3);
    prepareSource();
    Path template = dir.resolve("merge-template.db");
    long v0;
    try (Cfost db = TestDb.open(template)) {
      sql(db, CrashChild.TABLE_DDL);
      db.replicate(CrashChild.TABLE);
      mergeFile(db, sourceChanges, sourceChangeCount / 10); // an earlier sync: the batch overlaps it
      v0 = db.dbVersion();
    }
    List<String> before = rows(template);

    int inside = 0;
    for (int run = 0; run < RUNS; run++) {
      long start = System.nanoTime();
      Path file = dir.resolve("merge-" + run + ".db");
      copyDb(template, file);
      String kill;
      List<String> reports;
      try (CrashProcess child = CrashProcess.start(dir, "merge", file.toString(), sourceChanges.toString())) {
        if (run < RUNS - 1) {
          long change = (long) (fraction(rnd, run, RUNS - 1) * sourceChangeCount);
          kill = "change-" + change + "/" + sourceChangeCount;
          child.awaitAtLeast("progress", change);
        } else {
          int delay = rnd.nextInt(50);
          kill = "merged+" + delay + "ms";
          child.awaitReport("merged");
          Thread.sleep(delay);
        }
        reports = child.kill();
      }
      String at = "seed=" + SEED + " run=" + run + " kill=" + kill + ": ";
      boolean merged = reports.stream().anyMatch(r -> r.startsWith("merged"));
      inside += merged ? 0 : 1;

      assertThat(integrity(file)).as(at + "integrity_check after the kill").isEqualTo("ok");
      try (Cfost db = TestDb.open(file)) {
        List<String> rows = rows(db);
        long version = db.dbVersion();
        boolean all = rows.equals(sourceRows);
        assertThat(all || rows.equals(before)).as(at + "the killed merge is all or nothing: %s",
            firstDifference(merged ? sourceRows : before, rows)).isTrue();
        assertThat(version).as(at + "db_version: one merge transaction or none").isEqualTo(all ? v0 + 1 : v0);
        assertThat(all || !merged).as(at + "a merge that returned survives the kill").isTrue();
        assertThat(integrity(db)).as(at + "integrity_check after reopening").isEqualTo("ok");

        mergeFile(db, sourceChanges, sourceChangeCount);
        assertSameRows(sourceRows, rows(db), at + "the target after a second full merge");
        report("merge", run, kill, rows.size(), all ? "all" : "none", start);
      }
    }
    assertThat(inside).as("seed=" + SEED + ": kills that landed inside the merge").isPositive();
  }

  // ---- 4. a resumed pull ----

  @Test
  void aKilledPullResumesWithoutResendingWhatWasAcknowledged() throws Exception {
    Random rnd = random(4);
    prepareSource();
    Path template = dir.resolve("pull-template.db");
    try (Cfost db = TestDb.open(template)) {
      sql(db, CrashChild.TABLE_DDL);
      db.replicate(CrashChild.TABLE);
    }
    long sourceVersion;
    try (Cfost db = TestDb.open(sourceDb)) {
      sourceVersion = db.dbVersion();
    }
    int batches = sourceChangeCount / PULL_BATCH;
    for (int run = 0; run < RUNS; run++) {
      long start = System.nanoTime();
      Path file = dir.resolve("pull-" + run + ".db");
      Path from = dir.resolve("pull-" + run + "-source.db");
      copyDb(template, file);
      copyDb(sourceDb, from);
      String kill;
      List<String> reports;
      try (CrashProcess child = CrashProcess.start(dir, "pull", file.toString(), from.toString(), "" + PULL_BATCH)) {
        if (run < RUNS - 1) {
          long batch = 1 + (long) (fraction(rnd, run, RUNS - 1) * batches);
          String phase = rnd.nextBoolean() ? "merged" : "saved";
          kill = phase + "-batch-" + batch + "/" + batches;
          child.awaitAtLeast(phase, batch * PULL_BATCH);
        } else {
          kill = "done";
          child.awaitReport("done");
        }
        reports = child.kill();
      }
      String at = "seed=" + SEED + " run=" + run + " kill=" + kill + ": ";
      long acked = last(reports, "saved", 1);
      long merged = last(reports, "merged", 1);
      long lastBatch = last(reports, "merged", 2);

      assertThat(integrity(file)).as(at + "integrity_check of the target after the kill").isEqualTo("ok");
      assertThat(integrity(from)).as(at + "integrity_check of the source after the kill").isEqualTo("ok");
      try (Cfost to = TestDb.open(file); Cfost source = TestDb.open(from)) {
        assertThat(source.dbVersion()).as(at + "the source's db_version").isEqualTo(sourceVersion);
        assertThat(integrity(to)).as(at + "integrity_check after reopening").isEqualTo("ok");
        int resent = TestDb.pull(to, source, PULL_BATCH);
        long total = sourceChangeCount;
        assertThat((long) resent).as(at + "changes pulled after the restart, with %d acknowledged of %d", acked, total)
            .isLessThanOrEqualTo(total - acked);
        assertThat(merged + resent).as(at + "changes transferred in both runs: all, and at most one batch (%d) twice",
            lastBatch).isBetween(total, total + lastBatch);
        assertSameRows(sourceRows, rows(to), at + "the target after the resumed pull");
        assertSameRows(sourceRows, rows(source), at + "the source");
        assertThat(TestDb.pull(to, source, PULL_BATCH)).as(at + "a pull once caught up").isZero();
        report("pull", run, kill, sourceRows.size(), "acked=" + acked + ",merged=" + merged + ",pulled-again="
            + resent + ",total=" + total, start);
      }
    }
  }

  /** The {@code field}-th number of the last report starting with {@code word}, or 0. */
  private static long last(List<String> reports, String word, int field) {
    long value = 0;
    for (String r : reports) {
      if (r.startsWith(word + " ")) {
        value = Long.parseLong(r.split(" ")[field]);
      }
    }
    return value;
  }

  // ---- the source of scenarios 3 and 4 ----

  /**
   * A replica with inserted, updated, deleted and resurrected rows written in several transactions, its
   * whole change stream as JSON Lines, and its rows.
   */
  private static synchronized void prepareSource() throws Exception {
    if (sourceDb != null) {
      return;
    }
    Path file = shared.resolve("source.db");
    Path changes = shared.resolve("source-changes.jsonl");
    try (Cfost db = TestDb.open(file)) {
      sql(db, CrashChild.TABLE_DDL);
      db.replicate(CrashChild.TABLE);
      sql(db, "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < " + (SOURCE_ROWS - 1) + ")"
          + " INSERT INTO item SELECT printf('r%06d', i), i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'label ' || i END,"
          + " i * 0.25, CAST(printf('%08x', i) AS BLOB) FROM s");
      db.capture();
      sql(db, "UPDATE item SET n = n * 2 + 1, label = 'edited' WHERE n % 5 = 0");
      db.capture();
      sql(db, "DELETE FROM item WHERE CAST(substr(id, 2) AS INTEGER) % 25 = 3");
      db.capture();
      sql(db, "WITH RECURSIVE s(i) AS (SELECT 3 UNION ALL SELECT i + 50 FROM s WHERE i + 50 < " + SOURCE_ROWS + ")"
          + " INSERT INTO item SELECT printf('r%06d', i), -i, 'back', NULL, NULL FROM s");
      int count = 0;
      try (BufferedWriter out = Files.newBufferedWriter(changes, StandardCharsets.UTF_8)) {
        Cursor cursor = Cursor.START;
        while (true) {
          ChangeBatch b = db.changes(cursor, 10_000);
          for (Change c : b.changes()) {
            out.write(ChangeJson.write(c));
            out.write('\n');
            count++;
          }
          cursor = b.next();
          if (b.caughtUp()) {
            break;
          }
        }
      }
      sourceRows = rows(db);
      sourceChangeCount = count;
    }
    sourceChanges = changes;
    sourceDb = file;
    System.out.println("crash source rows=" + sourceRows.size() + " changes=" + sourceChangeCount);
  }

  /** Merges the first {@code limit} changes of a JSON Lines file in one {@link Cfost#mergeAll}. */
  private static void mergeFile(Cfost db, Path file, long limit) throws Exception {
    int[] index = {0};
    try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8)) {
      db.mergeAll(lines.limit(limit).map(l -> ChangeJson.read(l, index[0]++)).iterator());
    }
  }
}
