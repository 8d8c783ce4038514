package dev.cfost.bench;

import dev.cfost.Cursor;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.net.SyncProgress;
import java.net.http.HttpClient;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The server benchmark's many-device phases, with {@link LightClient}s rather than full devices (a
 * thousand Cfost databases in one JVM would measure the JVM, not the server): (3) the fan-out of one
 * change written on device A to many connected devices of the same database, and (4) how many idle sync
 * sessions the server process holds with {@code -Xmx512m}, and its heap per session.
 *
 * <p>The lightweight devices are real devices of the user as far as the server can tell: each has its
 * own Ed25519 key, added to A's device list ({@link Devices#add}) and synced to the server by A before
 * it proves its key for a device token. Used by the benchmark's main thread.
 */
final class ServerLoad {
  private static final String DATABASE = "default";
  /** HTTP clients the lightweight devices are spread over (each has one selector thread). */
  private static final int HTTP_CLIENTS = 4;

  private final ServerBench bench;
  private final ServerBenchOptions options;
  private final ChildProcess server;
  private final ServerAccount account;
  private final String accountUser;
  private final String identityUser;
  private final ServerBench.Device a;
  private final List<HttpClient> http = LightClient.httpClients(HTTP_CLIENTS);
  private final ScheduledExecutorService timer = LightClient.pingTimer();
  private List<String> deviceIds = List.of();
  private List<String> tokens = List.of();

  ServerLoad(ServerBench bench, ServerBenchOptions options, ChildProcess server, ServerAccount account,
      String accountUser, String identityUser, ServerBench.Device a) {
    this.bench = bench;
    this.options = options;
    this.server = server;
    this.account = account;
    this.accountUser = accountUser;
    this.identityUser = identityUser;
    this.a = a;
  }

  // ---- (3) fan-out

  /** Arrival times of one fanned-out change, by client; 0 until it arrives. */
  static final class Round implements LightClient.Arrivals {
    final long[] at;
    final CountDownLatch all;

    Round(int clients) {
      at = new long[clients];
      all = new CountDownLatch(clients);
    }

    @Override
    public void arrived(int client, long nanos) {
      synchronized (this) {
        if (at[client] != 0) {
          return;
        }
        at[client] = nanos;
      }
      all.countDown();
    }
  }

  /** Switches every client to the current round. */
  static final class Rounds implements LightClient.Arrivals {
    volatile Round current;

    @Override
    public void arrived(int client, long nanos) {
      Round r = current;
      if (r != null) {
        r.arrived(client, nanos);
      }
    }
  }

  /**
   * Makes {@code n} more lightweight devices: adds their keys to A's device list, waits until A has
   * synced it to the server, and proves each key for a device token (not timed). The user's device list
   * grows with them, and what a batch costs the server and B grows with the list: the live phase runs
   * with one of them only (a user has a few devices), the fan-out with all.
   */
  void prepareDevices(int n) throws Exception {
    long t0 = System.nanoTime();
    makeDevices(n);
    System.out.printf(Locale.ROOT, "%n%,d lightweight devices added to A's device list (%,d devices in it now),"
        + " synced to the server, and proven for device tokens in %.1f s (not timed)%n", n, tokens.size() + 2,
        ServerBench.seconds(System.nanoTime() - t0));
  }

  /** A lightweight device's session, caught up, reporting each {@code changes} message to {@code arrivals}. */
  LightClient observer(LightClient.Arrivals arrivals) throws Exception {
    List<LightClient> one = new ArrayList<>(1);
    if (open(one, 1, probeHead(), arrivals) > 0) {
      throw new java.io.IOException("the observing lightweight device could not open a session");
    }
    return one.get(0);
  }

