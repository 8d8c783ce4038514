package dev.cfost;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
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
 * Hunts for the next engine defect: three replicas, the first with two engines on its file (a daemon and
 * a CLI command), interleave random writes, plain-SQL schema changes (columns added and renamed, the
 * table dropped, rebuilt and created again), partial deliveries and hostile changes. Nothing may throw
 * but the documented refusals, no engine may get stuck, and at the end the replicas are identical.
 *
 * <p>Tries: {@code jqwik.tries.default} in junit-platform.properties (CI); a long run sets it on the
 * command line (docs/RELIABILITY.md).
 */
class SchemaChangeProperties {
  /** One step; {@code kind} picks the operation, the other fields are its random arguments. */
  record Step(int kind, int replica, int engine, int other, int key, Object value, int batch, long seed) {}

  @Provide
  Arbitrary<List<Step>> scenarios() {
    Arbitrary<Object> values = Arbitraries.oneOf(
        Arbitraries.just(null),
        Arbitraries.longs().between(-3, 3).map(Object.class::cast),
        Arbitraries.of(1.0, -0.0, 0.0, 2.5).map(Object.class::cast),
        Arbitraries.strings().alpha().ofMaxLength(3).map(Object.class::cast),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(3).map(Object.class::cast));
    Arbitrary<Step> step = Combinators.combine(
            Arbitraries.integers().between(0, 19),
            Arbitraries.integers().between(0, 2),
            Arbitraries.integers().between(0, 1),
            Arbitraries.integers().between(0, 2),
            Arbitraries.integers().between(0, 4),
            values,
            Arbitraries.integers().between(1, 8),
            Arbitraries.longs())
        .as(Step::new);
    return step.list().ofMinSize(10).ofMaxSize(60);
  }

  @Provide
  Arbitrary<List<Integer>> siteOrders() {
    return Arbitraries.shuffle(1, 2, 3);
  }

