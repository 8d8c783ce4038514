package dev.cfost.bench;

import dev.cfost.Cfost;
import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.Values;
import dev.cfost.identity.Argon2Params;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.identity.Users;
import dev.cfost.net.SyncProgress;
import dev.cfost.net.Topic;
import dev.cfost.server.ServerStore;
import dev.cfost.server.StoredChanges;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * One configuration of {@link ServerScaleBench}: fresh server processes on a fresh store, the user's
 * device list brought to the server by a real device, then (a) the writing devices push their sealed
 * batches all at once, spread over the processes, (b) one change at a time is fanned out to the reading
 * devices, spread over the processes, and (c) with the processes stopped, the store is opened and must
 * hold every change pushed. Used by the benchmark's main thread.
 */
final class StoreRun {
  static final String FAN_OUT_DATABASE = "default";
  static final int WARMUP = 3;
  /** HTTP clients the lightweight devices are spread over (each has one selector thread). */
  private static final int HTTP_CLIENTS = 4;

  /** The figures of one configuration. */
  record Result(ServerScaleBench.Setup setup, double changesPerSecond, double pushSeconds, double fanOutP50,
      double fanOutP99, double fanOutMax, String sessions, String stored, boolean ok) {}

  private final ServerScaleBench.Options options;
  private final ServerScaleBench.Setup setup;
  private final Path dir;
  private final String postgresUrl;
  private final Path postgresData;
  private final ServerScaleBench.Fleet fleet;
  private final List<ChildProcess> servers = new ArrayList<>();
  private final List<ServerAccount> accounts = new ArrayList<>();
  private final List<HttpClient> http = new ArrayList<>();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "light-client-pings");
    t.setDaemon(true);
    return t;
  });
  private String accountUser;
  private final List<String> writerTokens = new ArrayList<>();
  private final List<String> readerTokens = new ArrayList<>();
  private String fanOutWriterToken;

  StoreRun(ServerScaleBench.Options options, ServerScaleBench.Setup setup, Path dir, String postgresUrl,
      Path postgresData, ServerScaleBench.Fleet fleet) {
    this.options = options;
    this.setup = setup;
    this.dir = dir;
    this.postgresUrl = postgresUrl;
    this.postgresData = postgresData;
    this.fleet = fleet;
    for (int i = 0; i < HTTP_CLIENTS; i++) {
      http.add(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build());
    }
  }

  Result run() throws Exception {
    System.out.printf(Locale.ROOT, "%n==== %s; load %.2f%n", setup, SyncBench.load());
    Files.createDirectories(dir);
    double[] push;
    double[] fanOut;
    String sessions;
    try {
      startServers();
      devices();
      push = push();
      FanOut f = fanOut();
      fanOut = f.figures;
      sessions = f.sessions;
    } finally {
      for (ChildProcess s : servers) {
        s.close();
      }
      timer.shutdownNow();
    }
    String stored = verifyStore();
    boolean ok = stored.equals("yes") && fanOut[3] == 0;
    return new Result(setup, push[0], push[1], fanOut[0], fanOut[1], fanOut[2], sessions, stored, ok);
  }

  private void startServers() throws Exception {
    long t0 = System.nanoTime();
    for (int i = 0; i < setup.processes(); i++) {
      Path data = dir.resolve("server-" + i);
      servers.add(postgresUrl == null ? ChildProcess.start(ServerChild.class, "-Xmx512m", data.toString())
          : ChildProcess.start(ServerChild.class, "-Xmx512m", data.toString(), postgresUrl));
    }
    for (ChildProcess s : servers) {
      String port = s.await("port ", 120_000);
      if (port == null) {
        throw new IOException("a server process did not start listening within 120 s");
      }
      accounts.add(new ServerAccount(Integer.parseInt(port)));
    }
    accountUser = accounts.get(0).register(ServerBench.USER, ServerBench.PASSWORD);
    System.out.printf(Locale.ROOT, "%d server process(es) listening (%s) in %.1f s%n", servers.size(),
        accounts.stream().map(a -> a.base().getAuthority()).toList(), ServerBench.seconds(System.nanoTime() - t0));
  }

  /**
   * A real device A registers the identity user, adds every lightweight device to the user's device list
   * and syncs it to the server through the first process; then each device proves its key for a token,
   * through the processes in turn (not timed).
   */
  private void devices() throws Exception {
    long t0 = System.nanoTime();
    Cfost a = ServerBench.replica(dir.resolve("device-a.db"), null);
    String identityUser = Users.open(a, new Argon2Params(1024, 1, 1))
        .register(ServerBench.USER, ServerBench.USER + "@example.org", ServerBench.PASSWORD.toCharArray());
    DeviceKeys keysA = DeviceKeys.forDatabase(a);
    Devices devices = Devices.open(a);
    devices.add(identityUser, keysA.publicKey(), "device A", null);
    devices.bindSite(keysA.deviceId(), a.siteId());
    List<DeviceKeys> all = new ArrayList<>(fleet.writerKeys());
    all.add(fleet.fanOutWriter());
    all.addAll(fleet.readerKeys());
    for (int i = 0; i < all.size(); i++) {
      devices.add(identityUser, all.get(i).publicKey(), "light-" + i, keysA.deviceId());
    }
    try (ServerBench.Device devA = new ServerBench.Device("A", a, keysA, identityUser, accounts.get(0).base())) {
      devA.prepare();
      devA.peer.start();
      ServerBench.await("device A has synced the device list to the server", 300_000, () -> {
        SyncProgress p = devA.progress();
        return p.connected() && p.delivered() && p.changesSent() >= all.size();
      });
    }
    String access = accounts.get(0).login(ServerBench.USER, ServerBench.PASSWORD);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<String>> futures = new ArrayList<>();
      for (int i = 0; i < all.size(); i++) {
        ServerAccount via = accounts.get(i % accounts.size());
        DeviceKeys k = all.get(i);
        futures.add(pool.submit(() -> via.deviceToken(access, accountUser, identityUser, k)));
      }
      List<String> tokens = new ArrayList<>();
      for (Future<String> f : futures) {
        tokens.add(f.get(60, TimeUnit.SECONDS));
      }
      int w = fleet.writerKeys().size();
      writerTokens.addAll(tokens.subList(0, w));
      fanOutWriterToken = tokens.get(w);
      readerTokens.addAll(tokens.subList(w + 1, tokens.size()));
    } finally {
      pool.shutdownNow();
    }
    System.out.printf(Locale.ROOT, "%,d lightweight devices in the user's device list, synced to the server by"
        + " device A, proven for tokens in %.1f s (not timed)%n", all.size(), ServerBench.seconds(System.nanoTime() - t0));
  }

  // ---- (a) sustained writes

  /** Returns changes per second and the seconds the push took. */
  private double[] push() throws Exception {
    int n = fleet.writerKeys().size();
    List<PushClient> writers = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String db = fleet.databaseIds().get(fleet.database()[i]);
      writers.add(PushClient.open(http.get(i % HTTP_CLIENTS), accounts.get(i % accounts.size()).base(), db,
          Topic.of(db).hex(), writerTokens.get(i), fleet.writerKeys().get(i).deviceId().toString(),
          Values.hex(fleet.sites().get(i)), Cursor.START, fleet.load().byDevice.get(i)));
    }
    for (PushClient w : writers) {
      w.ready.get(60, TimeUnit.SECONDS);
    }
    long total = (long) n * fleet.load().changesPerDevice;
    System.out.printf(Locale.ROOT, "%n(a) %d devices push %,d changes at once (sessions per process: %s);"
        + " load %.2f%n", n, total, sessionsPerProcess(), SyncBench.load());
    Cpu cpu0 = Cpu.now(servers, postgresData);
    long t0 = System.nanoTime();
    writers.forEach(w -> w.allow(w.batches()));
    long deadline = t0 + TimeUnit.SECONDS.toNanos(options.pushTimeoutSeconds);
    long end = t0;
    try {
      for (PushClient w : writers) {
        w.done.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        end = Math.max(end, w.lastAckAt());
      }
    } catch (java.util.concurrent.TimeoutException e) {
      long acked = writers.stream().mapToLong(PushClient::ackedUpTo).sum() * 2 * options.batchRows;
      throw new IOException("the writes did not all finish within " + options.pushTimeoutSeconds + " s (" + acked
          + " changes acknowledged of " + total + ")");
    } finally {
      writers.forEach(PushClient::close);
    }
    Cpu cpu1 = Cpu.now(servers, postgresData);
    double seconds = ServerBench.seconds(end - t0);
    double rate = total / seconds;
    System.out.printf(Locale.ROOT, "  every batch acknowledged after %.2f s: %,.0f changes/s (%,.0f batches/s); load"
        + " %.2f%n", seconds, rate, n * (double) options.batches / seconds, SyncBench.load());
    System.out.printf("  %s%n", cpu1.describeSince(cpu0, total, "change"));
    return new double[] {rate, seconds};
  }

  private String sessionsPerProcess() throws Exception {
    List<String> out = new ArrayList<>();
    for (ServerAccount a : accounts) {
      out.add(String.format(Locale.ROOT, "%,d", a.websocketSessions()));
    }
    return String.join(" / ", out);
  }

  // ---- (b) fan-out

  private record FanOut(double[] figures, String sessions) {}

  /** p50, p99, max of the arrivals, and the count of changes that did not reach every device; sessions. */
  private FanOut fanOut() throws Exception {
    int n = fleet.readerKeys().size();
    LightClient probe = LightClient.open(http.get(0), accounts.get(0).base(), FAN_OUT_DATABASE, readerTokens.get(0),
        id(fleet.readerKeys().get(0)), Cursor.START, 0, null, timer);
    long head;
    try {
      head = probe.ready.get(60, TimeUnit.SECONDS);
    } finally {
      probe.close();
    }
    ServerLoad.Rounds rounds = new ServerLoad.Rounds();
    List<LightClient> readers = new ArrayList<>(n);
    Semaphore inFlight = new Semaphore(64);
    for (int i = 0; i < n; i++) {
      inFlight.acquire();
      LightClient c = LightClient.open(http.get(i % HTTP_CLIENTS), accounts.get(i % accounts.size()).base(),
          FAN_OUT_DATABASE, readerTokens.get(i), id(fleet.readerKeys().get(i)), Cursor.since(head), i, rounds, timer);
      c.ready.whenComplete((x, e) -> inFlight.release());
      readers.add(c);
    }
    PushClient writer = null;
    try {
      for (LightClient c : readers) {
        c.ready.get(60, TimeUnit.SECONDS);
      }
      writer = PushClient.open(http.get(0), accounts.get(0).base(), FAN_OUT_DATABASE,
          Topic.of(FAN_OUT_DATABASE).hex(), fanOutWriterToken, id(fleet.fanOutWriter()),
          Values.hex(fleet.fanOutSite()), Cursor.since(head), fleet.fanOutBatches());
      writer.ready.get(60, TimeUnit.SECONDS);
      String sessions = sessionsPerProcess();
      System.out.printf(Locale.ROOT, "%n(b) fan-out of one change written through the first process to %,d devices"
          + " spread over %d process(es); sessions per process %s; load %.2f%n", n, accounts.size(), sessions,
          SyncBench.load());
      Samples arrivals = new Samples();
      Samples last = new Samples();
      int incomplete = 0;
      Cpu cpu0 = null;
      for (int k = 0; k < WARMUP + options.fanoutSamples; k++) {
        if (k == WARMUP) {
          cpu0 = Cpu.now(servers, postgresData);
        }
        ServerLoad.Round round = new ServerLoad.Round(n);
        rounds.current = round;
        long w0 = System.nanoTime();
        writer.allow(k + 1);
        boolean complete = round.all.await(10, TimeUnit.SECONDS);
        rounds.current = null;
        if (k >= WARMUP) {
          long max = 0;
          synchronized (round) {
            for (long at : round.at) {
              if (at != 0) {
                arrivals.add(at - w0);
                max = Math.max(max, at - w0);
              }
            }
          }
          last.add(max);
          incomplete += complete ? 0 : 1;
        }
        Thread.sleep(300);
      }
      Cpu cpu1 = Cpu.now(servers, postgresData);
      System.out.printf("  write sent to each device's arrival of the changes message: %s%n", arrivals.summary());
      System.out.printf("  to the last device's arrival, per change: %s%n", last.summary());
      System.out.printf("  %s%n", cpu1.describeSince(cpu0, options.fanoutSamples, "change fanned out"));
      System.out.printf("  %d changes of %d did not reach every device within 10 s%n", incomplete,
          options.fanoutSamples);
      return new FanOut(new double[] {arrivals.medianMillis(), arrivals.percentileMillis(99), arrivals.maxMillis(),
          incomplete}, sessions);
    } finally {
      if (writer != null) {
        writer.close();
      }
      readers.forEach(LightClient::close);
    }
  }

  private static String id(DeviceKeys k) {
    return k.deviceId().toString();
  }

  // ---- (c) nothing lost

  /**
   * Opens the store the processes used (they are stopped) and checks that each written database holds
   * exactly the cells pushed to it (count and checksum) and each writer's cursor is at its last batch.
   */
  private String verifyStore() {
    ServerStore store = postgresUrl == null ? ServerStore.openSqlite(dir.resolve("server-0"))
        : ServerStore.openPostgres(postgresUrl);
    try {
      List<String> ids = fleet.databaseIds();
      for (int d = 0; d < ids.size(); d++) {
        long cells = 0;
        long checksum = 0;
        long position = 0;
        for (boolean more = true; more; ) {
          StoredChanges page = store.changesAfter(accountUser, ids.get(d), position, 20_000);
          for (Change c : page.changes()) {
            if (!c.isSentinel()) {
              cells++;
              checksum += LoadBatches.cellHash(c);
            }
          }
          more = page.position() > position && !page.caughtUp();
          position = page.position();
        }
        if (cells != fleet.load().cells[d] || checksum != fleet.load().checksum[d]) {
          return String.format(Locale.ROOT, "NO: database %s holds %,d cells (checksum %x), %,d were pushed"
              + " (checksum %x)", ids.get(d), cells, checksum, fleet.load().cells[d], fleet.load().checksum[d]);
        }
      }
      for (int i = 0; i < fleet.writerKeys().size(); i++) {
        Cursor c = store.receivedCursor(accountUser, ids.get(fleet.database()[i]), id(fleet.writerKeys().get(i)));
        if (c.complete() != options.batches) {
          return "NO: device " + i + "'s cursor is " + c + ", not at its last batch " + options.batches;
        }
      }
      long total = 0;
      for (long c : fleet.load().cells) {
        total += c;
      }
      System.out.printf(Locale.ROOT, "(c) the store holds every cell pushed: %,d in %d databases, checksums equal,"
          + " every device's cursor at its last batch%n", total, ids.size());
      return "yes";
    } finally {
      store.close();
    }
  }
}
