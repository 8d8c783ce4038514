package dev.cfost.net;

import static dev.cfost.net.Nodes.await;
import static dev.cfost.net.Nodes.dump;
import static dev.cfost.net.Nodes.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import dev.cfost.Change;
import dev.cfost.ChangeBatch;
import dev.cfost.Cursor;
import dev.cfost.Values;
import dev.cfost.WallClock;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicas whose wall clocks disagree (the clock invariant): within the maximum drift they converge and
 * the later edit wins; a clock beyond it is refused, reported and never adopted; a clock that steps back
 * never stamps a write below one it already made, also across a restart.
 */
class ClockSkewTest {
  private static final long MINUTE = 60_000;
  /** A local col_version is a hybrid-clock timestamp: milliseconds above a 16-bit counter. */
  private static final int COUNTER_BITS = 16;

  @TempDir Path dir;
  MemoryNetwork net;
  final List<AutoCloseable> open = new ArrayList<>();
  /** Protocol errors reported, by the name of the replica whose peer reported them. */
  final Map<String, List<SyncException>> errors = new ConcurrentHashMap<>();
  private final Map<Cfost, Peer> peers = new IdentityHashMap<>();

  @BeforeEach
  void network() {
    net = new MemoryNetwork(11).latency(0, 3);
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    net.close();
  }

  @Test
  void replicasMinutesApartWithinTheDriftConvergeAndTheLaterEditWins() throws Exception {
    Duration drift = Duration.ofMinutes(10);
    Cfost slow = replica("slow", offset(-4 * MINUTE), drift);
    Cfost exact = replica("exact", offset(0), drift);
    Cfost fast = replica("fast", offset(3 * MINUTE), drift);
    PeerAddress atExact = start("exact", exact, null);
    start("slow", slow, atExact);
    start("fast", fast, atExact);

    sql(fast, "INSERT INTO todo VALUES ('k', 'from fast', 'f')");
    await("fast's row reaches slow", 10, () -> dump(slow).contains("k|from fast|f"));
    // slow's wall clock is 7 minutes behind the stamp it just received: only its hybrid clock, which
    // adopted that stamp, can order its edit after it.
    sql(slow, "UPDATE todo SET title = 'from slow, later' WHERE id = 'k'");
    for (int i = 0; i < 30; i++) {
      Cfost writer = i % 3 == 0 ? slow : i % 3 == 1 ? exact : fast;
      sql(writer, "INSERT OR REPLACE INTO todo VALUES ('r" + i % 7 + "', 'v" + i + "', 'w')");
    }
    await("the three replicas converge", 20, () -> dump(slow).equals(dump(exact)) && dump(exact).equals(dump(fast))
        && dump(fast).contains("k|from slow, later|f") && dump(fast).size() == 8);
    assertThat(errors.values()).as("errors reported").allMatch(list -> list.stream().noneMatch(e -> e.code().equals("clock_drift")));
    assertThat(millis(stamp(slow, "k", "title"))).as("slow's stamp, adopted from fast's clock")
        .isGreaterThan(System.currentTimeMillis() + MINUTE);
  }

  @Test
  void aClockBeyondTheDriftIsRefusedReportedAndNeverAdopted() throws Exception {
    Cfost here = replica("here", offset(0), Duration.ofSeconds(60));
    Cfost other = replica("other", offset(0), Duration.ofSeconds(60));
    Cfost future = replica("future", offset(120 * MINUTE), Duration.ofSeconds(60));
    sql(future, "INSERT INTO todo VALUES ('from-future', 'two hours ahead', 'f')");
    PeerAddress atHere = start("here", here, null);
    start("other", other, atHere);
    start("future", future, atHere);

    await("here reports future's clock as refused", 10, () -> errorsOf("here").stream()
        .anyMatch(e -> e.code().equals("clock_drift") && e.detail().contains("ahead of the local clock")));
    sql(here, "INSERT INTO todo VALUES ('from-here', 'now', 'h')");
    await("here's row reaches other and future", 10, () -> dump(other).contains("from-here|now|h")
        && dump(future).contains("from-here|now|h"));

    assertThat(dump(here)).noneMatch(r -> r.startsWith("from-future"));
    assertThat(dump(other)).noneMatch(r -> r.startsWith("from-future"));
    long stamped = millis(stamp(here, "from-here", "title"));
    assertThat(stamped).as("here's own stamp after the refusal").isLessThan(System.currentTimeMillis() + MINUTE);
    String futureSite = Values.hex(future.siteId());
    // here's status of future: known, and nothing received from it, whatever it sent.
    assertThat(peerOf(here).progress()).filteredOn(p -> p.peerId().equals(futureSite))
        .isNotEmpty().allMatch(p -> p.changesReceived() == 0);
  }