  void fanOut() throws Exception {
    int n = options.devices;
    if (tokens.size() < n) {
      prepareDevices(n - tokens.size());
    }
    System.out.printf(Locale.ROOT, "%n(3) fan-out of one change to %,d connected lightweight devices (%d changes after"
        + " %d not counted); load %.2f%n", n, options.fanoutSamples, options.fanoutWarmup, SyncBench.load());
    long head = probeHead();
    Rounds rounds = new Rounds();
    List<LightClient> clients = new ArrayList<>();
    try {
      int failed = open(clients, n, head, rounds);
      if (failed > 0) {
        bench.ok = false;
        System.out.printf("  %d of %d devices could not open a session%n", failed, n);
      }
      Samples arrivals = new Samples();
      Samples last = new Samples();
      int incomplete = 0;
      int warmup = options.fanoutWarmup;
      ThreadCpu.Usage serverCpu0 = null;
      try (Connection app = a.db.connect();
          PreparedStatement ps = app.prepareStatement("INSERT INTO items(id, n, label) VALUES (?, 0, 'fan-out')")) {
        for (int k = 0; k < warmup + options.fanoutSamples; k++) {
          if (k == warmup) {
            serverCpu0 = server.cpu();
          }
          Round round = new Round(clients.size());
          rounds.current = round;
          long w0 = System.nanoTime();
          ps.setString(1, "fanout-" + k);
          ps.executeUpdate();
          boolean complete = round.all.await(10, TimeUnit.SECONDS);
          rounds.current = null;
          if (k < warmup) {
            continue;
          }
          long max = 0;
          synchronized (round) {
            for (long at : round.at) {
              if (at != 0) {
                arrivals.add(at - w0);
                max = Math.max(max, at - w0);
              }
            }
          }
          if (!complete) {
            incomplete++;
          }
          last.add(max);
          Thread.sleep(300);
        }
      }
      ThreadCpu.Usage serverCpu1 = server.cpu();
      int open = (int) clients.stream().filter(c -> !c.closedByServer()).count();
      System.out.printf(Locale.ROOT, "  write start on A to each device's arrival of the changes message: %s%n",
          arrivals.summary());
      System.out.printf(Locale.ROOT, "  write start on A to the last device's arrival, per change: %s%n",
          last.summary());
      System.out.printf(Locale.ROOT, "  server CPU %.1f ms per change fanned out (%s)%n",
          serverCpu1.since(serverCpu0) / 1e6 / options.fanoutSamples, serverCpu1.breakdownSince(serverCpu0));
      System.out.printf(Locale.ROOT, "  %d changes of %d did not reach every device within 10 s; %,d of %,d sessions"
          + " still open%n", incomplete, options.fanoutSamples, open, clients.size());
      boolean met = arrivals.percentileMillis(99) <= 100 && incomplete == 0;
      bench.ok &= incomplete == 0;
      bench.summary.add(String.format(Locale.ROOT, "(3) fan-out to %,d lightweight devices (%d changes, after %d): per"
          + " device %s (target p99 <= 100 ms: %s); last device per change p50 %.2f, max %.2f ms%s", clients.size(),
          options.fanoutSamples, warmup, arrivals.summary(), met ? "met" : "missed", last.medianMillis(), last.maxMillis(),
          incomplete > 0 ? "; " + incomplete + " incomplete" : ""));
    } finally {
      clients.forEach(LightClient::close);
    }
  }

