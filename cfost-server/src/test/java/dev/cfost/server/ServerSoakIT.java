package dev.cfost.server;

import static dev.cfost.server.HttpTestClient.obj;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cursor;
import dev.cfost.identity.ServerClient;
import dev.cfost.identity.SyncTrust;
import dev.cfost.net.Peer;
import dev.cfost.net.PeerListener;
import dev.cfost.net.PeerOptions;
import dev.cfost.net.SyncMessage;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded soak of a real sync server (a child JVM, {@link ServerChild}) on loopback: real devices (Cfost,
 * the library's {@link ServerClient} and a {@link Peer}) write all the time and restart their peers at random;
 * raw WebSocket and SSE clients connect, read part of the stream and drop; every connection goes through
 * {@link CuttingProxy}, which resets one at random every few hundred milliseconds. Measured on the server's
 * process (docs/RELIABILITY.md): no error counted or logged, every device converges to the same table
 * holding every row written, the connection gauges return to 0, heap after a full GC stays flat, threads
 * and file descriptors return to their baseline.
 *
 * <p>CI runs {@value #CI_SECONDS} s, long enough for every kind of fault many times over (about 35 cuts, 9
 * peer restarts, 150 raw sessions, 1,500 writes) and 7 heap samples, 2 a third: it proves that nothing is
 * lost or leaked quickly under every fault, and that the checks work. Slow leaks are the long run's:
 * {@code -Dsoak.seconds=600} (see docs/RELIABILITY.md).
 */
class ServerSoakIT {
  static final int CI_SECONDS = 20;
  /**
   * The server's SSE keep-alive: a stream whose client vanished is seen at its next write, when idle the
   * keep-alive, so the gauges' return to 0 waits up to this long (at the default 15 s, most of the wait).
   */
  static final Duration SSE_KEEP_ALIVE = Duration.ofSeconds(1);
  /** Heap after GC: the lowest sample of the last third may exceed the first third's by this much. */
  static final long HEAP_GROWTH_BYTES = 16L << 20;
  /**
   * Threads at the end may exceed the first sample under load, file descriptors the baseline, by this many
   * (pools keep idle threads).
   */
  static final int THREAD_TOLERANCE = 12;
  static final int FD_TOLERANCE = 12;
  static final String PASSWORD = "correct horse";
  static final String DUPLICATE = "duplicate_session";

  @TempDir Path dir;
  private final List<AutoCloseable> open = Collections.synchronizedList(new ArrayList<>());
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
  private final List<String> deviceErrors = Collections.synchronizedList(new ArrayList<>());

  /** A real device and its peer of the server, restarted at random. */
  private final class Device {
    final UserDevice user;
    final SyncTrust trust;
    final ServerClient client;
    volatile Peer peer;

    Device(UserDevice user, SyncTrust trust, ServerClient client) {
      this.user = user;
      this.trust = trust;
      this.client = client;
    }

    synchronized void startPeer() throws Exception {
      Peer p = Peer.create(user.db, trust.applyToServer(PeerOptions.builder()
          .transport(client.transport(user.db, user.keys, user.identityUser)).discovery(true)
          .discoveryInterval(100).backoff(50, 1_000).keepAlive(1_000, 5_000)).build());
      p.addListener(new PeerListener() {
        @Override
        public void onConnect(String peerId, String transport) {
          count("device connects");
        }

        @Override
        public void onDisconnect(String peerId, String reason) {
          count("device disconnects");
        }

        @Override
        public void onError(String peerId, Throwable error) {
          deviceErrors.add(user.keys.deviceId() + " at " + (System.nanoTime() / 1_000_000) + " ms: " + error);
        }
      });
      p.start();
      peer = p;
    }

    synchronized void stopPeer() {
      Peer p = peer;
      peer = null;
      if (p != null) {
        p.close();
      }
    }
  }

  @AfterEach
  void stopEverything() throws Exception {
    running.set(false);
    for (Thread t : threads) {
      t.join(30_000);
    }
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  @Test
  void aServerUnderChurnAndCutConnectionsLeaksNothingAndLosesNothing() throws Exception {
    int seconds = Integer.getInteger("soak.seconds", CI_SECONDS);
    int sampleSeconds = Integer.getInteger("soak.sampleSeconds", Math.max(3, seconds / 20));
    long seed = Long.getLong("soak.seed", System.nanoTime());
    System.out.printf("soak: %d s, seed %d (replay the schedule's draws: -Dsoak.seed=%d)%n", seconds, seed, seed);
    ServerChild server = ServerChild.start(dir.resolve("data"), dir, SSE_KEEP_ALIVE);
    open.add(0, server);
    ServerFigures figures = new ServerFigures(server);
    CuttingProxy proxy = new CuttingProxy(server.port);
    open.add(0, proxy);
    HttpTestClient http = new HttpTestClient(server.port);
    String account = http.post("/v1/auth/register", obj("user_name", "alice", "email", "alice@example.org",
        "password", PASSWORD)).text("user_id");
    long start = System.nanoTime();
    ServerFigures.Sample baseline = figures.sample(start);

    // The user's devices: the first makes the user and lists the others, as pairing does.
    List<UserDevice> users = new ArrayList<>();
    for (String name : List.of("laptop", "phone", "tablet", "raw-ws", "raw-sse")) {
      UserDevice u = UserDevice.create(dir, name);
      open.add(u);
      users.add(u);
    }
    UserDevice first = users.get(0).asFirstDeviceOfANewUser("alice");
    users.subList(1, users.size()).forEach(first::authorize);
    List<Device> devices = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      UserDevice u = users.get(i);
      ServerClient client = ServerClient.builder(URI.create("http://127.0.0.1:" + proxy.port()))
          .tokenFile(ServerClient.tokenFileOf(u.db.path())).timeout(Duration.ofSeconds(5)).build();
      client.login("alice", PASSWORD.toCharArray());
      Device d = new Device(u, i == 0 ? SyncTrust.forUser(u.db, first.identityUser)
          : SyncTrust.forUser(u.db, u.keys, first.identityUser, first.keys.deviceId()), client);
      devices.add(d);
      open.add(0, d::stopPeer);
      d.startPeer();
      if (i == 0) { // the device list must reach the server before the others prove their keys
        await("the first device's list reached the server", 30,
            () -> d.peer.progress().stream().anyMatch(p -> p.caughtUp() && p.delivered()));
      }
    }
    String bearer = http.post("/v1/auth/login", obj("login", "alice", "password", PASSWORD)).text("access_token");
    String wsToken = users.get(3).proveTo(http, bearer, account).text("device_token");
    String sseToken = users.get(4).proveTo(http, bearer, account).text("device_token");

    Set<String> written = ConcurrentHashMap.newKeySet();
    for (Device d : devices) {
      spawn("writer-" + d.user.keys.deviceId(), new Random(seed ^ d.hashCode()), random -> {
        int n = (int) count("writes");
        if (random.nextInt(3) == 0) { // a shared row: conflicting edits from every device
          d.user.sql("INSERT OR REPLACE INTO todo VALUES ('shared-" + random.nextInt(40) + "', 'w" + n + "')");
        } else {
          String id = "row-" + n;
          d.user.sql("INSERT INTO todo VALUES ('" + id + "', 'row " + n + "')");
          written.add(id);
        }
        Thread.sleep(10 + random.nextInt(30));
      });
    }
    spawn("churn", new Random(seed + 1), random -> {
      Thread.sleep(500 + random.nextInt(2_500));
      Device d = devices.get(random.nextInt(devices.size()));
      d.stopPeer();
      count("device peer restarts");
      Thread.sleep(random.nextInt(1_000)); // it writes offline meanwhile
      d.startPeer();
    });
    spawn("cutter", new Random(seed + 2), random -> {
      Thread.sleep(100 + random.nextInt(900));
      proxy.cutOne(random);
    });
    spawn("raw-ws", new Random(seed + 3), random -> rawWebSocket(proxy.port(), users.get(3), wsToken, random));
    spawn("raw-sse", new Random(seed + 4), random -> rawSse(proxy.port(), users.get(4), sseToken, random));

    List<ServerFigures.Sample> samples = new ArrayList<>();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < end && failures.isEmpty()) {
      Thread.sleep(Math.min(TimeUnit.SECONDS.toMillis(sampleSeconds),
          Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()))));
      ServerFigures.Sample s = figures.sample(start);
      samples.add(s);
      System.out.println("soak sample: " + s + ", writes " + counts.get("writes") + ", cuts " + proxy.cuts());
    }
    running.set(false);
    for (Thread t : threads) {
      t.join(30_000);
      assertThat(t.isAlive()).as(t.getName() + " ended").isFalse();
    }
    assertThat(failures).as("failures of the clients' threads").isEmpty();

    // Settle: every device's peer running, no more cuts; all must hold the same rows, every written one.
    for (Device d : devices) {
      if (d.peer == null) {
        d.startPeer();
      }
    }
    long settleStart = System.nanoTime();
    await("every device holds the same table, with every row written", 120, () -> {
      List<String> one = devices.get(0).user.todos();
      Set<String> ids = new TreeSet<>();
      one.forEach(r -> ids.add(r.substring(0, r.indexOf('|'))));
      return ids.containsAll(written) && devices.stream().allMatch(d -> d.user.todos().equals(one));
    });
    long settleMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - settleStart);
    int rows = devices.get(0).user.todos().size();
    for (Device d : devices) {
      d.stopPeer();
    }
    proxy.close();
    long leftAt = System.nanoTime();
    await("the server's connection gauges return to 0", 30, () -> {
      try {
        return figures.openConnections("websocket") == 0 && figures.openConnections("sse") == 0;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    long gaugeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - leftAt);
    ServerFigures.Sample last = figures.sample(start);

    // Lowest of each third: a leak raises every sample after GC, while one sample may catch a burst of pages in
    // flight (up to 50 MiB in the 10-minute runs); in CI a third is 2 samples, and their median, the mean,
    // would still take half of such a burst, more than the bound.
    int third = Math.max(1, samples.size() / 3);
    long earlyHeap = lowestHeap(samples.subList(0, third));
    long lateHeap = lowestHeap(samples.subList(samples.size() - third, samples.size()));
    System.out.printf("soak: %d s, seed %d; %d writes (%d rows, every one on every device %d ms after the"
            + " writes stopped); proxied connections %d, cut %d; device connects %s, disconnects %s, peer restarts %s;"
            + " raw WebSocket sessions %s, raw SSE streams %s; device errors %d; server errors %s, %d logged at ERROR;"
            + " connection gauges at 0 %d ms after the last client left;"
            + "%n  baseline %s%n  end      %s%n  heap after GC, lowest of the first third %.1f MiB, of the last"
            + " third %.1f MiB (%d samples)%n",
        seconds, seed, counts.get("writes").get(), rows, settleMillis, proxy.accepted(), proxy.cuts(),
        counts.get("device connects"), counts.get("device disconnects"), counts.get("device peer restarts"),
        counts.get("raw websocket sessions"), counts.get("raw sse streams"), deviceErrors.size(), figures.errors(),
        figures.errorLogLines(), gaugeMillis, baseline, last, earlyHeap / 1048576.0, lateHeap / 1048576.0, samples.size());
    deviceErrors.forEach(e -> System.out.println("soak: device error: " + e));

    System.out.println("soak: the server's log at WARN and above:\n" + server.stderrText());
    assertThat(figures.errorLogLines()).as("server log lines at ERROR:\n" + figures.errorLog()).isZero();
    // One code follows from the faults: a client that reconnects after a cut before the server has seen the
    // old connection die replaces its old session (duplicate_session, sent to the dead connection).
    Map<String, Double> serverErrors = new java.util.TreeMap<>(figures.errors());
    double replaced = serverErrors.getOrDefault(DUPLICATE, 0.0);
    serverErrors.remove(DUPLICATE);
    assertThat(serverErrors).as("the server's cfost_errors_total, but for " + DUPLICATE).isEmpty();
    assertThat(replaced).as(DUPLICATE + " counted vs sessions opened")
        .isLessThanOrEqualTo(counts.get("device connects").get() + counts.get("raw websocket sessions").get());
    // The server's replacement reaches a device only if its old session still lives there (not explained yet,
    // docs/RELIABILITY.md); nothing else may be reported, a peer closed during a hello included.
    assertThat(deviceErrors).as("errors reported to the devices, but the server's " + DUPLICATE)
        .allMatch(e -> e.contains(DUPLICATE + ": the peer ended the session: a newer session of device"));
    assertThat(proxy.cuts()).as("connections cut").isGreaterThan(seconds / 2);
    assertThat(counts.get("device peer restarts").get()).isGreaterThan(seconds / 8);
    assertThat(lateHeap).as("heap after GC late in the run vs early (MiB: %.1f vs %.1f)", lateHeap / 1048576.0,
        earlyHeap / 1048576.0).isLessThanOrEqualTo(earlyHeap + HEAP_GROWTH_BYTES);
    // Threads against the first sample under load, not the idle baseline: pools sized by the machine's cores
    // (cfost-sync, 2 a core; Jetty's) have grown by then, by 21 threads with 8 cores, which no tolerance fits.
    ServerFigures.Sample loaded = samples.get(0);
    assertThat(last.threads()).as("server threads at the end vs the first sample under load " + loaded.threads()
        + " (baseline " + baseline.threads() + ")").isLessThanOrEqualTo(loaded.threads() + THREAD_TOLERANCE);
    assertThat(last.fds()).as("server file descriptors at the end vs baseline " + baseline.fds())
        .isLessThanOrEqualTo(baseline.fds() + FD_TOLERANCE);
  }

  /** A raw WebSocket client: joins, asks for the whole stream, reads part of it or all, then drops. */
  private void rawWebSocket(int port, UserDevice device, String token, Random random) throws Exception {
    RawSocket s;
    try {
      s = RawSocket.joined(port, device, token);
    } catch (Exception | AssertionError e) {
      count("raw websocket refused or cut before joining");
      Thread.sleep(200);
      return;
    }
    count("raw websocket sessions");
    try (s) {
      s.send(new SyncMessage.Request(Cursor.START));
      int read = 1 + random.nextInt(20);
      for (int i = 0; i < read; i++) {
        Object m = s.received.poll(5, TimeUnit.SECONDS);
        if (m == null || m instanceof String || m instanceof SyncMessage.Eose) {
          break; // cut by the proxy, or caught up
        }
      }
    } catch (Exception | AssertionError e) {
      count("raw websocket cut"); // a send on a cut connection
    }
    Thread.sleep(random.nextInt(300));
  }

  /** A raw SSE client: opens the stream, reads events until caught up or a random count, then drops. */
  private void rawSse(int port, UserDevice device, String token, Random random) throws Exception {
    try (SseStream s = SseStream.open(port, "database=" + device.db.databaseId(), token, Map.of())) {
      if (s.response.statusCode() != 200) {
        throw new AssertionError("the SSE stream answered " + s.response.statusCode());
      }
      count("raw sse streams");
      int read = 1 + random.nextInt(20);
      for (int i = 0; i < read && !"eose".equals(s.next().event()); i++) {
        // reading
      }
    } catch (java.io.IOException | java.util.concurrent.ExecutionException | AssertionError e) {
      count("raw sse cut"); // the proxy cut it
    }
    Thread.sleep(random.nextInt(300));
  }

  private static long lowestHeap(List<ServerFigures.Sample> samples) {
    return samples.stream().mapToLong(ServerFigures.Sample::heapAfterGcBytes).min().orElseThrow();
  }

  private long count(String what) {
    return counts.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
  }

  interface Step {
    void run(Random random) throws Exception;
  }

  /** Runs {@code step} until the soak ends; a failure is recorded and ends the soak. */
  private void spawn(String name, Random random, Step step) {
    Thread t = new Thread(() -> {
      try {
        while (running.get()) {
          step.run(random);
        }
      } catch (Throwable e) {
        failures.add(new AssertionError(name + " failed", e));
      }
    }, "soak-" + name);
    threads.add(t);
    t.start();
  }

  private static void await(String what, int seconds, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + seconds + " s waiting for: " + what);
      }
      Thread.sleep(50);
    }
  }
}
