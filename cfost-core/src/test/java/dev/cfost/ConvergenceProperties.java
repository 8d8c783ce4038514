package dev.cfost;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
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
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;

/**
 * Invariant 1, by property: three replicas make random inserts, updates, deletes and re-inserts over a
 * two-table schema holding every SQLite type, exchange partial batches in random order with duplicates
 * while they do, and after every replica has received every change they hold identical tables.
 */
class ConvergenceProperties {
  static final String[] SCHEMA = {
    "CREATE TABLE t1(id TEXT PRIMARY KEY NOT NULL, a, b)",
    "CREATE TABLE t2(k1 INTEGER NOT NULL, k2 BLOB NOT NULL, x, r REAL, PRIMARY KEY(k1, k2)) WITHOUT ROWID",
  };

  /** One step: a local write on a replica, a partial delivery between two replicas, or a clock tick. */
  record Step(int kind, int replica, int other, int key, Object v1, Object v2, int batch, long seed) {}

  @Provide
  Arbitrary<Object> sqliteValues() {
    return Arbitraries.oneOf(
        Arbitraries.just(null),
        Arbitraries.longs().map(Object.class::cast),
        Arbitraries.of(0L, 1L, -1L, Long.MAX_VALUE, Long.MIN_VALUE).map(Object.class::cast),
        Arbitraries.doubles().map(Object.class::cast),
        Arbitraries.of(1.0, -0.0, 0.5, 1e300).map(Object.class::cast),
        Arbitraries.strings().ofMaxLength(6).map(Object.class::cast),
        Arbitraries.of("", "é", "a", "b").map(Object.class::cast),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(4).map(Object.class::cast));
  }

  @Provide
  Arbitrary<List<Step>> scenarios() {
    Arbitrary<Step> step = Combinators.combine(
            Arbitraries.integers().between(0, 9),
            Arbitraries.integers().between(0, 2),
            Arbitraries.integers().between(0, 2),
            Arbitraries.integers().between(0, 5),
            sqliteValues(),
            sqliteValues(),
            Arbitraries.integers().between(1, 6),
            Arbitraries.longs())
        .as(Step::new);
    return step.list().ofMinSize(5).ofMaxSize(40);
  }

  /** The order of the replicas' site ids, which decides ties: generated, so a seed repeats a failure. */
  @Provide
  Arbitrary<List<Integer>> siteOrders() {
    return Arbitraries.shuffle(1, 2, 3, 4, 5);
  }

  @Property(tries = 40, shrinking = ShrinkingMode.BOUNDED)
  void replicasConvergeWhateverTheDeliveryOrder(
      @ForAll("scenarios") List<Step> steps, @ForAll("siteOrders") List<Integer> sites) throws Exception {
    Path dir = Files.createTempDirectory("cfost-prop");
    AtomicLong now = new AtomicLong(1_800_000_000_000L);
    List<Cfost> dbs = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        Cfost db = TestDb.openAsSite(CfostOptions.builder(dir.resolve("r" + i + ".db"))
            .captureInterval(Duration.ZERO).wallClock(now::get).build(), sites.get(i));
        TestDb.sql(db, SCHEMA);
        db.replicate("t1");
        db.replicate("t2");
        dbs.add(db);
      }
      for (Step s : steps) {
        apply(dbs, s, now);
      }
      // Final exchange: each replica's state is read first, then every replica merges the others' states,
      // shuffled, duplicated and in random batches. Reading all states before merging any makes the order
      // of merges matter if the merge were not commutative.
      Random random = new Random(steps.size());
      List<List<Change>> states = new ArrayList<>();
      for (Cfost db : dbs) {
        states.add(TestDb.allChanges(db, 5));
      }
      for (int to = 0; to < 3; to++) {
        List<Change> all = new ArrayList<>();
        for (int from = 0; from < 3; from++) {
          if (from != to) {
            all.addAll(states.get(from));
          }
        }
        all.addAll(all.subList(0, all.size() / 3));
        Collections.shuffle(all, random);
        for (int i = 0; i < all.size(); i += 7) {
          dbs.get(to).merge(all.subList(i, Math.min(all.size(), i + 7)));
        }
      }
      for (String table : List.of("t1", "t2")) {
        List<String> first = TestDb.dump(dbs.get(0), table);
        assertThat(TestDb.dump(dbs.get(1), table)).as(table + " on replica 1").isEqualTo(first);
        assertThat(TestDb.dump(dbs.get(2), table)).as(table + " on replica 2").isEqualTo(first);
      }
    } finally {
      for (Cfost db : dbs) {
        db.close();
      }
      deleteTree(dir);
    }
  }

  static void apply(List<Cfost> dbs, Step s, AtomicLong now) throws SQLException {
    Cfost db = dbs.get(s.replica());
    String id = "k" + s.key();
    byte[] k2 = {(byte) s.key()};
    switch (s.kind()) {
      case 0, 1 -> write(db, "INSERT OR REPLACE INTO t1 VALUES (?, ?, ?)", id, s.v1(), s.v2());
      case 2 -> write(db, "UPDATE t1 SET a = ? WHERE id = ?", s.v1(), id);
      case 3 -> write(db, "UPDATE t1 SET b = ?, a = ? WHERE id = ?", s.v2(), s.v1(), id);
      case 4 -> write(db, "DELETE FROM t1 WHERE id = ?", id);
      case 5 -> write(db, "INSERT OR REPLACE INTO t2 VALUES (?, ?, ?, ?)", (long) s.key() % 3, k2, s.v1(), s.v2());
      case 6 -> write(db, "DELETE FROM t2 WHERE k1 = ?", (long) s.key() % 3);
      case 7 -> now.addAndGet(s.key() - 2); // the wall clock also steps back
      default -> deliver(dbs.get(s.other()), db, s);
    }
  }

  /** Runs one statement through a connection of {@code db}, binding SQLite values (NULL, blobs). */
  static void write(Cfost db, String sql, Object... args) throws SQLException {
    try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        Object v = args[i];
        if (v == null) {
          ps.setNull(i + 1, java.sql.Types.NULL);
        } else if (v instanceof byte[]) {
          ps.setBytes(i + 1, (byte[]) v);
        } else {
          ps.setObject(i + 1, v);
        }
      }
      ps.executeUpdate();
    }
  }

  private static void deliver(Cfost to, Cfost from, Step s) {
    if (to != from) {
      deliver(to, from, s.batch(), s.seed());
    }
  }

  /** A partial pull: one batch of at most {@code size}, shuffled by {@code seed}, merged twice if it is even. */
  static void deliver(Cfost to, Cfost from, int size, long seed) {
    Cursor cursor = to.peerCursor(from.siteId());
    ChangeBatch batch = from.changes(cursor, size);
    List<Change> changes = new ArrayList<>(batch.changes());
    Collections.shuffle(changes, new Random(seed));
    to.merge(changes);
    if ((seed & 1) == 0) {
      to.merge(changes);
    }
    to.savePeerCursor(from.siteId(), batch.next());
  }

  static void deleteTree(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
