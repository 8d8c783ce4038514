package dev.cfost.bench;

import dev.cfost.Cfost;
import dev.cfost.MergeResult;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The end-to-end benchmark: the cost of change capture on the application's inserts, the merge rate
 * against a raw insert, and the change extraction rate. Run it with the root script {@code ./bench};
 * docs/BENCHMARKS.md explains every figure.
 *
 * <p>Every repetition works on the same generated rows in fresh database files; the variants that are
 * compared run side by side in each repetition, in alternating order, and the ratios are taken per
 * repetition before the median.
 */
public final class Bench {
  private final Options options;
  private final Results results = new Results(true);
  private final HeapWatch heap = new HeapWatch();

  private Bench(Options options) {
    this.options = options;
  }

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    if (options == null) {
      System.out.println(Options.USAGE);
      return;
    }
    System.exit(new Bench(options).run());
  }

  private int run() throws Exception {
    Workloads.appCacheMib = options.cacheMib;
    double loadBefore = load();
    printHeader(loadBefore);
    Path parent = options.dir == null ? Files.createTempDirectory("cfost-bench") : Files.createDirectories(options.dir);
    boolean ok = true;
    try {
      long warm = Math.min(options.rows, 20_000);
      System.out.printf("warm-up (%,d rows, not counted) ...%n", warm);
      ok &= repetition(parent.resolve("warmup"), new Rows(options.seed, warm), 0, new Results(false));
      for (int r = 1; r <= options.reps; r++) {
        long t0 = System.nanoTime();
        ok &= repetition(parent.resolve("rep" + r), new Rows(options.seed, options.rows), r, results);
        System.out.printf("repetition %d of %d done in %.1f s (load %.2f)%n", r, options.reps,
            (System.nanoTime() - t0) / 1e9, load());
      }
    } finally {
      if (options.dir == null) {
        Workloads.deleteTree(parent);
      }
    }
    new Report(options, results).print(loadBefore, load());
    if (!ok) {
      System.out.println("FAILED: a replica does not hold the same rows as the plain table (see above)");
    }
    return ok ? 0 : 1;
  }

  private void printHeader(double load) {
    Runtime rt = Runtime.getRuntime();
    System.out.printf(Locale.ROOT, "CFOST benchmark, %s%n", java.time.ZonedDateTime.now().withNano(0));
    System.out.printf(Locale.ROOT, "JVM %s (%s), %d cores, max heap %d MiB, load average %.2f%n",
        System.getProperty("java.vm.version"), System.getProperty("java.vm.name"), rt.availableProcessors(),
        rt.maxMemory() >> 20, load);
    System.out.printf(Locale.ROOT, "SQLite %s (sqlite-jdbc %s); %s%n", sqliteVersion(),
        org.sqlite.SQLiteJDBCLoader.getVersion(), System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    System.out.printf(Locale.ROOT, "rows %,d, repetitions %d, seed %d, change batch %d, app page cache %s%n%n",
        options.rows, options.reps, options.seed, Workloads.BATCH,
        options.cacheMib > 0 ? options.cacheMib + " MiB" : "SQLite's default");
  }

  /** One repetition in fresh files under {@code dir}; false if a replica's rows differ. */
  private boolean repetition(Path dir, Rows rows, int rep, Results out) throws Exception {
    Workloads.deleteTree(dir); // what a killed run left there
    Files.createDirectories(dir);
    try {
      // (a) the application's insert transaction: plain and replicated, with the driver's default
      // settings and with generated keys off, in an order that rotates with the repetition.
      Cfost source = Workloads.replicatedTable(dir.resolve("source.db"));
      try {
        for (int v = 0; v < 4; v++) {
          switch ((v + rep) % 4) {
            case 0 -> {
              phase();
              out.add("insert.plain", Workloads.insertPlain(dir.resolve("plain.db"), rows, true), heap);
            }
            case 1 -> {
              try (Connection c = Workloads.appSettings(source.connect())) {
                phase();
                out.add("insert.replicated", Workloads.insert(c, rows), heap);
              }
              phase();
              Stopwatch t = Stopwatch.start();
              source.capture();
              out.add("capture", t.stop(), heap);
            }
            case 2 -> {
              phase();
              out.add("insert.plain.nokeys", Workloads.insertPlain(dir.resolve("plain-nokeys.db"), rows, false), heap);
            }
            default -> {
              phase();
              out.add("insert.replicated.nokeys",
                  Workloads.insertReplicatedNoKeys(dir.resolve("replicated-nokeys.db"), rows), heap);
            }
          }
        }
        String expected;
        try (Connection c = Workloads.plainConnection(dir.resolve("plain.db"), true)) {
          expected = Workloads.fingerprint(c);
        }
        for (String f : new String[] {"plain", "plain-nokeys", "replicated-nokeys"}) {
          for (String ext : new String[] {".db", ".db-wal", ".db-shm"}) {
            Files.deleteIfExists(dir.resolve(f + ext));
          }
        }

        if (options.insertOnly) {
          return true;
        }

        // (c) extraction, which also writes the changes to a binary spill for the merge.
        Path spill = dir.resolve("changes.bin");
        phase();
        Workloads.Extraction ex;
        try (ChangeSpill.Writer w = new ChangeSpill.Writer(spill)) {
          ex = Workloads.extract(source, w);
        }
        out.add("extract", ex.span(), heap);
        out.changes = ex.changes();
        out.batches = ex.batches();
        out.spill.add(ex.spill());
        phase();
        Workloads.Timed<Long> decoded = Workloads.decodeOnly(spill);
        out.add("decode", decoded.span(), heap);

        // (b) merges into empty replicas: from the spill in its (key) order, from the spill out of key
        // order, and streamed straight from the source; the order of the variants turns with each rep.
        boolean ok = true;
        String[] variants = {"merge.spill", "merge.interleaved", "merge.streamed"};
        for (int v = 0; v < variants.length; v++) {
          String name = variants[(v + rep) % variants.length];
          if (name.equals("merge.streamed") && !options.streamed) {
            continue;
          }
          try (Cfost replica = Workloads.replicatedTable(dir.resolve(name + ".db"))) {
            phase();
            Workloads.Timed<MergeResult> m = switch (name) {
              case "merge.spill" -> Workloads.mergeSpill(replica, spill);
              case "merge.interleaved" -> Workloads.mergeInterleaved(replica, spill, ex.changes());
              default -> Workloads.mergeStreamed(replica, source);
            };
            out.add(name, m.span(), heap);
            if (m.value().received() != ex.changes()) {
              System.out.printf("%s received %d changes, extraction read %d%n", name, m.value().received(),
                  ex.changes());
              ok = false;
            }
            try (Connection c = replica.connect()) {
              String got = Workloads.fingerprint(c);
              if (!got.equals(expected)) {
                System.out.printf("%s: replica holds %s, plain table %s%n", name, got, expected);
                ok = false;
              }
            }
          }
        }
        return ok;
      } finally {
        source.close();
      }
    } finally {
      Workloads.deleteTree(dir);
    }
  }

  /** Starts a measured phase from a collected heap, so that one phase's garbage is not billed to the next. */
  private void phase() throws InterruptedException {
    System.gc();
    Thread.sleep(50); // let the notification of that collection arrive before the reset
    heap.reset();
  }

  private static String sqliteVersion() {
    try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite::memory:");
        java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT sqlite_version()")) {
      return rs.next() ? rs.getString(1) : "?";
    } catch (java.sql.SQLException e) {
      return "? (" + e.getMessage() + ")";
    }
  }

  private static double load() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  /** Command-line options. */
  static final class Options {
    static final String USAGE = String.join("\n",
        "usage: ./bench [--quick] [--rows N] [--reps R] [--seed S] [--dir DIR] [--no-streamed]",
        "  --rows N       rows to insert and merge (default 1000000)",
        "  --quick        smoke run: 20000 rows",
        "  --reps R       repetitions; medians are reported (default 3)",
        "  --seed S       seed of the generated rows (default 42)",
        "  --dir DIR      where the database files go (default: a new temp dir, deleted afterwards)",
        "  --no-streamed  skip the merge streamed straight from the source replica",
        "  --insert-only  only the (a) phases: the INSERT transactions and the capture",
        "  --cache-mib M  PRAGMA cache_size of the application's connections, plain and replicated alike",
        "                 (default: SQLite's, 2 MiB)");

    long rows = 1_000_000;
    int reps = 3;
    long seed = 42;
    Path dir;
    boolean streamed = true;
    boolean insertOnly;
    int cacheMib;

    static Options parse(String[] args) {
      Options o = new Options();
      List<String> a = new ArrayList<>(List.of(args));
      while (!a.isEmpty()) {
        String arg = a.remove(0);
        switch (arg) {
          case "--rows" -> o.rows = Long.parseLong(a.remove(0).replace("_", ""));
          case "--quick" -> o.rows = 20_000;
          case "--reps" -> o.reps = Integer.parseInt(a.remove(0));
          case "--seed" -> o.seed = Long.parseLong(a.remove(0));
          case "--dir" -> o.dir = Paths.get(a.remove(0));
          case "--no-streamed" -> o.streamed = false;
          case "--insert-only" -> o.insertOnly = true;
          case "--cache-mib" -> o.cacheMib = Integer.parseInt(a.remove(0));
          case "-h", "--help" -> {
            return null;
          }
          default -> throw new IllegalArgumentException("unknown option '" + arg + "'\n" + USAGE);
        }
      }
      if (o.rows < 1 || o.reps < 1) {
        throw new IllegalArgumentException("--rows and --reps must be at least 1");
      }
      return o;
    }
  }
}