  /** Adds {@code n} device keys to A's device list, waits until A has synced it, proves each key. */
  private void makeDevices(int n) throws Exception {
    Devices devices = Devices.open(a.db);
    List<DeviceKeys> keys = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      DeviceKeys k = DeviceKeys.generate();
      devices.add(identityUser, k.publicKey(), "light-" + (tokens.size() + i), a.keys.deviceId());
      keys.add(k);
    }
    long sent = a.progress().changesSent();
    ServerBench.await("device A has synced the device list to the server", 120_000, () -> {
      SyncProgress p = a.progress();
      return p.connected() && p.delivered() && p.changesSent() > sent;
    });
    String access = account.login(ServerBench.USER, ServerBench.PASSWORD);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<String>> futures = new ArrayList<>();
      for (DeviceKeys k : keys) {
        futures.add(pool.submit(() -> account.deviceToken(access, accountUser, identityUser, k)));
      }
      List<String> t = new ArrayList<>(tokens);
      for (Future<String> f : futures) {
        t.add(f.get(60, TimeUnit.SECONDS));
      }
      List<String> ids = new ArrayList<>(deviceIds);
      keys.forEach(k -> ids.add(k.deviceId().toString()));
      tokens = List.copyOf(t);
      deviceIds = List.copyOf(ids);
    } finally {
      pool.shutdownNow();
    }
  }

  /** The server's head position: where a new device that wants only live changes asks to start. */
  private long probeHead() throws Exception {
    LightClient probe = LightClient.open(http.get(0), account.base(), DATABASE, tokens.get(0), deviceIds.get(0),
        Cursor.START, 0, null, timer);
    try {
      return probe.ready.get(60, TimeUnit.SECONDS);
    } finally {
      probe.close();
    }
  }

  /**
   * Opens {@code count} more sessions (at most 64 handshakes in flight) of the devices in turn, each
   * asking for the stream after {@code head}; returns how many failed to reach their eose within 60 s.
   */
  private int open(List<LightClient> into, int count, long head, LightClient.Arrivals arrivals) throws Exception {
    Semaphore inFlight = new Semaphore(64);
    List<LightClient> opened = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      inFlight.acquire();
      int index = into.size() + i;
      // The server keeps one session per device and database (a newer one ends the older,
      // duplicate_session): a device's k-th session is on a database of its own, empty but for the first.
      int round = index / tokens.size();
      LightClient c = LightClient.open(http.get(index % HTTP_CLIENTS), account.base(),
          round == 0 ? DATABASE : DATABASE + "-" + round, tokens.get(index % tokens.size()),
          deviceIds.get(index % tokens.size()), Cursor.since(round == 0 ? head : 0), index, arrivals, timer);
      c.ready.whenComplete((x, e) -> inFlight.release());
      opened.add(c);
    }
    int failed = 0;
    for (LightClient c : opened) {
      try {
        c.ready.get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        if (failed++ < 3) {
          System.out.printf("  a session failed: %s%n", e);
        }
      }
    }
    into.addAll(opened);
    return failed;
  }

  // ---- (4) idle connections

  void idle() throws Exception {
    int target = options.connections;
    System.out.printf(Locale.ROOT, "%n(4) idle sync sessions held by the server process (-Xmx512m), up to %,d, %,d"
        + " at a time, pinging every %d s; load %.2f%n", target, options.step, LightClient.PING_MILLIS / 1000,
        SyncBench.load());
    Thread.sleep(2000); // the fan-out's sessions are gone
    long[] base = ServerBench.heap(server);
    long head = probeHead();
    System.out.printf(Locale.ROOT, "  %8s %8s %14s %14s %10s %8s %8s %10s%n", "sessions", "failed", "heap MiB",
        "KiB/session", "RSS MiB", "threads", "health", "open s");
    System.out.printf(Locale.ROOT, "  %8d %8d %14.1f %14s %10.0f %8d %8s %10s%n", 0, 0, base[0] / 1048576.0, "",
        base[4] / 1024.0, base[3], ms(account.health(Duration.ofSeconds(10))), "");
    List<LightClient> clients = new ArrayList<>();
    int failed = 0;
    long[] h = base;
    long healthNanos = 0;
    int held = 0;
    try {
      while (clients.size() < target && failed == 0) {
        int k = Math.min(options.step, target - clients.size());
        long t0 = System.nanoTime();
        failed = open(clients, k, head, null);
        long took = System.nanoTime() - t0;
        healthNanos = account.health(Duration.ofSeconds(10));
        h = ServerBench.heap(server);
        held = (int) clients.stream().filter(c -> !c.closedByServer() && c.ready.isDone()
            && !c.ready.isCompletedExceptionally()).count();
        System.out.printf(Locale.ROOT, "  %8d %8d %14.1f %14.1f %10.0f %8d %8s %10.1f%n", held, failed,
            h[0] / 1048576.0, perSession(base, h, held), h[4] / 1024.0, h[3], ms(healthNanos), took / 1e9);
        if (healthNanos < 0) {
          break;
        }
      }
      // Held for --hold-s (every session pings at least once): they stay open, the server stays responsive.
      Thread.sleep(options.holdSeconds * 1000L);
      long healthAfter = account.health(Duration.ofSeconds(10));
      held = (int) clients.stream().filter(c -> !c.closedByServer() && c.ready.isDone()
          && !c.ready.isCompletedExceptionally()).count();
      h = ServerBench.heap(server);
      long[] healthTimes = new long[5];
      for (int i = 0; i < healthTimes.length; i++) {
        healthTimes[i] = account.health(Duration.ofSeconds(10));
      }
      Arrays.sort(healthTimes);
      String closedWhy = clients.stream().filter(LightClient::closedByServer).map(LightClient::closeReason)
          .findFirst().orElse("none");
      System.out.printf(Locale.ROOT, "  after %d s idle: %,d sessions open, heap after GC %.1f MiB (%.1f KiB per"
          + " session), RSS %.0f MiB, %d threads; /health %s ms (then median of 5: %s ms); first close: %s%n",
          options.holdSeconds, held, h[0] / 1048576.0, perSession(base, h, held),
          h[4] / 1024.0, h[3], ms(healthAfter), ms(healthTimes[2]), closedWhy);
      boolean reached = held >= target && failed == 0;
      bench.summary.add(String.format(Locale.ROOT, "(4) idle sessions: %,d held of %,d asked (%s), heap after GC %.1f"
          + " MiB (%.1f at 0), %.1f KiB per session, RSS %.0f MiB; /health %s ms with all open", held, target,
          reached ? "target reached" : failed > 0 ? failed + " failed in the last step" : "stopped",
          h[0] / 1048576.0, base[0] / 1048576.0, perSession(base, h, held), h[4] / 1024.0, ms(healthTimes[2])));
    } finally {
      long t0 = System.nanoTime();
      clients.forEach(LightClient::close);
      System.out.printf(Locale.ROOT, "  %,d clients closed in %.1f s%n", clients.size(),
          ServerBench.seconds(System.nanoTime() - t0));
      timer.shutdownNow();
    }
  }

  private static double perSession(long[] base, long[] h, int sessions) {
    return sessions == 0 ? 0 : (h[0] - base[0]) / 1024.0 / sessions;
  }

  private static String ms(long nanos) {
    return nanos < 0 ? "FAILED" : String.format(Locale.ROOT, "%.1f", nanos / 1e6);
  }
}
