package dev.cfost;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;

/** The algebra of merge, by property: commutative and idempotent, on changes from random histories. */
class MergeProperties {
  private final ConvergenceProperties scenarios = new ConvergenceProperties();

  @net.jqwik.api.Provide
  net.jqwik.api.Arbitrary<List<ConvergenceProperties.Step>> scenarios() {
    return scenarios.scenarios();
  }

  @net.jqwik.api.Provide
  net.jqwik.api.Arbitrary<List<Integer>> siteOrders() {
    return scenarios.siteOrders();
  }

  @Property(tries = 30, shrinking = ShrinkingMode.BOUNDED)
  void mergeIsCommutativeAndIdempotent(@ForAll("scenarios") List<ConvergenceProperties.Step> steps,
      @ForAll("siteOrders") List<Integer> sites) throws Exception {
    Path dir = Files.createTempDirectory("cfost-merge");
    AtomicLong now = new AtomicLong(1_800_000_000_000L);
    List<Cfost> dbs = new ArrayList<>();
    try {
      openReplicas(dir, now, dbs, 10_000, sites);
      // Histories on replicas 0..2 (steps naming replica 0..2 and exchanging among them).
      for (ConvergenceProperties.Step s : steps) {
        ConvergenceProperties.apply(dbs.subList(0, 3), s, now);
      }
      List<Change> s1 = TestDb.allChanges(dbs.get(0), 4);
      List<Change> s2 = TestDb.allChanges(dbs.get(1), 4);
      Random random = new Random(steps.hashCode());
      Cfost x = dbs.get(3);
      Cfost y = dbs.get(4);
      x.merge(shuffled(s1, random));
      x.merge(shuffled(s2, random));
      y.merge(shuffled(s2, random));
      y.merge(shuffled(s1, random));
      for (String t : List.of("t1", "t2")) {
        assertThat(TestDb.dump(y, t)).as("s2 then s1 vs s1 then s2, table " + t).isEqualTo(TestDb.dump(x, t));
      }
      assertThat(clockState(y)).isEqualTo(clockState(x));

      long version = x.dbVersion();
      List<String> before = TestDb.dump(x, "t1");
      MergeResult again = x.merge(shuffled(s1, random));
      assertThat(again.applied()).as("changes applied by a second merge of the same batch").isZero();
      assertThat(x.dbVersion()).isEqualTo(version);
      assertThat(TestDb.dump(x, "t1")).isEqualTo(before);
    } finally {
      for (Cfost db : dbs) {
        db.close();
      }
      ConvergenceProperties.deleteTree(dir);
    }
  }

  /**
   * A merge larger than one chunk is staged and applied in key order: it must end exactly where the same
   * changes merged chunk-free end, tables and clocks alike (a row's changes keep their order).
   */
  @Property(tries = 60, shrinking = ShrinkingMode.BOUNDED)
  void aStagedMergeEndsWhereADirectOneEnds(@ForAll("scenarios") List<ConvergenceProperties.Step> steps,
      @ForAll("siteOrders") List<Integer> sites) throws Exception {
    Path dir = Files.createTempDirectory("cfost-staged");
    AtomicLong now = new AtomicLong(1_800_000_000_000L);
    List<Cfost> dbs = new ArrayList<>();
    try {
      openReplicas(dir, now, dbs, 3, sites); // the last one stages any merge of more than 3 changes
      for (ConvergenceProperties.Step s : steps) {
        ConvergenceProperties.apply(dbs.subList(0, 3), s, now);
      }
      Random random = new Random(steps.hashCode());
      List<Change> s1 = shuffled(TestDb.allChanges(dbs.get(0), 4), random);
      List<Change> s2 = shuffled(TestDb.allChanges(dbs.get(1), 4), random);
      s2.addAll(s2.subList(0, s2.size() / 3)); // duplicates, later in the batch
      Cfost direct = dbs.get(3);
      Cfost staged = dbs.get(4);
      for (List<Change> batch : List.of(s1, s2)) {
        MergeResult a = direct.merge(batch);
        MergeResult b = staged.merge(batch);
        assertThat(b.applied()).as("changes applied").isEqualTo(a.applied());
      }
      for (String t : List.of("t1", "t2")) {
        assertThat(TestDb.dump(staged, t)).as("table " + t).isEqualTo(TestDb.dump(direct, t));
      }
      assertThat(clockState(staged)).isEqualTo(clockState(direct));
    } finally {
      for (Cfost db : dbs) {
        db.close();
      }
      ConvergenceProperties.deleteTree(dir);
    }
  }

  /** Five replicas of the two-table schema into {@code dbs}; the last merges {@code lastChunk} changes at a time. */
  private static void openReplicas(Path dir, AtomicLong now, List<Cfost> dbs, int lastChunk, List<Integer> sites) {
    for (int i = 0; i < 5; i++) {
      Cfost db = TestDb.openAsSite(CfostOptions.builder(dir.resolve("r" + i + ".db")).captureInterval(Duration.ZERO)
          .wallClock(now::get).mergeChunk(i == 4 ? lastChunk : 10_000).build(), sites.get(i));
      dbs.add(db);
      TestDb.sql(db, ConvergenceProperties.SCHEMA);
      db.replicate("t1");
      db.replicate("t2");
    }
  }

  private static List<Change> shuffled(List<Change> changes, Random random) {
    List<Change> copy = new ArrayList<>(changes);
    Collections.shuffle(copy, random);
    return copy;
  }

  /** What a replica believes about every cell, without its local counters (db_version, seq). */
  static Set<String> clockState(Cfost db) {
    Set<String> out = new TreeSet<>();
    for (Change c : TestDb.allChanges(db, 100)) {
      out.add(c.table() + " " + Values.hex(c.pk()) + " " + c.cid() + " " + c.colVersion() + " " + c.cl() + " "
          + Values.hex(c.siteId()) + " " + ChangeJson.write(c).replaceAll(".*\"val\":", "").replaceAll(",\"col_version.*", ""));
    }
    return out;
  }
}