  /**
   * A wall clock that steps back an hour: the hybrid clock keeps every stamp above the ones before, also
   * across a restart. Meanwhile the replica sees every other replica's clock an hour ahead of its wall
   * clock, beyond the drift: it refuses their changes and reports it until its clock is right again.
   */
  @Test
  void aClockThatStepsBackAnHourNeverStampsBelowItsEarlierWritesAlsoAfterARestart() throws Exception {
    AtomicLong offset = new AtomicLong();
    WallClock stepping = () -> System.currentTimeMillis() + offset.get();
    Cfost a = replica("a", stepping, Duration.ofSeconds(60));
    Cfost b = replica("b", offset(0), Duration.ofSeconds(60));
    PeerAddress atB = start("b", b, null);
    start("a", a, atB);
    sql(a, "INSERT INTO todo VALUES ('k', 'before the step', 'a')");
    sql(b, "INSERT INTO todo VALUES ('m', 'from b', 'b')");
    await("b's row reaches a", 10, () -> dump(a).contains("m|from b|b"));
    long before = stamp(a, "k", "title");

    offset.set(-60 * MINUTE);
    sql(a, "UPDATE todo SET title = 'after the step' WHERE id = 'k'");
    sql(a, "UPDATE todo SET title = 'from a, an hour behind' WHERE id = 'm'");
    assertThat(stamp(a, "k", "title")).as("the stamp after the clock stepped back").isGreaterThan(before);
    await("a's edits win on b", 10, () -> dump(b).contains("k|after the step|a")
        && dump(b).contains("m|from a, an hour behind|b"));

    sql(b, "INSERT INTO todo VALUES ('n', 'from b, now an hour ahead of a', 'b')");
    await("a refuses b's clock and reports it", 10, () -> errorsOf("a").stream()
        .anyMatch(e -> e.code().equals("clock_drift")));
    assertThat(dump(a)).noneMatch(r -> r.startsWith("n|"));

    long lastBeforeRestart = Math.max(stamp(a, "k", "title"), stamp(a, "m", "title"));
    peerOf(a).close();
    a.close();
    Cfost again = replica("a", stepping, Duration.ofSeconds(60));
    sql(again, "UPDATE todo SET title = 'after the restart' WHERE id = 'k'");
    assertThat(stamp(again, "k", "title")).as("the stamp after a restart, the clock still an hour behind")
        .isGreaterThan(lastBeforeRestart);
    start("a", again, atB);
    await("the edit after the restart wins on b", 10, () -> dump(b).contains("k|after the restart|a"));

    offset.set(0); // the clock is set right: b's changes are no longer ahead
    await("a and b converge", 10, () -> dump(again).equals(dump(b)) && dump(b).size() == 3);
  }

  private static WallClock offset(long millis) {
    return () -> System.currentTimeMillis() + millis;
  }

  private Cfost replica(String name, WallClock clock, Duration maxDrift) {
    Cfost db = Cfost.open(CfostOptions.builder(dir.resolve(name + ".db")).wallClock(clock).maxDrift(maxDrift)
        .captureInterval(Duration.ofMillis(5)).build());
    open.add(0, db);
    sql(db, "CREATE TABLE IF NOT EXISTS todo(id TEXT PRIMARY KEY NOT NULL, title TEXT, owner TEXT)");
    db.replicate("todo");
    return db;
  }

  /** Starts a peer for {@code db}; returns the address it listens on. */
  private PeerAddress start(String name, Cfost db, PeerAddress target) throws IOException {
    PeerOptions.Builder options = PeerOptions.builder().transport(Transports.memory(net, name))
        .discovery(false).backoff(20, 300).keepAlive(500, 5_000);
    if (target != null) {
      options.peer(target);
    }
    Peer p = Peer.create(db, options.build());
    open.add(0, p);
    peers.put(db, p);
    p.addListener(new PeerListener() {
      @Override
      public void onError(String peerId, Throwable error) {
        if (error instanceof SyncException e) {
          errorsOf(name).add(e);
        }
      }
    });
    return p.start().get(0);
  }

  private List<SyncException> errorsOf(String name) {
    return errors.computeIfAbsent(name, n -> new CopyOnWriteArrayList<>());
  }

  private Peer peerOf(Cfost db) {
    return peers.get(db);
  }

  /** The col_version of one cell, read from the replica's change stream. */
  private static long stamp(Cfost db, String id, String column) {
    ChangeBatch batch = db.changes(Cursor.START, 100_000);
    for (Change c : batch.changes()) {
      if (c.cid().equals(column) && MergeModel.textKey(c.pk()).equals(id)) {
        return c.colVersion();
      }
    }
    throw new AssertionError("no change for " + id + "." + column + " in " + db.path().getFileName());
  }

  private static long millis(long colVersion) {
    return colVersion >>> COUNTER_BITS;
  }
}