  @Property(shrinking = ShrinkingMode.BOUNDED)
  void replicasConvergeThroughSchemaChangesTwoEnginesAndHostileChanges(
      @ForAll("scenarios") List<Step> steps, @ForAll("siteOrders") List<Integer> sites) throws Exception {
    Path dir = Files.createTempDirectory("cfost-schema-prop");
    AtomicLong now = new AtomicLong(1_800_000_000_000L);
    World w = new World(now);
    try {
      for (int i = 0; i < 3; i++) {
        CfostOptions options = CfostOptions.builder(dir.resolve("r" + i + ".db"))
            .captureInterval(Duration.ZERO).wallClock(now::get).build();
        Cfost db = TestDb.openAsSite(options, sites.get(i));
        TestDb.sql(db, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, a, b)",
            "CREATE TABLE u(k1 INTEGER NOT NULL, k2 TEXT NOT NULL, x, PRIMARY KEY(k1, k2)) WITHOUT ROWID");
        db.replicate("t");
        db.replicate("u");
        w.engines.add(i == 0 ? List.of(db, Cfost.open(options)) : List.of(db));
      }
      for (Step s : steps) {
        w.apply(s);
      }
      w.recreateWhereDropped();
      w.syncUntilQuiet();
      for (String table : List.of("t", "u")) {
        List<String> first = TestDb.dump(w.engine(0, 0), table);
        for (int r = 0; r < 3; r++) {
          for (int e = 0; e < w.engines.get(r).size(); e++) {
            assertThat(TestDb.dump(w.engine(r, e), table)).as(table + " on replica " + r + " engine " + e)
                .isEqualTo(first);
          }
        }
      }
    } finally {
      for (List<Cfost> engines : w.engines) {
        for (Cfost db : engines) {
          db.close();
        }
      }
      ConvergenceProperties.deleteTree(dir);
    }
  }

  /** The replicas, the columns of t as they are named now, and whether t is dropped on a replica. */
  static final class World {
    final List<List<Cfost>> engines = new ArrayList<>();
    final AtomicLong now;
    final List<String> columns = new ArrayList<>(List.of("a", "b"));
    final boolean[] dropped = new boolean[3];
    int renames;

    World(AtomicLong now) {
      this.now = now;
    }

    Cfost engine(int replica, int engine) {
      List<Cfost> e = engines.get(replica);
      return e.get(engine % e.size());
    }

    void apply(Step s) throws SQLException {
      Cfost db = engine(s.replica(), s.engine());
      String col = columns.get(s.key() % columns.size());
      String id = "k" + s.key();
      boolean tExists = !dropped[s.replica()];
      switch (s.kind()) {
        case 0, 1, 2 -> {
          if (tExists) {
            write(db, "INSERT OR REPLACE INTO t(id, " + q(col) + ") VALUES (?, ?)", id, s.value());
          }
        }
        case 3 -> {
          if (tExists) {
            write(db, "UPDATE t SET " + q(col) + " = ? WHERE id = ?", s.value(), id);
          }
        }
        case 4 -> {
          if (tExists) {
            write(db, "DELETE FROM t WHERE id = ?", id);
          }
        }
        case 5 -> write(db, "INSERT OR REPLACE INTO u VALUES (?, ?, ?)", (long) s.key() % 2, id, s.value());
        case 6 -> write(db, "DELETE FROM u WHERE k1 = ?", (long) s.key() % 2);
        case 7 -> now.addAndGet(s.key() * 100L - 150); // the wall clock also steps back
        case 8 -> addColumnEverywhere("c" + columns.size() + "_" + s.key());
        case 9 -> renameColumnEverywhere(col);
        case 10 -> dropOrRecreate(s);
        case 11 -> rebuild(s.replica());
        case 12 -> hostile(db, s);
        case 13 -> db.capture();
        default -> deliver(engine(s.other(), s.engine()), db, s);
      }
    }

    private boolean anyDropped() {
      return dropped[0] || dropped[1] || dropped[2];
    }

    /** Schema changes are made on every replica at one step, as an application release would. */
    private void addColumnEverywhere(String name) throws SQLException {
      if (anyDropped()) {
        return;
      }
      for (int r = 0; r < 3; r++) {
        sql(engine(r, r), "ALTER TABLE t ADD COLUMN " + q(name));
      }
      columns.add(name);
    }

    private void renameColumnEverywhere(String col) throws SQLException {
      if (anyDropped()) {
        return;
      }
      String name = col.replaceAll("_r\\d+$", "") + "_r" + (++renames);
      for (int r = 0; r < 3; r++) {
        sql(engine(r, 1), "ALTER TABLE t RENAME COLUMN " + q(col) + " TO " + q(name));
      }
      columns.set(columns.indexOf(col), name);
    }

    private void dropOrRecreate(Step s) throws SQLException {
      int r = s.replica();
      if (dropped[r]) {
        sql(engine(r, s.engine()), createT("t"));
        dropped[r] = false;
      } else {
        sql(engine(r, s.engine()), "DROP TABLE t");
        dropped[r] = true;
      }
    }

    void recreateWhereDropped() throws SQLException {
      for (int r = 0; r < 3; r++) {
        if (dropped[r]) {
          sql(engine(r, 0), createT("t"));
          dropped[r] = false;
        }
      }
    }

    /** SQLite's 12-step table change: a new table, the rows copied, the old one dropped, the new renamed. */
    private void rebuild(int r) throws SQLException {
      if (dropped[r]) {
        return;
      }
      sql(engine(r, 0), createT("t_new"), "INSERT INTO t_new SELECT * FROM t", "DROP TABLE t",
          "ALTER TABLE t_new RENAME TO t");
    }

    private String createT(String name) {
      StringBuilder sb = new StringBuilder("CREATE TABLE " + name + "(id TEXT PRIMARY KEY NOT NULL");
      for (String c : columns) {
        sb.append(", ").append(q(c));
      }
      return sb.append(')').toString();
    }

    /** A change no honest replica sends: refused with a documented error, or harmless if it is valid. */
    private void hostile(Cfost db, Step s) {
      Random random = new Random(s.seed());
      byte[] site = new byte[16];
      random.nextBytes(site);
      long stamp = dev.cfost.internal.HybridClock.timestamp(now.get(), 0);
      byte[] pk = switch (random.nextInt(5)) {
        case 0 -> randomBytes(random);
        case 1 -> new byte[] {1, 0x0b, 'k', (byte) ('0' + s.key())}; // text key "k<n>"
        case 2 -> new byte[] {1, (byte) ((3 << 3) | 3), 0, 0, 2, 'k', (byte) ('0' + s.key())}; // its 3-byte length
        case 3 -> new byte[] {2, 0x0b, 'k', 5}; // two columns for a one-column key
        default -> dev.cfost.internal.PackedKey.pack(List.of("k" + s.key()));
      };
      long[] versions = {0, 1, stamp, Long.MAX_VALUE, -1, (1L << 53), stamp + (1L << 40)};
      long[] lengths = {1, 2, 3, Long.MAX_VALUE, 0, (1L << 53) + 1, Long.MAX_VALUE - 1};
      String table = random.nextInt(6) == 0 ? "nope" : random.nextBoolean() ? "t" : "u";
      String cid = switch (random.nextInt(4)) {
        case 0 -> Change.SENTINEL;
        case 1 -> "no such column";
        default -> columns.get(random.nextInt(columns.size()));
      };
      Object val = cid.equals(Change.SENTINEL) ? null : s.value();
      Change c = new Change(table, pk, cid, val, versions[random.nextInt(versions.length)],
          random.nextInt(5), site, lengths[random.nextInt(lengths.length)], random.nextInt(3));
      try {
        db.merge(List.of(c));
      } catch (InvalidChangeException | ClockDriftException refused) {
        // documented refusals; the next steps show the engine is not stuck
      }
    }

    private static byte[] randomBytes(Random random) {
      byte[] b = new byte[random.nextInt(8)];
      random.nextBytes(b);
      return b;
    }

    private void deliver(Cfost to, Cfost from, Step s) {
      if (!to.path().equals(from.path())) {
        ConvergenceProperties.deliver(to, from, s.batch(), s.seed());
      }
    }

    void syncUntilQuiet() {
      for (int round = 0; round < 10; round++) {
        int moved = 0;
        for (int to = 0; to < 3; to++) {
          for (int from = 0; from < 3; from++) {
            if (to != from) {
              moved += TestDb.pull(engine(to, round), engine(from, round + 1), 50);
            }
          }
        }
        if (moved == 0) {
          return;
        }
      }
      throw new AssertionError("the replicas still exchange changes after 10 rounds");
    }

    private static String q(String name) {
      return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    private static void sql(Cfost db, String... statements) throws SQLException {
      try (Connection c = db.connect(); Statement st = c.createStatement()) {
        for (String s : statements) {
          st.execute(s);
        }
      }
    }

    private static void write(Cfost db, String sql, Object... args) throws SQLException {
      ConvergenceProperties.write(db, sql, args);
    }
  }
}
