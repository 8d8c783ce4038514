package dev.cfost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cfost.Cfost;
import dev.cfost.Values;
import dev.cfost.net.SyncKey;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.jmdns.JmDNS;
import javax.jmdns.ServiceInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConfig;

/**
 * The sync commands as separate processes: daemons started with {@code start --daemon}, one-shot
 * {@code sync --once}, {@code stop}, {@code logs}, and the peer book. Network only on 127.0.0.1, except
 * the mDNS test, which multicasts on this machine's LAN interface. Every daemon a test started is killed
 * after it, whatever the outcome.
 */
class SyncCliIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TASK_LIST_DDL = "CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT, done INTEGER DEFAULT 0)";
  private static final Pattern STARTED = Pattern.compile("listening on ([^\\s:]+):(\\d+)\nstarted, pid (\\d+), log (.+)\n");
  private static final Pattern SYNCED = Pattern.compile("received (\\d+) changes, sent (\\d+) changes\n");
  private static final Pattern LOG_LINE = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z .+");
  private static final Duration CONVERGE = Duration.ofSeconds(30);
  private static final SyncKey KEY = SyncKey.generate();

  @TempDir Path dir;
  CfostProcess cfost;
  /**
   * Commands that only set up or read a database run in this JVM through the same entry point: a child
   * JVM costs about a second each, and polling with them made this class the slowest of the build. What
   * the tests are about (start --daemon, the daemons, sync --once, stop, logs --follow, and the commands
   * that must see a daemon of another process) still runs as processes of their own.
   */
  CfostProcess local;
  private final List<Long> daemons = new ArrayList<>();
  private final List<Process> spawned = new ArrayList<>();

  @BeforeEach
  void setUp() {
    cfost = new CfostProcess(dir);
    local = CfostProcess.inThisJvm(dir);
  }

  @AfterEach
  void killEverythingStarted() throws InterruptedException {
    for (Process p : spawned) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    for (long pid : daemons) {
      ProcessHandle.of(pid).ifPresent(h -> {
        h.destroyForcibly();
        h.onExit().orTimeout(10, TimeUnit.SECONDS).join();
      });
    }
  }

  /** A started daemon. */
  record Daemon(String db, int port, long pid, Path log) {
    String address() {
      return "127.0.0.1:" + port;
    }
  }

  private String db(String name) {
    return dir.resolve(name + ".db").toString();
  }

  /**
   * A database of id {@code cli-sync} with a replicated todo table holding {@code rows}, made through the
   * engine's API in this JVM: a child JVM per step would make these tests several times slower. Test 1
   * makes its replicas with the commands instead.
   */
  private String replica(String name, String... rows) {
    Path path = dir.resolve(name + ".db");
    try {
      KEY.save(path); // replicas without users share a sync key (cfost init makes it, cfost sync-key copies it)
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    try (Cfost db = Cfost.open(path)) {
      db.setDatabaseId("cli-sync");
      try (Connection c = db.connect(); Statement st = c.createStatement()) {
        st.execute(TASK_LIST_DDL);
        db.replicate("todo");
        for (String row : rows) {
          st.execute("INSERT INTO todo(id, title) VALUES " + row);
        }
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
    return path.toString();
  }

  private static String siteOf(String db) {
    try (Cfost c = Cfost.open(Path.of(db))) {
      return Values.hex(c.siteId());
    }
  }

  private Daemon startDaemon(String db, String... options) {
    List<String> args = new ArrayList<>(List.of("--db", db, "start", "--daemon"));
    args.addAll(List.of(options));
    CfostProcess.Result r = cfost.run(args.toArray(String[]::new));
    Matcher m = STARTED.matcher(r.out());
    if (m.find()) {
      daemons.add(Long.parseLong(m.group(3))); // first, so that it is killed whatever fails next
    }
    assertThat(r.ok()).as("start --daemon output").matches(STARTED);
    long pid = Long.parseLong(m.group(3));
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).contains(true);
    assertThat(Path.of(db + ".pid")).content().isEqualTo(pid + "\n");
    return new Daemon(db, Integer.parseInt(m.group(2)), pid, Path.of(m.group(4)));
  }

  private CfostProcess.Spawned spawn(String... args) {
    CfostProcess.Spawned s = cfost.spawn(args);
    spawned.add(s.process());
    return s;
  }

  private String todos(String db) {
    return local.run("--db", db, "sql", "--json", "SELECT * FROM todo ORDER BY id").ok();
  }

  private long changes(String db) {
    CfostProcess.Result r = local.run("--db", db, "export", "--out", dir.resolve(UUID.randomUUID() + ".jsonl").toString());
    assertThat(r.code()).as(r.err()).isZero();
    Matcher m = Pattern.compile("exported (\\d+) changes").matcher(r.err());
    assertThat(m.find()).as(r.err()).isTrue();
    return Long.parseLong(m.group(1));
  }

  private JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }

  /** Calls {@code probe} until {@code done} accepts its value or {@code timeout} passes; returns the value. */
  private static <T> T poll(String what, Duration timeout, Supplier<T> probe, Predicate<T> done) {
    long deadline = System.nanoTime() + timeout.toNanos();
    T last = probe.get();
    while (!done.test(last)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + " did not happen within " + timeout.toSeconds() + " s; last seen: " + last);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      last = probe.get();
    }
    return last;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  // ---- 1. two processes ----

  /** Makes a replica with the commands, as a user would (in this JVM: setup only); returns its site id. */
  private String initWithTodos(String db, String rows, String... initOptions) {
    List<String> args = new ArrayList<>(List.of("--db", db, "init", "--database", "cli-sync"));
    args.addAll(List.of(initOptions));
    String init = local.run(args.toArray(String[]::new)).ok();
    assertThat(init).matches("site id [0-9a-f]{32}\ndatabase cli-sync\n");
    local.run("--db", db, "sql", TASK_LIST_DDL + "; INSERT INTO todo(id, title) VALUES " + rows).ok();
    local.run("--db", db, "replicate", "todo").ok();
    return init.substring("site id ".length(), "site id ".length() + 32);
  }

  @Test
  void aDaemonAndAOneShotSyncConvergeAndStopEndsTheDaemon() throws IOException {
    String a = db("a");
    String b = db("b");
    initWithTodos(a, "('a1', 'from a'), ('a2', 'also from a')");
    String key = local.run("--db", a, "sync-key").ok().strip();
    assertThat(key).matches("[0-9a-f]{64}");
    String siteB = initWithTodos(b, "('b1', 'from b')", "--sync-key", key);
    int port = freePort();
    Daemon da = startDaemon(a, "--listen", "127.0.0.1:" + port, "--no-mdns");
    assertThat(da.port()).isEqualTo(port);
    CfostProcess.Spawned follow = spawn("--db", a, "logs", "--follow");
    JsonNode status = json(cfost.run("--db", a, "status", "--json").ok());
    assertThat(status.get("daemon").get("running").asBoolean()).isTrue();
    assertThat(status.get("daemon").get("pid").asLong()).isEqualTo(da.pid());
    assertThat(status.get("database_id").asText()).isEqualTo("cli-sync");

    // One change per non-key column (title, done) of each row: 2 rows from a, 1 from b; and each side's
    // definition of todo, one change per column (id, title, done): the CLI has schema sync on.
    String out = cfost.run("--db", b, "sync", "--peer", da.address(), "--once").ok();
    assertThat(out).isEqualTo("received 7 changes, sent 5 changes\n");
    assertThat(todos(b)).isEqualTo(todos(a)).contains("\"a2\"", "\"b1\"");
    assertThat(cfost.run("--db", b, "sync", "--peer", da.address(), "--once", "--json").ok())
        .isEqualTo("{\"received\":0,\"sent\":0}\n");

    String log = local.run("--db", a, "logs").ok();
    assertThat(log).contains("connect " + siteB, "eose " + siteB, "disconnect " + siteB);
    assertThat(log.lines().filter(l -> l.contains(siteB))).allMatch(l -> LOG_LINE.matcher(l).matches());
    poll("logs --follow showing the syncs", CONVERGE, follow::outText,
        t -> t.lines().filter(l -> l.contains("disconnect " + siteB)).count() == 2);

    assertThat(cfost.run("--db", a, "stop").ok()).isEqualTo("stopped\n");
    assertThat(ProcessHandle.of(da.pid()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    assertThat(Path.of(a + ".pid")).doesNotExist();
    assertThat(Files.readString(da.log())).endsWith(" stopped\n");
  }

  // ---- 2. three processes in a line ----

  @Test
  void aRowWrittenOnOneEndOfAChainOfThreeDaemonsReachesTheOtherEnd() {
    String a = replica("a");
    String b = replica("b");
    String c = replica("c");
    String siteA = siteOf(a);
    String siteB = siteOf(b);
    String siteC = siteOf(c);
    Daemon da = startDaemon(a, "--listen", "127.0.0.1:0", "--no-mdns");
    Daemon dbb = startDaemon(b, "--listen", "127.0.0.1:0", "--no-mdns", "--peer", da.address());
    startDaemon(c, "--listen", "127.0.0.1:0", "--no-mdns", "--peer", dbb.address());

    local.run("--db", a, "sql", "INSERT INTO todo(id, title) VALUES ('from-a', 'written on a')").ok();
    poll("the row from a on c", CONVERGE, () -> todos(c), t -> t.contains("written on a"));
    local.run("--db", c, "sql", "INSERT INTO todo(id, title) VALUES ('from-c', 'written on c')").ok();
    String onA = poll("the row from c on a", CONVERGE, () -> todos(a), t -> t.contains("written on c"));
    assertThat(todos(b)).isEqualTo(onA); // b relayed both rows
    assertThat(todos(c)).isEqualTo(onA);

    // b lists a from its peer book, and c, which dialed b, as inbound.
    JsonNode statusB = poll("b's status with nothing pending for a", CONVERGE,
        () -> json(local.run("--db", b, "status", "--json").ok()),
        s -> s.get("peers").size() == 2 && s.get("peers").get(0).get("pending").asLong(-1) == 0);
    JsonNode peerA = statusB.get("peers").get(0);
    assertThat(statusB.get("peers").get(1).get("source").asText()).isEqualTo("inbound");
    assertThat(statusB.get("peers").get(1).get("site_id").asText()).isEqualTo(siteC);
    assertThat(peerA.get("address").asText()).isEqualTo(da.address());
    assertThat(peerA.get("source").asText()).isEqualTo("manual");
    assertThat(peerA.get("site_id").asText()).isEqualTo(siteA);
    assertThat(peerA.get("last_seen").isTextual()).isTrue();
    assertThat(statusB.get("daemon").get("pid").asLong()).isEqualTo(dbb.pid());
    // a only listened: b, which synced with it, is its peer all the same (status said "peers none").
    JsonNode peerB = json(local.run("--db", a, "status", "--json").ok()).get("peers").get(0);
    assertThat(peerB.get("address").isNull()).isTrue();
    assertThat(peerB.get("site_id").asText()).isEqualTo(siteB);
    assertThat(peerB.get("last_seen").isTextual()).isTrue();
    assertThat(local.run("--db", a, "status").ok()).doesNotContain("peers           none")
        .contains("peer            site " + siteB + " (inbound), last seen ");

    // The peer book is read again while the daemon runs: c connects to a directly once it is added.
    assertThat(local.run("--db", c, "peer", "add", da.address()).ok()).isEqualTo("added " + da.address() + "\n");
    poll("c's peer book knowing a's site", CONVERGE,
        () -> json(local.run("--db", c, "peer", "list", "--json").ok()),
        l -> l.toString().contains("\"address\":\"" + da.address() + "\",\"source\":\"manual\",\"site_id\":\"" + siteA));
    assertThat(local.run("--db", c, "peer", "remove", da.address()).ok()).isEqualTo("removed " + da.address() + "\n");
    poll("c's log saying it let go of a", CONVERGE, () -> local.run("--db", c, "logs").ok(),
        t -> t.contains("peer book: removed " + da.address()));
  }

  // ---- 3. an interrupted sync resumes ----

  @Test
  void aKilledSyncResumesWithoutReceivingAgainWhatItHad() throws Exception {
    int rows = 20_000;
    String table = "CREATE TABLE item(id INTEGER PRIMARY KEY NOT NULL, a TEXT, b TEXT, c INTEGER)";
    String a = db("a");
    String b = db("b");
    for (String db : List.of(a, b)) {
      KEY.save(Path.of(db));
      try (Cfost c = Cfost.open(Path.of(db)); Connection conn = c.connect(); Statement st = conn.createStatement()) {
        c.setDatabaseId("big");
        st.execute(table);
        c.replicate("item");
      }
    }
    assertThat(local.run("--db", a, "sql", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < "
        + rows + ") INSERT INTO item SELECT i, 'row ' || i, hex(randomblob(16)), i * 7 FROM n").ok())
        .isEqualTo(rows + " rows changed\n");
    long total = changes(a);
    Daemon da = startDaemon(a, "--listen", "127.0.0.1:0", "--no-mdns");

    // --catch-up-ms 0: B commits every batch with its cursor at once, as in a slow catch-up (by default
    // it would take these 20,000 rows in one transaction, leaving nothing to interrupt half-way).
    CfostProcess.Spawned first = spawn("--db", b, "sync", "--peer", da.address(), "--once", "--catch-up-ms", "0");
    // Batches of 2000 changes are 667 rows here. B saves its cursor with each batch it merges, so once
    // a second batch is in, the first is safely behind the cursor: kill then, with about 27 batches to go.
    long twoBatches = 2 * 667;
    long seen;
    try (Connection reader = readOnly(b)) {
      long deadline = System.nanoTime() + CONVERGE.toNanos();
      seen = 0;
      while (seen < twoBatches) {
        assertThat(System.nanoTime()).as("B did not receive two batches in 30 s; stderr: %s", first.errText())
            .isLessThan(deadline);
        assertThat(first.process().isAlive()).as("the sync ended early: %s %s", first.outText(), first.errText()).isTrue();
        Thread.sleep(5);
        seen = count(reader, "item");
      }
      first.process().destroyForcibly();
      assertThat(first.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
      seen = count(reader, "item");
    }
    assertThat(seen).as("rows B had when killed").isBetween(twoBatches, rows - 1L);
    long before = changes(b);
    // Whole rows: three columns each; and the four rows of item's definition (the CLI has schema sync on).
    assertThat(before).isEqualTo(seen * 3 + 4);

    String out = cfost.run("--db", b, "sync", "--peer", da.address(), "--once").ok();
    Matcher m = SYNCED.matcher(out);
    assertThat(m.matches()).as(out).isTrue();
    long received = Long.parseLong(m.group(1));
    assertThat(received).isLessThan(total);
    // At most the batch B merged but had not saved its cursor for when it died comes again: one batch,
    // 2000 changes rounded up to whole rows (2001).
    assertThat(received + before).isBetween(total, total + 2001);
    assertThat(m.group(2)).isEqualTo("0");
    String all = "SELECT id, a, b, c FROM item ORDER BY id";
    assertThat(local.run("--db", b, "sql", "--json", all).ok()).isEqualTo(local.run("--db", a, "sql", "--json", all).ok());
  }

  private static Connection readOnly(String db) throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setReadOnly(true);
    config.setBusyTimeout(10_000);
    return config.createConnection("jdbc:sqlite:" + db);
  }

  /** The ids in the todo table, read through a read-only connection of this JVM. */
  private static List<String> ids(String db) {
    List<String> out = new ArrayList<>();
    try (Connection c = readOnly(db); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT id FROM todo ORDER BY id")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
    return out;
  }

  private static long count(Connection c, String table) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  // ---- 4. mDNS ----

  @Test
  void twoDaemonsFindEachOtherWithMdnsAndConverge() {
    String a = replica("a", "('a1', 'from a')");
    String b = replica("b", "('b1', 'from b')");
    String multicastProblem = multicastProblem();
    Daemon da = startDaemon(a, "--listen", "0.0.0.0:0");
    Daemon dbb;
    if (multicastProblem == null) {
      dbb = startDaemon(b, "--listen", "0.0.0.0:0");
    } else {
      System.err.println("MULTICAST UNAVAILABLE: " + multicastProblem + "; mDNS discovery cannot work here, so this"
          + " test checks the fallback instead: the same daemons with --peer");
      dbb = startDaemon(b, "--listen", "0.0.0.0:0", "--peer", da.address());
    }
    // Polled in this JVM (a child JVM per look would be slow), then compared with the command.
    poll("a and b both holding a1 and b1", CONVERGE, () -> List.of(ids(a), ids(b)),
        l -> l.get(0).equals(List.of("a1", "b1")) && l.get(1).equals(List.of("a1", "b1")));
    assertThat(todos(a)).isEqualTo(todos(b));
    if (multicastProblem == null) {
      // Found by mDNS, not by anything else: each peer book lists the other as an mDNS peer.
      for (Daemon[] pair : new Daemon[][] {{da, dbb}, {dbb, da}}) {
        poll("an mDNS entry for port " + pair[1].port() + " in the peer book of " + pair[0].db(), CONVERGE,
            () -> json(local.run("--db", pair[0].db(), "peer", "list", "--json").ok()),
            book -> {
              for (JsonNode e : book) {
                if (e.get("address").asText().endsWith(":" + pair[1].port()) && e.get("source").asText().equals("mdns")) {
                  return true;
                }
              }
              return false;
            });
      }
    }
  }

  /**
   * Null if mDNS works between two responders in this JVM on the interface the daemons choose (the first
   * non-loopback IPv4 multicast interface that is up), else why not.
   */
  private static String multicastProblem() {
    InetAddress lan = null;
    try {
      for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (ni.isUp() && !ni.isLoopback() && ni.supportsMulticast() && !ni.isVirtual()) {
          for (InetAddress addr : Collections.list(ni.getInetAddresses())) {
            if (addr instanceof Inet4Address && lan == null) {
              lan = addr;
            }
          }
        }
      }
    } catch (IOException e) {
      return "cannot list the network interfaces: " + e;
    }
    if (lan == null) {
      return "no non-loopback IPv4 interface with multicast is up";
    }
    String type = "_cfostprobe._tcp.local.";
    String name = "probe-" + UUID.randomUUID().toString().substring(0, 8);
    List<JmDNS> responders = new ArrayList<>();
    try {
      JmDNS announcer = JmDNS.create(lan, name + "-a");
      responders.add(announcer);
      JmDNS listener = JmDNS.create(lan, name + "-b");
      responders.add(listener);
      announcer.registerService(ServiceInfo.create(type, name, 9, 0, 0, Map.of("probe", "1")));
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (System.nanoTime() < deadline) {
        for (ServiceInfo info : listener.list(type, 1_000)) {
          if (name.equals(info.getName())) {
            return null;
          }
        }
      }
      return "an mDNS announcement on " + lan.getHostAddress() + " was not seen by a second responder within 10 s";
    } catch (IOException e) {
      return "mDNS on " + lan.getHostAddress() + " failed: " + e;
    } finally {
      // Closing says goodbye on the network and takes seconds; nothing waits for it.
      Thread closer = new Thread(() -> responders.forEach(SyncCliIT::closeQuietly), "mdns-probe-close");
      closer.setDaemon(true);
      closer.start();
    }
  }

  private static void closeQuietly(JmDNS j) {
    try {
      j.close();
    } catch (IOException e) {
      // a probe only
    }
  }

  // ---- 5. errors ----

  @Test
  void aSecondStartFailsNamingThePidAndAKilledDaemonsPidFileIsIgnored() throws InterruptedException {
    String a = replica("a");
    assertThat(local.run("--db", a, "stop").fails(1)).isEqualTo("cfost: no daemon runs for " + a);
    Daemon da = startDaemon(a, "--listen", "127.0.0.1:0", "--no-mdns");
    assertThat(cfost.run("--db", a, "start", "--daemon", "--listen", "127.0.0.1:0", "--no-mdns").fails(1))
        .contains("already runs", "pid " + da.pid());
    assertThat(cfost.run("--db", a, "start", "--listen", "127.0.0.1:0", "--no-mdns").fails(1))
        .contains("already runs", "pid " + da.pid());
    // A one-shot sync would be a second engine merging into the file.
    assertThat(cfost.run("--db", a, "sync", "--peer", "127.0.0.1:1", "--once").fails(1))
        .contains("pid " + da.pid(), "syncs this database already");

    ProcessHandle h = ProcessHandle.of(da.pid()).orElseThrow();
    h.destroyForcibly(); // no shutdown hook runs: the pid file stays, but nobody holds its lock
    h.onExit().orTimeout(10, TimeUnit.SECONDS).join();
    assertThat(Path.of(a + ".pid")).exists();
    assertThat(json(local.run("--db", a, "status", "--json").ok()).get("daemon").get("running").asBoolean()).isFalse();
    Daemon again = startDaemon(a, "--listen", "127.0.0.1:0", "--no-mdns");
    assertThat(cfost.run("--db", a, "stop").ok()).isEqualTo("stopped\n");
    assertThat(ProcessHandle.of(again.pid()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    assertThat(local.run("--db", a, "stop").fails(1)).isEqualTo("cfost: no daemon runs for " + a);
  }

  @Test
  void aDaemonThatCannotStartShowsTheEndOfItsLog() throws IOException {
    String a = replica("a");
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      CfostProcess.Result r = cfost.run("--db", a, "start", "--daemon", "--listen", "127.0.0.1:" + port, "--no-mdns");
      assertThat(r.code()).isEqualTo(1);
      assertThat(r.out()).isEmpty();
      List<String> err = r.errLines();
      assertThat(err).anyMatch(l -> l.startsWith("cfost: cannot listen on 127.0.0.1:" + port)); // the child's words
      assertThat(err.get(err.size() - 1))
          .isEqualTo("cfost: the daemon exited with code 1 before it started; log: " + a + ".log");
    }
    assertThat(Path.of(a + ".pid")).doesNotExist();
  }

  @Test
  void aSyncWithNobodyListeningFailsAtOnce() throws IOException {
    String b = replica("b");
    int port = freePort();
    long t0 = System.nanoTime();
    String line = cfost.run("--db", b, "sync", "--peer", "127.0.0.1:" + port, "--once", "--timeout", "30").fails(1);
    assertThat(line).isEqualTo("cfost: cannot connect to 127.0.0.1:" + port + ": Connection refused");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
  }

  @Test
  void aSyncWithAPeerThatNeverAnswersEndsAtTheTimeout() throws IOException {
    String b = replica("b");
    List<Socket> accepted = Collections.synchronizedList(new ArrayList<>());
    try (ServerSocket silent = new ServerSocket()) {
      silent.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            accepted.add(silent.accept()); // and never say a word
          }
        } catch (IOException e) {
          // closed at the end of the test
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      long t0 = System.nanoTime();
      String line = cfost.run("--db", b, "sync", "--peer", "127.0.0.1:" + silent.getLocalPort(), "--once",
          "--timeout", "2").fails(1);
      assertThat(line).contains("did not finish within 2 s");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(15));
      assertThat(accepted).isNotEmpty();
    } finally {
      for (Socket s : accepted) {
        s.close();
      }
    }
  }
}
