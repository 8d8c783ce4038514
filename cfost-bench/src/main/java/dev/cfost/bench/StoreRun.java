package dev.cfost.bench;

import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.Values;
import dev.cfost.identity.DeviceKeys;
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
  /** Batches each writing device sends before the clock starts. */
  static final int PUSH_WARMUP = 3;
  /** HTTP clients the lightweight devices are spread over (each has one selector thread). */
  private static final int HTTP_CLIENTS = 4;

  /** The figures of one configuration. */
  record Result(ServerScaleBench.Setup setup, double changesPerSecond, double pushSeconds, double cpuMsPerChange,
      double fanOutP50,
      double fanOutP99, double fanOutMax, String sessions, String stored, boolean ok) {}

  private final ServerScaleBench.Options options;
  private final ServerScaleBench.Setup setup;
  private final Path dir;
  private final String postgresUrl;
  private final Path postgresData;
  private final ServerScaleBench.Fleet fleet;
  private final List<ChildProcess> servers = new ArrayList<>();
  private final List<ServerAccount> accounts = new ArrayList<>();
  private final List<HttpClient> http = LightClient.httpClients(HTTP_CLIENTS);
  private final ScheduledExecutorService timer = LightClient.pingTimer();
  private String accountUser;
  private final List<String> writerTokens = new ArrayList<>();
  private final List<String> readerTokens = new ArrayList<>();
  private String fanOutWriterToken;
  /** Per writing device, the batches it sent (all acknowledged). */
  private final int[] sent;

  StoreRun(ServerScaleBench.Options options, ServerScaleBench.Setup setup, Path dir, String postgresUrl,
      Path postgresData, ServerScaleBench.Fleet fleet) {
    this.options = options;
    this.setup = setup;
    this.dir = dir;
    this.postgresUrl = postgresUrl;
    this.postgresData = postgresData;
    this.fleet = fleet;
    this.sent = new int[fleet.writerKeys().size()];
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
    return new Result(setup, push[0], push[1], push[2], fanOut[0], fanOut[1], fanOut[2], sessions, stored, ok);
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
    System.out.printf(Locale.ROOT, "%d server process(es) listening (%s) in %.1f s%n", servers.size(),
        accounts.stream().map(a -> a.base().getAuthority()).toList(), ServerBench.seconds(System.nanoTime() - t0));
  }

  /**
   * For each of the two users: registers its account, its device A syncs its device list to the server
   * through the first process, then each of its lightweight devices proves its key for a token, through
   * the processes in turn (not timed).
   */
  private void devices() throws Exception {
    long t0 = System.nanoTime();
    accountUser = register(fleet.writing());
    String readingUser = register(fleet.reading());
    long t1 = System.nanoTime();
    writerTokens.addAll(tokens(fleet.writing(), accountUser));
    List<String> reading = tokens(fleet.reading(), readingUser);
    fanOutWriterToken = reading.get(0);
    readerTokens.addAll(reading.subList(1, reading.size()));
    System.out.printf(Locale.ROOT, "two accounts registered and their device lists synced to the server by their"
        + " device A in %.1f s, %,d lightweight devices proven for tokens in %.1f s (not timed)%n",
        ServerBench.seconds(t1 - t0), writerTokens.size() + reading.size(),
        ServerBench.seconds(System.nanoTime() - t1));
  }

  /** Registers the user's account; its device A syncs the device list to the server. Returns the account id. */
  private String register(ServerScaleBench.Identity user) throws Exception {
    String id = accounts.get(0).register(user.account(), ServerBench.PASSWORD);
    ServerBench.Device devA = new ServerBench.Device("A", user.a(), user.keysA(), user.identityUser(),
        accounts.get(0).base(), user.account());
    try {
      devA.prepare();
      devA.peer.start();
      ServerBench.await("device A has synced the device list to the server", 300_000, () -> {
        SyncProgress p = devA.progress();
        return p.connected() && p.delivered() && p.changesSent() >= user.devices().size();
      });
    } finally {
      devA.disconnect();
    }
    return id;
  }

  /** Each of the user's lightweight devices proves its key for a device token, through the processes in turn. */
  private List<String> tokens(ServerScaleBench.Identity user, String account) throws Exception {
    String access = accounts.get(0).login(user.account(), ServerBench.PASSWORD);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<String>> futures = new ArrayList<>();
      for (int i = 0; i < user.devices().size(); i++) {
        ServerAccount via = accounts.get(i % accounts.size());
        DeviceKeys k = user.devices().get(i);
        futures.add(pool.submit(() -> via.deviceToken(access, account, user.identityUser(), k)));
      }
      List<String> tokens = new ArrayList<>();
      for (Future<String> f : futures) {
        tokens.add(f.get(60, TimeUnit.SECONDS));
      }
      return tokens;
    } finally {
      pool.shutdownNow();
    }
  }

  // ---- (a) sustained writes

  /**
   * Every writing device sends its batches as fast as the server acknowledges them, until all are sent or
   * {@code --seconds} have passed; then the batches sent are awaited. Returns changes per second and the
   * seconds from the start to the last acknowledgement.
   */
  private double[] push() throws Exception {
    int n = fleet.writerKeys().size();
    List<PushClient> writers = new ArrayList<>(n);
    try {
      for (int i = 0; i < n; i++) {
        String db = fleet.databaseIds().get(fleet.database()[i]);
        writers.add(PushClient.open(http.get(i % HTTP_CLIENTS), accounts.get(i % accounts.size()).base(), db,
            Topic.of(db).hex(), writerTokens.get(i), fleet.writerKeys().get(i).deviceId().toString(),
            Values.hex(fleet.sites().get(i)), Cursor.START, fleet.load().byDevice.get(i)));
      }
      for (PushClient w : writers) {
        w.ready.get(60, TimeUnit.SECONDS);
      }
      // The first batches of every device warm the JIT and the connections up and are not counted.
      int warm = Math.min(PUSH_WARMUP, options.batches - 1);
      writers.forEach(w -> w.allow(warm));
      ServerBench.await("every device's warm-up batches are acknowledged", 120_000,
          () -> writers.stream().allMatch(w -> w.ackedUpTo() >= warm || w.done.isCompletedExceptionally()));
      System.out.printf(Locale.ROOT, "%n(a) %d devices push batches of %d changes at once, for %d s at most (%d"
          + " batches each at most), after %d each not counted; sessions per process %s; load %.2f%n", n,
          fleet.load().changesPerBatch, options.seconds, options.batches - warm, warm, sessionsPerProcess(),
          SyncBench.load());
      Cpu cpu0 = Cpu.now(servers, postgresData);
      long t0 = System.nanoTime();
      writers.forEach(w -> w.allow(w.batches()));
      long windowEnd = t0 + TimeUnit.SECONDS.toNanos(options.seconds);
      while (System.nanoTime() < windowEnd && !writers.stream().allMatch(w -> w.done.isDone())) {
        Thread.sleep(20);
      }
      for (int i = 0; i < n; i++) {
        sent[i] = writers.get(i).stop();
      }
      ServerBench.await("every batch sent is acknowledged", 120_000, () -> {
        for (int i = 0; i < n; i++) {
          if (writers.get(i).ackedUpTo() < sent[i] && !writers.get(i).done.isCompletedExceptionally()) {
            return false;
          }
        }
        return true;
      });
      long end = t0;
      long batches = 0;
      for (int i = 0; i < n; i++) {
        PushClient w = writers.get(i);
        if (w.done.isCompletedExceptionally()) {
          w.done.get(); // throws the session's failure
        }
        end = Math.max(end, w.lastAckAt());
        batches += sent[i] - warm;
      }
      Cpu cpu1 = Cpu.now(servers, postgresData);
      long total = batches * fleet.load().changesPerBatch;
      double seconds = ServerBench.seconds(end - t0);
      double rate = total / seconds;
      System.out.printf(Locale.ROOT, "  %,d changes (%,d batches) acknowledged in %.2f s: %,.0f changes/s; load"
          + " %.2f%n", total, batches, seconds, rate, SyncBench.load());
      System.out.printf("  %s%n", cpu1.describeSince(cpu0, total, "change"));
      return new double[] {rate, seconds, cpu1.allSince(cpu0) / 1e6 / total};
    } finally {
      writers.forEach(PushClient::close);
    }
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
      long total = 0;
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
        long[] expected = fleet.load().expected(d, sent);
        total += expected[0];
        if (cells != expected[0] || checksum != expected[1]) {
          return String.format(Locale.ROOT, "NO: database %s holds %,d cells (checksum %x), %,d were pushed"
              + " (checksum %x)", ids.get(d), cells, checksum, expected[0], expected[1]);
        }
      }
      for (int i = 0; i < fleet.writerKeys().size(); i++) {
        Cursor c = store.receivedCursor(accountUser, ids.get(fleet.database()[i]), id(fleet.writerKeys().get(i)));
        if (c.complete() != sent[i]) {
          return "NO: device " + i + "'s cursor is " + c + ", not at its last batch sent, " + sent[i];
        }
      }
      System.out.printf(Locale.ROOT, "(c) the store holds every cell pushed: %,d in %d databases, checksums equal,"
          + " every device's cursor at its last batch sent%n", total, ids.size());
      return "yes";
    } finally {
      store.close();
    }
  }
}
