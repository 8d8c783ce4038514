package dev.cfost.bench;

import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import dev.cfost.ChangeEvent;
import dev.cfost.identity.Argon2Params;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.identity.ServerClient;
import dev.cfost.identity.SyncTrust;
import dev.cfost.identity.Users;
import dev.cfost.net.Peer;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.PeerListener;
import dev.cfost.net.PeerOptions;
import dev.cfost.net.SyncProgress;
import dev.cfost.net.Transports;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
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
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The sync server benchmark (issue 11, item 9), on 127.0.0.1 with a real server process: (1) the initial
 * sync of N rows from device A through the server to device B, against a raw SQLite insert of the same
 * rows; (2) live propagation of one row from A through the server to B; (3) fan-out of one change to many
 * connected devices ({@link ServerLoad}); (4) the idle sync connections one server process holds with
 * {@code -Xmx512m} ({@link ServerLoad}). Run it with the root script {@code ./bench-server};
 * docs/BENCHMARKS-SERVER.md explains every figure.
 *
 * <p>This process holds the two real devices (Cfost databases of one user, with their device keys, the
 * WebSocket transport of {@link ServerClient} and the seals of {@link SyncTrust#applyToServer}) and the
 * lightweight protocol clients; the server is a {@link ServerChild} JVM.
 */
public final class ServerBench {
  static final String USER = "bench";
  static final String PASSWORD = "correct horse battery staple";
  /** The user of the warm-up pair, a second account on the server. */
  static final String WARMUP_USER = "bench-warmup";
  /** The account and identity user of (1b)'s pair. */
  static final String OVERLAP_USER = "bench-overlap";

  private final ServerBenchOptions options;
  private final Path dir;
  final List<String> summary = new ArrayList<>();
  boolean ok = true;

  private ServerBench(ServerBenchOptions options, Path dir) {
    this.options = options;
    this.dir = dir;
  }

  public static void main(String[] args) throws Exception {
    ServerBenchOptions options = ServerBenchOptions.parse(args);
    if (options == null) {
      System.out.println(ServerBenchOptions.USAGE);
      return;
    }
    Workloads.runInNewDirectory(options.dir, "cfost-server-bench", dir -> new ServerBench(options, dir).run());
  }

  private int run() throws Exception {
    long started = System.nanoTime();
    Runtime rt = Runtime.getRuntime();
    System.out.printf(Locale.ROOT, "CFOST sync server benchmark, %s%n", java.time.ZonedDateTime.now().withNano(0));
    System.out.printf(Locale.ROOT, "JVM %s (%s), %d cores, this process max heap %d MiB, server -Xmx512m,"
        + " open files limit %s, load average %.2f%n", System.getProperty("java.vm.version"),
        System.getProperty("java.vm.name"), rt.availableProcessors(), rt.maxMemory() >> 20, openFilesLimit(),
        SyncBench.load());
    System.out.printf(Locale.ROOT, "rows %,d, live samples %d (+%d warm-up) every %d ms, fan-out %,d devices x %d"
        + " changes, idle connections up to %,d%n%n", options.rows, options.samples, options.warmup,
        options.spacingMillis, options.devices, options.fanoutSamples, options.connections);

    Rows rows = new Rows(options.seed, options.rows);
    Pair pair = pair("device-", USER, rows);
    // The same path first, untimed, on a pair of its own (another user, another account): the raw insert is
    // timed after a warm-up too, and a server that has run for days has compiled its hot paths.
    Pair warmPair = options.syncWarmup == 0 ? null
        : pair("warmup-", WARMUP_USER, new Rows(options.seed + 2, Math.min(options.rows, options.syncWarmup)));

    // (1b)'s A gets its rows once it is known to the server (OverlappedSync).
    Pair overlapPair = options.overlap ? pair("overlap-", OVERLAP_USER, null) : null;

    Rows warm = new Rows(options.seed + 1, Math.min(options.rows, 20_000));
    rawInsert(warm);
    Timed raw = rawInsert(rows);
    System.out.printf(Locale.ROOT, "raw insert (plain table, driver defaults): %.2f s wall, %.2f s CPU; load %.2f%n",
        seconds(raw.wall), seconds(raw.cpu), SyncBench.load());

    try (ChildProcess server = ChildProcess.start(ServerChild.class, "-Xmx512m", dir.resolve("server").toString())) {
      String port = server.await("port ", 120_000);
      if (port == null) {
        throw new IOException("the server process did not start listening within 120 s");
      }
      ServerAccount account = new ServerAccount(Integer.parseInt(port));
      String accountUser = account.register(USER, PASSWORD);
      System.out.printf(Locale.ROOT, "server process %d listening on 127.0.0.1:%s; %s%n", server.pid(), port,
          heapLine(server));

      if (warmPair != null) {
        warmUp(warmPair, account);
      }
      Device devA = new Device("A", pair.a, pair.keysA, pair.identityUser, account.base());
      Device devB = new Device("B", pair.b, pair.keysB, pair.identityUser, account.base());
      try {
        Timed bracketed = initialSync(devA, devB, server, rows, raw);
        if (overlapPair != null) {
          overlapped(overlapPair, account, server, rows, bracketed);
        }
        ServerLoad load = new ServerLoad(this, options, server, account, accountUser, pair.identityUser, devA);
        load.prepareDevices(1); // the lightweight device that observes the live phase
        live(devA, devB, load);
        load.fanOut();
        load.idle();
      } finally {
        devA.close();
        devB.close();
      }
    }
    System.out.printf(Locale.ROOT, "%n== summary (load average %.2f at the end, %.1f minutes in all) ==%n",
        SyncBench.load(), (System.nanoTime() - started) / 60e9);
    summary.forEach(System.out::println);
    if (!ok) {
      System.out.println("FAILED: see above");
    }
    return ok ? 0 : 1;
  }

  // ---- the two devices

  /** One of the two real devices: its database, keys, and its peer syncing with the server. */
  static final class Device implements AutoCloseable {
    final String name;
    final Cfost db;
    final DeviceKeys keys;
    final String identityUser;
    final ServerClient client;
    private final String account;
    final CountDownLatch eose = new CountDownLatch(1);
    volatile long eoseAt;
    volatile long connectAt;
    Peer peer;

    Device(String name, Cfost db, DeviceKeys keys, String identityUser, URI server) {
      this(name, db, keys, identityUser, server, USER);
    }

    /** A device of the server account {@code account} (password {@link #PASSWORD}). */
    Device(String name, Cfost db, DeviceKeys keys, String identityUser, URI server, String account) {
      this.account = account;
      this.name = name;
      this.db = db;
      this.keys = keys;
      this.identityUser = identityUser;
      this.client = ServerClient.builder(server).timeout(java.time.Duration.ofSeconds(120)).build(); // logins under heavy load
    }

    /** Logs in (not timed: one Argon2id hash on the server) and makes the peer, not started. */
    void prepare() throws IOException {
      client.login(account, PASSWORD.toCharArray());
      PeerOptions.Builder b = PeerOptions.builder().transport(client.transport(db, keys, identityUser))
          .discovery(true).discoveryInterval(50).listenerExecutor(Runnable::run);
      peer = Peer.create(db, SyncTrust.forUser(db, identityUser).applyToServer(b).build());
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
          System.err.println("device " + name + ": sync error with " + peerId + ": " + error);
        }
      });
    }

    SyncProgress progress() {
      return peer.progress().stream().findFirst().orElse(new SyncProgress("", false, 0, 0, -1, false, false));
    }

    /** Stops syncing; the database stays open (another server may follow). */
    void disconnect() {
      if (peer != null) {
        peer.close();
      }
    }

    @Override
    public void close() {
      disconnect();
      db.close();
    }
  }

  /** Two devices of one identity user: B paired with A, A holding the rows (captured), both with default options. */
  record Pair(Cfost a, Cfost b, DeviceKeys keysA, DeviceKeys keysB, String identityUser) {}

  /**
   * Device A, the user's first device, and device B, paired with it on the LAN before the rows exist (so B
   * knows the user's device list, as a paired device does); then A's rows (not timed), unless {@code rows}
   * is null.
   */
  private Pair pair(String prefix, String user, Rows rows) throws Exception {
    Path fileA = dir.resolve(prefix + "a.db");
    Path fileB = dir.resolve(prefix + "b.db");
    Cfost a = replica(fileA, Duration.ZERO);
    Cfost b = replica(fileB, null);
    String identityUser = Users.open(a, new Argon2Params(1024, 1, 1))
        .register(user, user + "@example.org", PASSWORD.toCharArray());
    DeviceKeys keysA = DeviceKeys.forDatabase(a);
    DeviceKeys keysB = DeviceKeys.forDatabase(b);
    Devices devices = Devices.open(a);
    devices.add(identityUser, keysA.publicKey(), "device A", null);
    devices.bindSite(keysA.deviceId(), a.siteId());
    devices.add(identityUser, keysB.publicKey(), "device B", keysA.deviceId());
    devices.bindSite(keysB.deviceId(), b.siteId());
    a.capture();
    pairOnTheLan(a, b, identityUser, keysA, keysB);

    if (rows != null) {
      long t0 = System.nanoTime();
      try (Connection c = a.connect()) {
        rows.insertAll(c);
      }
      a.capture();
      System.out.printf(Locale.ROOT, "device %sA prepared (%,d rows inserted and captured, not timed) in %.1f s%n",
          prefix.equals("device-") ? "" : prefix, rows.count(), seconds(System.nanoTime() - t0));
    }
    a.close();
    return new Pair(replica(fileA, null), b, keysA, keysB, identityUser); // each commit captured at once from here
  }

  /** The initial sync's path on the warm-up pair, not timed: A's rows to the server, then to B. */
  private void warmUp(Pair w, ServerAccount account) throws Exception {
    account.register(WARMUP_USER, PASSWORD);
    long t0 = System.nanoTime();
    try (Device a = new Device("warm-up A", w.a, w.keysA, w.identityUser, account.base(), WARMUP_USER);
        Device b = new Device("warm-up B", w.b, w.keysB, w.identityUser, account.base(), WARMUP_USER)) {
      a.prepare();
      a.peer.start();
      long rows = Math.min(options.rows, options.syncWarmup);
      await("the server acknowledges all of the warm-up A's changes", 30 * 60_000L, () -> {
        SyncProgress p = a.progress();
        return p.connected() && p.delivered() && p.changesSent() >= rows;
      });
      b.prepare();
      b.peer.start();
      if (!b.eose.await(30, TimeUnit.MINUTES)) {
        throw new IOException("the warm-up B did not catch up within 30 minutes");
      }
      System.out.printf(Locale.ROOT, "warm-up (not timed): %,d rows from another user's A through the server to its"
          + " B in %.1f s%n", rows, seconds(System.nanoTime() - t0));
    }
  }

  /** B learns the user's device list from A over TCP + TLS on 127.0.0.1, as right after pairing. */
  private static void pairOnTheLan(Cfost a, Cfost b, String user, DeviceKeys keysA, DeviceKeys keysB)
      throws Exception {
    SyncTrust trustA = SyncTrust.forUser(a, keysA, user, null);
    SyncTrust trustB = SyncTrust.forUser(b, keysB, user, keysA.deviceId());
    try (Peer pa = Peer.create(a, trustA.applyTo(PeerOptions.builder().transport(Transports.tcp(
        trustA.tlsIdentity(), new InetSocketAddress("127.0.0.1", 0), false)).discovery(false)).build())) {
      List<PeerAddress> at = pa.start();
      try (Peer pb = Peer.create(b, trustB.applyTo(PeerOptions.builder().transport(Transports.tcp(
          trustB.tlsIdentity(), null, false)).discovery(false).peer(at.get(0))).build())) {
        pb.start();
        await("device B knows it is authorized", 60_000,
            () -> Devices.open(b).isAuthorized(keysB.deviceId(), user));
      }
    }
  }

  // ---- (1) initial sync through the server

  /**
   * Times (1), then the raw insert again: the sync is compared with the mean of the raw inserts before and
   * after it, since this machine's speed drifts over the minute the sync takes. Returns that mean.
   */
  private Timed initialSync(Device a, Device b, ChildProcess server, Rows rows, Timed raw) throws Exception {
    System.out.printf(Locale.ROOT, "%n(1) initial sync of %,d rows, A -> server -> B; load %.2f%n", options.rows,
        SyncBench.load());
    a.prepare();
    ThreadCpu.Usage serverCpu0 = server.cpu();
    ThreadCpu.Usage cpu0 = ThreadCpu.Usage.now();
    long t0 = System.nanoTime();
    a.peer.start();
    await("the server acknowledges all of device A's changes", 30 * 60_000L, () -> {
      SyncProgress p = a.progress();
      return p.connected() && p.delivered() && p.changesSent() >= options.rows;
    });
    long up = System.nanoTime() - t0;
    ThreadCpu.Usage serverCpu1 = server.cpu();
    ThreadCpu.Usage cpu1 = ThreadCpu.Usage.now();
    System.out.printf(Locale.ROOT, "  A -> server: %.2f s (%,d changes sent, %,.0f changes/s); CPU: server %.2f s,"
        + " this process %.2f s%n", seconds(up), a.progress().changesSent(),
        a.progress().changesSent() / seconds(up), seconds(serverCpu1.since(serverCpu0)), seconds(cpu1.since(cpu0)));
    System.out.printf("  CPU by thread, server: %s%n", serverCpu1.breakdownSince(serverCpu0));
    System.out.printf("  CPU by thread, this process: %s%n", cpu1.breakdownSince(cpu0));
    long pushCpu = serverCpu1.since(serverCpu0) + cpu1.since(cpu0);
    System.out.printf(Locale.ROOT, "  server after the push: %s%n", heapLine(server));

    b.prepare();
    serverCpu0 = server.cpu();
    cpu0 = ThreadCpu.Usage.now();
    long t1 = System.nanoTime();
    b.peer.start();
    if (!b.eose.await(30, TimeUnit.MINUTES)) {
      throw new IOException("device B did not catch up within 30 minutes");
    }
    long down = b.eoseAt - t1;
    serverCpu1 = server.cpu();
    cpu1 = ThreadCpu.Usage.now();
    SyncProgress p = b.progress();
    String got;
    try (Connection c = b.db.connect()) {
      got = Workloads.fingerprint(c);
    }
    boolean same = got.equals(raw.fingerprint);
    ok &= same;
    System.out.printf(Locale.ROOT, "  server -> B: %.2f s (connect to eose %.2f s; %,d changes received, %,.0f"
        + " changes/s); CPU: server %.2f s, this process %.2f s%n", seconds(down), seconds(b.eoseAt - b.connectAt),
        p.changesReceived(), p.changesReceived() / seconds(down), seconds(serverCpu1.since(serverCpu0)),
        seconds(cpu1.since(cpu0)));
    System.out.printf("  CPU by thread, server: %s%n", serverCpu1.breakdownSince(serverCpu0));
    System.out.printf("  CPU by thread, this process: %s%n", cpu1.breakdownSince(cpu0));
    System.out.printf(Locale.ROOT, "  B %s the raw table (%s); server after the pull: %s%n",
        same ? "equals" : "DIFFERS FROM", got, heapLine(server));
    long allCpu = pushCpu + serverCpu1.since(serverCpu0) + cpu1.since(cpu0);
    long total = up + down;
    long quiet = awaitQuiet(server);
    Timed after = rawInsert(rows);
    boolean sameRaw = after.fingerprint.equals(raw.fingerprint);
    ok &= sameRaw;
    if (!sameRaw) {
      System.out.printf("  the raw insert after the sync made other rows (%s) than before it (%s)%n", after.fingerprint,
          raw.fingerprint);
    }
    Timed mean = new Timed((raw.wall + after.wall) / 2, (raw.cpu + after.cpu) / 2, raw.fingerprint);
    System.out.printf(Locale.ROOT, "  raw insert again, after the sync and %.1f s for both processes to go quiet: %.2f s"
        + " wall, %.2f s CPU (before it: %.2f s, %.2f s); the ratios below are to the mean of the two%n",
        seconds(quiet), seconds(after.wall), seconds(after.cpu), seconds(raw.wall), seconds(raw.cpu));
    double ratio = (double) total / mean.wall;
    System.out.printf(Locale.ROOT, "  CPU of all processes over both hops %.2f s; raw insert %.2f s CPU; CPU ratio"
        + " %.1fx%n", seconds(allCpu), seconds(mean.cpu), (double) allCpu / mean.cpu);
    System.out.printf(Locale.ROOT, "  total %.2f s; raw insert %.2f s; ratio %.2fx (target <= 3x: %s; %.2fx and %.2fx"
        + " to the raw inserts before and after)%n", seconds(total), seconds(mean.wall), ratio,
        ratio <= 3 ? "met" : "MISSED", (double) total / raw.wall, (double) total / after.wall);
    summary.add(String.format(Locale.ROOT, "(1) initial sync %,d rows: raw insert %.2f s (%.2f s before, %.2f s"
        + " after); A -> server %.2f s; server -> B %.2f s; total %.2f s; ratio %.2fx (target <= 3x: %s); CPU of"
        + " all processes %.1fx the raw insert's%s", options.rows, seconds(mean.wall), seconds(raw.wall),
        seconds(after.wall), seconds(up), seconds(down), seconds(total), ratio, ratio <= 3 ? "met" : "missed",
        (double) allCpu / mean.cpu, (same ? "" : "; B DIFFERS from the raw table")
        + (sameRaw ? "" : "; the two raw inserts DIFFER")));
    return mean;
  }

  /**
   * Waits until the server and this process each use under a tenth of a core over half a second (their
   * threads' GC, compilation and WAL writes after the sync), 15 s at most, so that the raw insert timed
   * next does not share the machine with them; returns how long it waited.
   */
  private static long awaitQuiet(ChildProcess server) throws Exception {
    long t0 = System.nanoTime();
    ThreadCpu.Usage serverBefore = server.cpu();
    ThreadCpu.Usage ownBefore = ThreadCpu.Usage.now();
    while (System.nanoTime() - t0 < 15_000_000_000L) {
      Thread.sleep(500);
      ThreadCpu.Usage serverNow = server.cpu();
      ThreadCpu.Usage ownNow = ThreadCpu.Usage.now();
      boolean quiet = serverNow.since(serverBefore) < 50_000_000L && ownNow.since(ownBefore) < 50_000_000L;
      serverBefore = serverNow;
      ownBefore = ownNow;
      if (quiet) {
        break;
      }
    }
    return System.nanoTime() - t0;
  }

  /** (1b) on its own pair and account ({@link OverlappedSync}); its devices are closed after. */
  private void overlapped(Pair p, ServerAccount account, ChildProcess server, Rows rows, Timed raw) throws Exception {
    account.register(OVERLAP_USER, PASSWORD);
    OverlappedSync.Result r = OverlappedSync.run(p, account.base(), server, rows, raw.wall, raw.fingerprint);
    summary.add(r.summary());
    ok &= r.same();
  }

  // ---- (2) live propagation

  private void live(Device a, Device b, ServerLoad load) throws Exception {
    System.out.printf(Locale.ROOT, "%n(2) live propagation: a row written on A (autocommit through db.connect(),"
        + " default options) until B's change listener sees it; load %.2f%n", SyncBench.load());
    BlockingQueue<String> seen = new LinkedBlockingQueue<>();
    long[] seenAt = new long[options.warmup + options.samples];
    // A lightweight device connected beside B notes when the server forwards each change: the first hop
    // and the server's part, apart from B's (seal check, merge, listener).
    long[] forwardedAt = new long[options.warmup + options.samples];
    AtomicInteger sample = new AtomicInteger(-1);
    LightClient observer = load.observer((client, nanos) -> {
      int i = sample.get();
      if (i >= 0 && forwardedAt[i] == 0) {
        forwardedAt[i] = nanos;
      }
    });
    var registration = b.db.addListener(e -> {
      if (e.origin() == ChangeEvent.Origin.REMOTE) {
        long now = System.nanoTime();
        for (ChangeEvent.RowRef r : e.rows()) {
          String id = String.valueOf(r.key().get(0));
          if (id.startsWith("live-")) {
            seenAt[Integer.parseInt(id.substring(5))] = now;
            seen.add(id);
          }
        }
      }
    });
    Samples total = new Samples();
    Samples forwarded = new Samples();
    Samples lastHop = new Samples();
    int lost = 0;
    try (Connection app = a.db.connect();
        PreparedStatement ps = app.prepareStatement("INSERT INTO items(id, n, label) VALUES (?, ?, 'live')")) {
      for (int i = 0; i < options.warmup + options.samples; i++) {
        String id = "live-" + i;
        sample.set(i);
        long t0 = System.nanoTime();
        ps.setString(1, id);
        ps.setLong(2, i);
        ps.executeUpdate();
        String got = null;
        long deadline = t0 + TimeUnit.SECONDS.toNanos(5);
        while (!id.equals(got)) {
          got = seen.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
          if (got == null) {
            break;
          }
        }
        if (got == null) {
          lost++;
        } else if (i >= options.warmup) {
          total.add(seenAt[i] - t0);
          if (forwardedAt[i] != 0) {
            forwarded.add(forwardedAt[i] - t0);
            lastHop.add(seenAt[i] - forwardedAt[i]);
          }
        }
        long sleep = t0 + options.spacingMillis * 1_000_000L - System.nanoTime();
        if (sleep > 0) {
          Thread.sleep(sleep / 1_000_000L, (int) (sleep % 1_000_000L));
        }
      }
    } finally {
      registration.close();
      observer.close();
    }
    ok &= lost == 0;
    boolean met = total.medianMillis() <= 10 && total.percentileMillis(99) <= 30;
    System.out.printf(Locale.ROOT, "  write start on A to B's listener: %s%s%n", total.summary(),
        lost > 0 ? "; " + lost + " did not arrive within 5 s" : "");
    System.out.printf(Locale.ROOT, "  write start on A to the server's changes message at a lightweight device: %s%n",
        forwarded.summary());
    System.out.printf(Locale.ROOT, "  that arrival to B's listener (B's socket read, seal check, merge, listener;"
        + " the two arrivals race): %s%n", lastHop.summary());
    System.out.printf(Locale.ROOT, "  load %.2f%n", SyncBench.load());
    summary.add(String.format(Locale.ROOT, "(2) live A -> server -> B: %s (targets p50 <= 10, p99 <= 30 ms: %s)%s",
        total.summary(), met ? "met" : "missed", lost > 0 ? "; " + lost + " lost" : ""));
    summary.add(String.format(Locale.ROOT, "    of which A -> server -> a lightweight device: p50 %.2f, p99 %.2f ms;"
        + " then to B's listener: p50 %.2f, p99 %.2f ms", forwarded.medianMillis(), forwarded.percentileMillis(99),
        lastHop.medianMillis(), lastHop.percentileMillis(99)));
  }

  // ---- plumbing

  /** The server's heap after two full collections, its threads and resident memory. */
  static String heapLine(ChildProcess server) throws IOException, InterruptedException {
    long[] h = heap(server);
    return String.format(Locale.ROOT, "heap after GC %.1f MiB (committed %.0f, max %.0f), %d threads, RSS %.0f MiB",
        h[0] / 1048576.0, h[1] / 1048576.0, h[2] / 1048576.0, h[3], h[4] / 1024.0);
  }

  /** used, committed, max (bytes), threads, RSS (KiB) of the server, after two full collections. */
  static long[] heap(ChildProcess server) throws IOException, InterruptedException {
    server.send("heap");
    String line = server.await("heap ", 60_000);
    if (line == null) {
      throw new IOException("the server did not report its heap");
    }
    String[] f = line.trim().split(" ");
    long[] out = new long[f.length];
    for (int i = 0; i < f.length; i++) {
      out[i] = Long.parseLong(f[i]);
    }
    return out;
  }

  private static String openFilesLimit() {
    try {
      for (String l : Files.readAllLines(Paths.get("/proc/self/limits"))) {
        if (l.startsWith("Max open files")) {
          String[] f = l.substring("Max open files".length()).trim().split("\\s+");
          return f[0] + " (hard " + f[1] + ")";
        }
      }
    } catch (IOException e) {
      // not Linux
    }
    return "unknown";
  }

  static void await(String what, long timeoutMillis, BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IOException("timed out after " + timeoutMillis + " ms waiting until " + what);
      }
      Thread.sleep(2);
    }
  }

  /** A device's database with the benchmark's table replicated; null interval: the default options. */
  static Cfost replica(Path file, Duration captureInterval) {
    CfostOptions.Builder b = CfostOptions.builder(file);
    Cfost db = Cfost.open(captureInterval == null ? b.build() : b.captureInterval(captureInterval).build());
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS " + Rows.DDL.substring("CREATE TABLE ".length()));
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    db.replicate(Rows.TABLE);
    return db;
  }

  private record Timed(long wall, long cpu, String fingerprint) {}

  /** The rows into a plain table of a fresh file opened like {@code Cfost.connect()} (WAL, synchronous FULL). */
  private Timed rawInsert(Rows rows) throws SQLException, IOException {
    Path file = dir.resolve("raw.db");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
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
      return new Timed(wall, u1.since(u0), Workloads.fingerprint(c));
    } finally {
      for (String ext : new String[] {"", "-wal", "-shm"}) {
        Files.deleteIfExists(Paths.get(file + ext));
      }
    }
  }

  static double seconds(long nanos) {
    return nanos / 1e9;
  }
}
