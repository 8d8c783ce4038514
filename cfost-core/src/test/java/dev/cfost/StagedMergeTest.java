package dev.cfost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A merge of more changes than {@link CfostOptions.Builder#mergeChunk} is staged and applied in key order:
 * it must end exactly where the same changes merged in one chunk end, and stay all or nothing.
 */
class StagedMergeTest {
  private static final String[] SCHEMA = {
    "CREATE TABLE t1(id TEXT PRIMARY KEY NOT NULL, a, b)",
    "CREATE TABLE t2(k1 INTEGER NOT NULL, k2 BLOB NOT NULL, x, PRIMARY KEY(k1, k2)) WITHOUT ROWID",
  };

  @TempDir Path dir;
  private final AtomicLong now = new AtomicLong(1_800_000_000_000L);
  private final List<Cfost> open = new ArrayList<>();

  @AfterEach
  void closeAll() {
    open.forEach(Cfost::close);
  }

  private Cfost replica(String name, int mergeChunk) {
    Cfost db = Cfost.open(CfostOptions.builder(dir.resolve(name + ".db"))
        .captureInterval(Duration.ZERO).wallClock(now::get).mergeChunk(mergeChunk).build());
    TestDb.sql(db, SCHEMA);
    db.replicate("t1");
    db.replicate("t2");
    open.add(db);
    return db;
  }

  /** Random inserts, updates, deletes and re-inserts of every value type on 3 replicas that sync now and then. */
  private List<Cfost> histories(Random random) throws SQLException {
    List<Cfost> sources = List.of(replica("a", 10_000), replica("b", 10_000), replica("c", 10_000));
    Object[] values = {null, 7L, -1L, Long.MAX_VALUE, 2.5, -0.0, "", "é", "text", new byte[] {1, 2}, new byte[0]};
    for (int round = 0; round < 6; round++) {
      for (Cfost db : sources) {
        try (Connection c = db.connect()) {
          c.setAutoCommit(false);
          for (int op = 0; op < 250; op++) {
            int key = random.nextInt(120);
            Object v = values[random.nextInt(values.length)];
            switch (random.nextInt(4)) {
              case 0 -> run(c, "DELETE FROM t1 WHERE id = ?", "k" + key);
              case 1 -> run(c, "DELETE FROM t2 WHERE k1 = ? AND k2 = ?", (long) key, new byte[] {(byte) key});
              case 2 -> run(c, "INSERT OR REPLACE INTO t2 VALUES (?, ?, ?)", (long) key, new byte[] {(byte) key}, v);
              default -> run(c, "INSERT INTO t1 VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                  + (random.nextBoolean() ? "a" : "b") + " = excluded.a", "k" + key, v, values[random.nextInt(values.length)]);
            }
          }
          c.commit();
        }
        db.capture();
        now.addAndGet(random.nextInt(3));
      }
      Cfost from = sources.get(random.nextInt(3));
      Cfost to = sources.get(random.nextInt(3));
      if (from != to) {
        TestDb.pull(to, from, 50);
      }
    }
    return sources;
  }

  private static void run(Connection c, String sql, Object... args) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      ps.executeUpdate();
    }
  }

  @Test
  void aStagedMergeEndsWhereAOneChunkMergeEnds() throws SQLException {
    Random random = new Random(20261122);
    List<Cfost> sources = histories(random);
    List<Change> all = allChanges(sources);
    Collections.shuffle(all, random);
    all.addAll(all.subList(0, all.size() / 4)); // duplicates
    assertThat(all.size()).isGreaterThan(1000);
    List<Change> first = all.subList(0, all.size() / 2);
    List<Change> second = all.subList(all.size() / 2, all.size());

    Cfost direct = replica("direct", 1_000_000);
    Cfost staged = replica("staged", 37);
    for (List<Change> part : List.of(first, second)) { // the second merge meets rows the first one wrote
      MergeResult d = direct.merge(part);
      MergeResult s = staged.merge(part);
      assertThat(s.applied()).as("changes applied").isEqualTo(d.applied());
      assertThat(s.received()).isEqualTo(d.received());
    }

    Cfost converged = sources.get(0);
    converged.merge(all);
    assertSameEnd(converged, direct, staged);
  }

  private static List<Change> allChanges(List<Cfost> sources) {
    List<Change> all = new ArrayList<>();
    for (Cfost db : sources) {
      all.addAll(TestDb.allChanges(db, 100));
    }
    return all;
  }

  /** The one-chunk merge holds the converged tables, and the chunked one holds the same and the same clocks. */
  private static void assertSameEnd(Cfost converged, Cfost direct, Cfost chunked) {
    for (String t : List.of("t1", "t2")) {
      assertThat(TestDb.dump(direct, t)).as("table " + t + ", one chunk").isEqualTo(TestDb.dump(converged, t));
      assertThat(TestDb.dump(chunked, t)).as("table " + t + ", in chunks").isEqualTo(TestDb.dump(direct, t));
    }
    assertThat(MergeProperties.clockState(chunked)).isEqualTo(MergeProperties.clockState(direct));
  }

  @Test
  void aMergeArrivingInKeyOrderIsMergedAsItComesAndEndsWhereAOneChunkMergeEnds() throws SQLException {
    Random random = new Random(11);
    List<Cfost> sources = histories(random);
    List<Change> all = allChanges(sources);
    List<Change> sorted = inKeyOrder(all); // a row has changes from 3 sites: chunks run past 37 to keep them together
    List<Change> sortedThenNot = new ArrayList<>(sorted.subList(0, sorted.size() / 2));
    List<Change> rest = new ArrayList<>(sorted.subList(sorted.size() / 2, sorted.size()));
    Collections.shuffle(rest, random);
    sortedThenNot.addAll(rest); // in key order, then not: merged as it comes, then staged

    Cfost converged = sources.get(0);
    converged.merge(all);
    for (List<Change> changes : List.of(sorted, sortedThenNot)) {
      Cfost direct = replica("direct" + open.size(), 1_000_000);
      Cfost chunked = replica("chunked" + open.size(), 37);
      MergeResult d = direct.merge(changes);
      MergeResult c = chunked.merge(changes);
      assertThat(c.applied()).as("changes applied").isEqualTo(d.applied());
      assertSameEnd(converged, direct, chunked);
    }
  }

  /** The changes sorted by table and packed key, each row's changes in their order. */
  private static List<Change> inKeyOrder(List<Change> changes) {
    List<Change> sorted = new ArrayList<>(changes);
    sorted.sort(java.util.Comparator.comparing(Change::table)
        .thenComparing(Change::pk, java.util.Arrays::compareUnsigned));
    return sorted;
  }

  @Test
  void aMergeRefusedAfterChunksWereMergedLeavesTheHybridClockWhereItWas() throws SQLException {
    Cfost source = replica("source", 10_000);
    TestDb.sql(source, "INSERT INTO t1 VALUES ('k1', 1, 2), ('k2', 3, 4), ('k3', 5, 6)");
    long ahead = (now.get() + 30_000) << 16; // within the allowed drift: adopted if the merge commits
    List<Change> changes = new ArrayList<>();
    for (Change c : inKeyOrder(TestDb.allChanges(source, 100))) {
      changes.add(new Change(c.table(), c.pk(), c.cid(), c.val(), ahead, c.dbVersion(), c.siteId(), c.cl(), c.seq()));
    }
    Change last = changes.remove(changes.size() - 1); // k3's last cell, renamed to a column that does not exist
    changes.add(new Change(last.table(), last.pk(), "nope", last.val(), ahead, 1, last.siteId(), last.cl(), 0));
    Cfost chunked = replica("chunked", 2); // k1 and k2 are merged as they come, then k3 is refused
    assertThatThrownBy(() -> chunked.merge(changes)).isInstanceOf(InvalidChangeException.class)
        .hasMessageContaining("nope");
    assertThat(TestDb.dump(chunked, "t1")).isEmpty();

    TestDb.sql(chunked, "INSERT INTO t1 VALUES ('local', 1, 1)");
    chunked.capture();
    long stamped = TestDb.allChanges(chunked, 100).get(0).colVersion();
    assertThat(stamped >> 16).as("the local write's clock, in ms").isLessThan(now.get() + 30_000);
  }

  @Test
  void aBadChangeLateInAStagedMergeAppliesNothingAndLeavesNothingStaged() throws SQLException {
    List<Cfost> sources = histories(new Random(7));
    List<Change> good = TestDb.allChanges(sources.get(0), 100);
    assertAllOrNothing(sources.get(0), good, "staged");
    assertAllOrNothing(sources.get(0), inKeyOrder(good), "merged as it comes");
  }

  private void assertAllOrNothing(Cfost source, List<Change> good, String name) {
    List<Change> bad = new ArrayList<>(good);
    Change last = good.get(good.size() - 1);
    bad.add(new Change("t1", last.pk(), "nope", 1L, last.colVersion(), 1, last.siteId(), 1, 0));
    Cfost staged = replica(name, 25);

    assertThatThrownBy(() -> staged.merge(bad)).isInstanceOf(InvalidChangeException.class)
        .hasMessageContaining("nope");
    assertThat(TestDb.dump(staged, "t1")).isEmpty();
    assertThat(TestDb.dump(staged, "t2")).isEmpty();
    assertThat(staged.dbVersion()).isZero();

    staged.merge(good);
    staged.merge(good.subList(0, 30)); // nothing left over from the failed merge is merged again
    for (String t : List.of("t1", "t2")) {
      assertThat(TestDb.dump(staged, t)).as("table " + t + ", " + name).isEqualTo(TestDb.dump(source, t));
    }
  }
}
