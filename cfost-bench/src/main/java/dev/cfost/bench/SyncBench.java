package dev.cfost.bench;

import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import dev.cfost.net.Peer;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.PeerListener;
import dev.cfost.net.PeerOptions;
import dev.cfost.net.SyncProgress;
import dev.cfost.net.TlsIdentity;
import dev.cfost.net.Transports;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The sync benchmarks, between two processes over TLS on 127.0.0.1: (1) the initial sync of a replica
 * of N rows into an empty one, against a raw SQLite insert of the same rows; (2) the propagation of
 * single live changes; (3) the incremental sync of one change after a reconnection. Run it with the root
 * script {@code ./bench-sync}; docs/BENCHMARKS-SYNC.md explains every figure.
 *
 * <p>This process is the receiving side: it opens the replica that syncs and a {@link SyncChild} JVM
 * holding the source replica, which listens. Timestamps from both processes are
 * {@link System#nanoTime()}, which on Linux is CLOCK_MONOTONIC and so comparable across processes.
 */
public final class SyncBench {
  private final Options options;
  private final Path dir;
  private final List<String> summary = new ArrayList<>();
  private boolean ok = true;

  private SyncBench(Options options, Path dir) {
    this.options = options;
    this.dir = dir;
  }

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    if (options == null) {
      System.out.println(Options.USAGE);
      return;
    }
    // A new directory for this run's files, deleted at the end; nothing else under --dir is touched.
    Path dir = options.dir == null ? Files.createTempDirectory("cfost-sync-bench")
        : Files.createTempDirectory(Files.createDirectories(options.dir), "run-");
    int status;
    try {
      status = new SyncBench(options, dir).run();
    } finally {
      Workloads.deleteTree(dir);
    }
    System.exit(status);
  }

  /** This process's CPU time (all threads, user and system) in nanoseconds. */
  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  static double load() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private int run() throws Exception {
    Runtime rt = Runtime.getRuntime();
    System.out.printf(Locale.ROOT, "CFOST sync benchmark, %s%n", java.time.ZonedDateTime.now().withNano(0));
    System.out.printf(Locale.ROOT, "JVM %s (%s), %d cores, max heap %d MiB (each process), load average %.2f%n",
        System.getProperty("java.vm.version"), System.getProperty("java.vm.name"), rt.availableProcessors(),
        rt.maxMemory() >> 20, load());
    System.out.printf(Locale.ROOT, "rows %,d, seed %d, live samples %d (+%d warm-up) every %d ms, incremental"
        + " repetitions %d (+1 warm-up)%n%n", options.rows, options.seed, options.samples, options.warmup,
        options.spacingMillis, options.reps);
    Rows rows = new Rows(options.seed, options.rows);

    Path source = dir.resolve("source.db");
    long t0 = System.nanoTime();
    try (Cfost db = Cfost.open(CfostOptions.builder(source).captureInterval(Duration.ZERO).build())) {
      exec(db, Rows.DDL);
      db.replicate(Rows.TABLE);
      try (Connection c = db.connect()) {
        rows.insertAll(c);
      }
      db.capture();
    }
    TlsIdentity.forDatabase(source); // made here, so that neither side's key generation is timed
    System.out.printf(Locale.ROOT, "source replica prepared (insert + capture, not timed) in %.1f s%n",
        seconds(System.nanoTime() - t0));

    // The raw inserts, side by side with the sync: same rows, same connection settings as db.connect(),
    // after a warm-up of each that is not counted.
    Rows warm = new Rows(options.seed + 1, Math.min(options.rows, 20_000));
    rawInsert(warm, true);
    rawInsert(warm, false);
    Timed raw = rawInsert(rows, true);
    Timed rawNoKeys = rawInsert(rows, false);
    System.out.printf(Locale.ROOT, "raw insert (driver defaults): %.2f s wall, %.2f s CPU; load %.2f; I/O %s%n",
        seconds(raw.wall), seconds(raw.cpu), load(), raw.io);
    System.out.printf(Locale.ROOT, "raw insert (jdbc.get_generated_keys=false): %.2f s wall, %.2f s CPU; load %.2f;"
        + " I/O %s%n", seconds(rawNoKeys.wall), seconds(rawNoKeys.cpu), load(), rawNoKeys.io);

    Path replicaFile = dir.resolve("replica.db");
    TlsIdentity identity = TlsIdentity.forDatabase(replicaFile);
    try (ChildProcess child = ChildProcess.start(source)) {
      String port = child.await("port ", 120_000);
      if (port == null) {
        throw new IOException("the child process did not start listening within 120 s");
      }
      PeerAddress address = new PeerAddress("127.0.0.1", Integer.parseInt(port));
      Cfost db = replica(replicaFile, Duration.ofMillis(50));
      try {
        initialSync(db, identity, address, child, raw, rawNoKeys);
        if (options.initialOnly) {
          return finish();
        }
        SessionClock session = connect(db, identity, address, 60_000); // reconnect: the session above is closed
        live(db, child, true, "live-capture");
        session = incremental(db, identity, address, child, session);
        session.peer.close();
        db.close();
        db = replica(replicaFile, null); // the default options: the app's commit alone gets it captured
        session = connect(db, identity, address, 60_000);
        live(db, child, false, "live-commit");
        session.peer.close();
      } finally {
        db.close();
      }
    }
    return finish();
  }

  private int finish() {
    System.out.printf(Locale.ROOT, "%n== summary (load average %.2f at the end) ==%n", load());
    summary.forEach(System.out::println);
    if (!ok) {
      System.out.println("FAILED: see above");
    }
    return ok ? 0 : 1;
  }

  // ---- (1) initial sync ----

  private void initialSync(Cfost db, TlsIdentity identity, PeerAddress address, ChildProcess child, Timed raw,
      Timed rawNoKeys) throws Exception {
    System.out.printf(Locale.ROOT, "%n(1) initial sync of %,d rows, load %.2f%n", options.rows, load());
    ThreadCpu.Usage childCpu0 = child.cpu();
    ThreadCpu.Usage cpu0 = ThreadCpu.Usage.now();
    SessionClock s = new SessionClock(db, identity, address, options.catchUpMillis);
    long t0 = System.nanoTime();
    s.peer.start();
    if (!s.eose.await(30, TimeUnit.MINUTES)) {
      throw new IOException("the initial sync did not finish in 30 minutes");
    }
    long wall = s.eoseAt - t0;
    ThreadCpu.Usage cpu1 = ThreadCpu.Usage.now();
    ThreadCpu.Usage childCpu1 = child.cpu();
    long cpu = cpu1.since(cpu0);
    long childCpu = childCpu1.since(childCpu0);
    SyncProgress p = s.progress();
    s.peer.close();
    String got;
    try (Connection c = db.connect()) {
      got = Workloads.fingerprint(c);
    }
    boolean same = got.equals(raw.fingerprint) && p.caughtUp() && p.rowsToReceive() == 0;
    ok &= same;
    double ratio = (double) wall / raw.wall;
    double ratioNoKeys = (double) wall / rawNoKeys.wall;
    double changesPerSecond = p.changesReceived() / seconds(wall);
    System.out.printf(Locale.ROOT, "  start() to caught up: %.2f s wall (connect to eose %.2f s); CPU: this"
        + " process %.2f s, source process %.2f s%n", seconds(wall), seconds(s.eoseAt - s.connectAt),
        seconds(cpu), seconds(childCpu));
    System.out.printf(Locale.ROOT, "  %,d changes received, %,.0f changes/s, %,.0f rows/s; caught up %s;"
        + " replica %s the raw table (%s)%n", p.changesReceived(), changesPerSecond,
        options.rows / seconds(wall), p.caughtUp(), same ? "equals" : "DIFFERS FROM", got);
    System.out.printf("  CPU by thread, this process: %s%n", cpu1.breakdownSince(cpu0));
    System.out.printf("  CPU by thread, source process: %s%n", childCpu1.breakdownSince(childCpu0));
    System.out.printf("  I/O, this process: %s%n", cpu1.ioSince(cpu0));
    System.out.printf("  I/O, source process: %s%n", childCpu1.ioSince(childCpu0));
    long readerCpu = cpu1.threadSince(cpu0, "cfost-session--reader");
    System.out.printf(Locale.ROOT, "  CPU ratios to the raw insert (gen. keys off, %.2f s CPU): both processes %.1fx,"
        + " the receiving session's reader thread (decrypt, decode, merge, commit) %.1fx%n", seconds(rawNoKeys.cpu),
        (double) (cpu + childCpu) / rawNoKeys.cpu, (double) readerCpu / rawNoKeys.cpu);
    summary.add(String.format(Locale.ROOT, "(1) initial sync %,d rows: %.2f s; raw insert %.2f s (defaults),"
        + " %.2f s (no gen. keys); ratio %.2fx / %.2fx (target <= 2x: %s); %,.0f changes/s, %,.0f rows/s",
        options.rows, seconds(wall), seconds(raw.wall), seconds(rawNoKeys.wall), ratio, ratioNoKeys,
        ratioNoKeys <= 2 ? "met" : ratio <= 2 ? "met against driver defaults only" : "missed", changesPerSecond,
        options.rows / seconds(wall)));
    summary.add(String.format(Locale.ROOT, "    CPU: receiver %.1f s (its session reader %.1f s), source %.1f s; raw"
        + " insert %.2f s (defaults), %.2f s (no gen. keys); reader / raw (no keys) %.1fx", seconds(cpu),
        seconds(readerCpu), seconds(childCpu), seconds(raw.cpu), seconds(rawNoKeys.cpu),
        (double) readerCpu / rawNoKeys.cpu));
  }

  // ---- (2) live propagation ----

  private void live(Cfost db, ChildProcess child, boolean explicitCapture, String prefix) throws Exception {
    String variant = explicitCapture ? "each write followed by db.capture(), capture interval 50 ms"
        : "no explicit capture, default options (captured right after the commit through db.connect())";
    System.out.printf(Locale.ROOT, "%n(2) live propagation, %s; load %.2f%n", variant, load());
    Samples total = new Samples();
    Samples afterWrite = new Samples();
    Samples writeAndCapture = new Samples();
    int lost = 0;
    try (Connection app = db.connect();
        PreparedStatement ps = app.prepareStatement("INSERT INTO items(id, n, label) VALUES (?, ?, 'live')")) {
      for (int i = 0; i < options.warmup + options.samples; i++) {
        String id = prefix + "-" + i;
        long t0 = System.nanoTime();
        ps.setString(1, id);
        ps.setLong(2, i);
        ps.executeUpdate(); // autocommit: its own transaction
        long written = System.nanoTime();
        if (explicitCapture) {
          db.capture();
        }
        long captured = System.nanoTime();
        String merged = child.await("merged " + id + " ", 5_000);
        if (merged == null) {
          lost++;
        } else if (i >= options.warmup) {
          long at = Long.parseLong(merged);
          total.add(at - t0);
          afterWrite.add(at - (explicitCapture ? captured : written));
          writeAndCapture.add(captured - t0);
        }
        long next = t0 + options.spacingMillis * 1_000_000L;
        long sleep = next - System.nanoTime();
        if (sleep > 0) {
          Thread.sleep(sleep / 1_000_000L, (int) (sleep % 1_000_000L));
        }
      }
    }
    ok &= lost == 0;
    System.out.printf(Locale.ROOT, "  write start to merged on the other side: %s%n", total.summary());
    System.out.printf(Locale.ROOT, "  %s: %s%n", explicitCapture ? "capture() returned to merged"
        : "commit returned to merged", afterWrite.summary());
    System.out.printf(Locale.ROOT, "  the app's INSERT commit%s: %s%n", explicitCapture ? " + capture()" : "",
        writeAndCapture.summary());
    if (lost > 0) {
      System.out.printf("  %d of %d changes did not arrive within 5 s%n", lost, options.warmup + options.samples);
    }
    boolean met = total.medianMillis() <= 5 && total.percentileMillis(99) <= 20;
    summary.add(String.format(Locale.ROOT, "(2) live, %s: %s (targets p50 <= 5, p99 <= 20 ms: %s)%s", variant,
        total.summary(), met ? "met" : "missed", lost > 0 ? "; " + lost + " lost" : ""));
    System.out.printf(Locale.ROOT, "  load %.2f%n", load());
  }

  // ---- (3) incremental sync ----

  private SessionClock incremental(Cfost db, TlsIdentity identity, PeerAddress address, ChildProcess child,
      SessionClock current) throws Exception {
    System.out.printf(Locale.ROOT, "%n(3) incremental sync of one change in a %,d-row replica; load %.2f%n",
        options.rows, load());
    Samples startToCaughtUp = new Samples();
    Samples connectToEose = new Samples();
    SessionClock s = current;
    for (int r = 0; r <= options.reps; r++) {
      s.peer.close();
      String id = "incremental-" + r;
      child.send("write " + id);
      if (child.await("wrote " + id, 10_000) == null) {
        throw new IOException("the child did not write " + id);
      }
      s = new SessionClock(db, identity, address, options.catchUpMillis);
      long t0 = System.nanoTime();
      s.peer.start();
      if (!s.eose.await(60, TimeUnit.SECONDS)) {
        throw new IOException("no end of stored events within 60 s after a reconnection");
      }
      boolean merged = count(db, "SELECT count(*) FROM items WHERE id = '" + id + "'") == 1;
      ok &= merged;
      if (!merged) {
        System.out.printf("  %s was not merged at the end of stored events%n", id);
      }
      if (r > 0) {
        startToCaughtUp.add(s.eoseAt - t0);
        connectToEose.add(s.eoseAt - s.connectAt);
      }
      Thread.sleep(50);
    }
    System.out.printf(Locale.ROOT, "  start() to caught up (TCP connect, TLS, hellos, sync): %s%n  values: %s%n",
        startToCaughtUp.summary(), startToCaughtUp.list());
    System.out.printf(Locale.ROOT, "  onConnect to onEose (the sync itself): %s%n  values: %s%n",
        connectToEose.summary(), connectToEose.list());
    summary.add(String.format(Locale.ROOT, "(3) incremental, one change in %,d rows: start() to caught up median"
        + " %.2f ms (min %.2f, max %.2f); onConnect to onEose median %.2f ms (min %.2f, max %.2f); target <= 10 ms:"
        + " %s / %s", options.rows, startToCaughtUp.medianMillis(), startToCaughtUp.minMillis(),
        startToCaughtUp.maxMillis(), connectToEose.medianMillis(), connectToEose.minMillis(),
        connectToEose.maxMillis(), startToCaughtUp.medianMillis() <= 10 ? "met" : "missed",
        connectToEose.medianMillis() <= 10 ? "met" : "missed"));
    return s;
  }

  // ---- plumbing ----

  /** A receiving peer and the times of its session's onConnect and onEose (the first of each). */
  private static final class SessionClock {
    final Peer peer;
    final CountDownLatch eose = new CountDownLatch(1);
    volatile long connectAt;
    volatile long eoseAt;

    SessionClock(Cfost db, TlsIdentity identity, PeerAddress address, long catchUpMillis) throws IOException {
      PeerOptions.Builder builder = PeerOptions.builder();
      if (catchUpMillis >= 0) {
        builder.catchUpTransaction(catchUpMillis, Integer.MAX_VALUE);
      }
      PeerOptions options = builder
          .transport(Transports.tcp(identity, null, false))
          .peer(address)
          .discovery(false)
          .listenerExecutor(Runnable::run) // the times are taken on the session's thread, not after a hand-off
          .build();
      peer = Peer.create(db, options);
      peer.addListener(new PeerListener() {
        @Override
        public void onConnect(String peerId, String transport) {
          if (connectAt == 0) {
            connectAt = System.nanoTime();
          }
        }

        @Override
        public void onEose(String peerId) {
          if (eoseAt == 0) {
            eoseAt = System.nanoTime();
            eose.countDown();
          }
        }

        @Override
        public void onError(String peerId, Throwable error) {
          System.err.println("peer error with " + peerId + ": " + error);
        }
      });
    }

    SyncProgress progress() {
      return peer.progress().stream().findFirst().orElseThrow();
    }
  }

  private SessionClock connect(Cfost db, TlsIdentity identity, PeerAddress address, long timeoutMillis)
      throws Exception {
    SessionClock s = new SessionClock(db, identity, address, options.catchUpMillis);
    s.peer.start();
    if (!s.eose.await(timeoutMillis, TimeUnit.MILLISECONDS)) {
      throw new IOException("not caught up within " + timeoutMillis + " ms after connecting");
    }
    return s;
  }

  /** Opens the receiving replica, creating its table and making it replicated; null: default interval. */
  private static Cfost replica(Path file, Duration captureInterval) {
    CfostOptions.Builder b = CfostOptions.builder(file);
    Cfost db = Cfost.open(captureInterval == null ? b.build() : b.captureInterval(captureInterval).build());
    exec(db, "CREATE TABLE IF NOT EXISTS " + Rows.DDL.substring("CREATE TABLE ".length()));
    db.replicate(Rows.TABLE);
    return db;
  }

  private record Timed(long wall, long cpu, String fingerprint, String io) {}

  /**
   * Inserts the rows into a plain table of a fresh file opened like {@code Cfost.connect()} (WAL,
   * synchronous FULL); with {@code generatedKeys} false, without the driver's per-INSERT
   * {@code SELECT last_insert_rowid()}.
   */
  private Timed rawInsert(Rows rows, boolean generatedKeys) throws SQLException, IOException {
    Path file = dir.resolve(generatedKeys ? "raw.db" : "raw-nokeys.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file
        + (generatedKeys ? "" : "?jdbc.get_generated_keys=false")); Statement s = c.createStatement()) {
      s.execute("PRAGMA busy_timeout = 30000");
      s.execute("PRAGMA journal_mode = WAL");
      s.execute("PRAGMA synchronous = FULL");
      s.execute(Rows.DDL);
      System.gc();
      ThreadCpu.Usage u0 = ThreadCpu.Usage.now();
      long t0 = System.nanoTime();
      rows.insertAll(c);
      long wall = System.nanoTime() - t0;
      ThreadCpu.Usage u1 = ThreadCpu.Usage.now();
      return new Timed(wall, u1.since(u0), Workloads.fingerprint(c), u1.ioSince(u0));
    } finally {
      for (String ext : new String[] {"", "-wal", "-shm"}) {
        Files.deleteIfExists(Paths.get(file + ext));
      }
    }
  }

  private static void exec(Cfost db, String sql) {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  private static long count(Cfost db, String sql) throws SQLException {
    try (Connection c = db.connect()) {
      return Workloads.queryLong(c, sql);
    }
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }

  /** Command-line options. */
  static final class Options {
    static final String USAGE = String.join("\n",
        "usage: ./bench-sync [--quick] [--rows N] [--samples S] [--warmup W] [--spacing-ms MS] [--reps R] [--seed S]\n"
            + "                    [--dir DIR] [--catch-up-ms MS] [--initial-only]",
        "  --rows N         rows of the source replica (default 1000000)",
        "  --quick          smoke run: 20000 rows, 100 live samples, 5 incremental repetitions",
        "  --samples S      live changes measured per variant (default 200), after 20 not counted",
        "  --warmup W       live changes not counted before those (default 20)",
        "  --spacing-ms MS  time from one live write to the next (default 20)",
        "  --reps R         incremental syncs measured (default 9), after one not counted",
        "  --seed S         seed of the generated rows (default 42)",
        "  --dir DIR        where the database files go, in a new directory deleted afterwards",
        "                   (default: the system's temporary directory)",
        "  --catch-up-ms MS the receiver's catch-up transaction time (default: PeerOptions' default),",
        "                   with no limit on its changes",
        "  --initial-only   measure the initial sync only");

    long rows = 1_000_000;
    int samples = 200;
    int warmup = 20;
    long spacingMillis = 20;
    int reps = 9;
    long seed = 42;
    Path dir;
    long catchUpMillis = -1;
    boolean initialOnly;

    static Options parse(String[] args) {
      Options o = new Options();
      List<String> a = new ArrayList<>(List.of(args));
      while (!a.isEmpty()) {
        String arg = a.remove(0);
        switch (arg) {
          case "--rows" -> o.rows = Long.parseLong(a.remove(0).replace("_", ""));
          case "--quick" -> {
            o.rows = 20_000;
            o.samples = 100;
            o.reps = 5;
          }
          case "--samples" -> o.samples = Integer.parseInt(a.remove(0));
          case "--warmup" -> o.warmup = Integer.parseInt(a.remove(0));
          case "--spacing-ms" -> o.spacingMillis = Long.parseLong(a.remove(0));
          case "--reps" -> o.reps = Integer.parseInt(a.remove(0));
          case "--seed" -> o.seed = Long.parseLong(a.remove(0));
          case "--dir" -> o.dir = Paths.get(a.remove(0));
          case "--catch-up-ms" -> o.catchUpMillis = Long.parseLong(a.remove(0));
          case "--initial-only" -> o.initialOnly = true;
          case "-h", "--help" -> {
            return null;
          }
          default -> throw new IllegalArgumentException("unknown option '" + arg + "'\n" + USAGE);
        }
      }
      if (o.rows < 1 || o.samples < 1 || o.reps < 1 || o.warmup < 0) {
        throw new IllegalArgumentException("--rows, --samples and --reps must be at least 1");
      }
      return o;
    }
  }
}
