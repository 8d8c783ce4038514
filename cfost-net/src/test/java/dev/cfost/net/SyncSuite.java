package dev.cfost.net;

import static dev.cfost.net.Nodes.await;
import static dev.cfost.net.Nodes.dump;
import static dev.cfost.net.Nodes.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import dev.cfost.ChangeFilter;
import dev.cfost.Values;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sync protocol's behaviour, run once per transport by its subclasses. */
abstract class SyncSuite {
  @TempDir Path dir;
  final List<AutoCloseable> toClose = new ArrayList<>();

  /** A transport for node {@code name}, listening. */
  abstract Transport transport(String name, Path db) throws IOException;

  <T extends AutoCloseable> T closing(T c) {
    toClose.add(0, c);
    return c;
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  Cfost replica(String name) {
    return closing(Nodes.replica(dir.resolve(name + ".db")));
  }

  PeerOptions.Builder options(String name, Cfost db) throws IOException {
    return PeerOptions.builder().transport(transport(name, db.path())).discovery(false)
        .backoff(20, 500).keepAlive(500, 5_000);
  }

  /** Starts a peer; returns the address it listens on. */
  PeerAddress start(Peer p) throws IOException {
    List<PeerAddress> at = p.start();
    return at.isEmpty() ? null : at.get(0);
  }

  @Test
  void twoPeersCatchUpThenExchangeLiveChanges() throws Exception {
    Cfost a = replica("a");
    Cfost b = replica("b");
    sql(a, "INSERT INTO todo VALUES ('1', 'before start', 'ann')");
    Peer pa = closing(Peer.create(a, options("a", a).build()));
    PeerAddress addrA = start(pa);
    BlockingQueue<String> eose = new LinkedBlockingQueue<>();
    Peer pb = closing(Peer.create(b, options("b", b).peer(addrA).build()));
    pb.addListener(new PeerListener() {
      @Override
      public void onEose(String peerId) {
        eose.add(peerId);
      }
    });
    start(pb);
    assertThat(eose.poll(10, TimeUnit.SECONDS)).isEqualTo(Values.hex(a.siteId()));
    assertThat(dump(b)).containsExactly("1|before start|ann");

    sql(a, "INSERT INTO todo VALUES ('2', 'live from a', 'ann')");
    sql(b, "INSERT INTO todo VALUES ('3', 'live from b', 'bob')");
    await("both replicas hold all three rows", 10, () -> dump(a).size() == 3 && dump(b).size() == 3);
    assertThat(dump(a)).isEqualTo(dump(b));
  }

  /** Both sides send big batches at once: neither may block the other (full socket buffers). */
  @Test
  void twoLargeHistoriesCrossWithoutDeadlock() throws Exception {
    Cfost a = replica("a");
    Cfost b = replica("b");
    String rows = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000)"
        + " INSERT INTO todo SELECT '%s' || i, hex(randomblob(40)), '%s' FROM n";
    sql(a, String.format(rows, "a", "ann"));
    sql(b, String.format(rows, "b", "bob"));
    PeerAddress addrA = start(closing(Peer.create(a, options("a", a).build())));
    start(closing(Peer.create(b, options("b", b).peer(addrA).build())));
    await("both replicas hold 12000 rows", 60, () -> Nodes.count(a) == 12_000 && Nodes.count(b) == 12_000);
    assertThat(dump(a)).isEqualTo(dump(b));
  }

  @Test
  void aCatchUpMergesConsecutiveBatchesInOneTransactionWithTheCursor() throws Exception {
    Cfost a = replica("a");
    Cfost b = replica("b");
    sql(a, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)"
        + " INSERT INTO todo SELECT 'k' || i, 'title ' || i, 'a' FROM n");
    a.capture();
    int batchChanges = 100;
    int batches = (int) Math.ceil(6000.0 / batchChanges);
    // Hold b's database write lock from a plain connection, so b's first merge waits and the window's
    // next batches queue up behind it: once released, they must go into the same transaction.
    long before = b.dbVersion();
    Peer pa = closing(Peer.create(a, options("a", a).maxBatchChanges(batchChanges).build()));
    PeerAddress addrA = start(pa);
    try (java.sql.Connection hold = java.sql.DriverManager.getConnection("jdbc:sqlite:" + b.path());
        java.sql.Statement st = hold.createStatement()) {
      st.execute("BEGIN IMMEDIATE");
      start(closing(Peer.create(b, options("b", b).peer(addrA).maxBatchChanges(batchChanges)
          .catchUpTransaction(60_000, 1_000_000).build())));
      await("a has sent a full window of batches", 20, () -> pa.progress().stream().anyMatch(p -> p.changesSent() >= 4 * batchChanges));
      Thread.sleep(300); // lets them arrive at b
      st.execute("ROLLBACK");
    }

    await("b holds a's 3000 rows", 30, () -> Nodes.count(b) == 3000);
    assertThat(dump(b)).isEqualTo(dump(a));
    long commits = b.dbVersion() - before;
    assertThat(commits).as("merge transactions for %d batches", batches).isBetween(1L, (long) batches - 3);
    await("b saved a's cursor with the changes", 10, () -> b.peerCursor(a.siteId()).equals(a.changes(dev.cfost.Cursor.START, 1_000_000).next()));
  }

  @Test
  void aLocalWriteCapturedByAMergesTransactionStillReachesThePeer() throws Exception {
    Cfost a = replica("a");
    // No background capture on b: its pending write is captured by the next transaction, a merge's.
    Cfost b = closing(Cfost.open(dev.cfost.CfostOptions.builder(dir.resolve("b.db")).captureInterval(java.time.Duration.ZERO).build()));
    sql(b, "CREATE TABLE IF NOT EXISTS todo(id TEXT PRIMARY KEY NOT NULL, title TEXT, owner TEXT)");
    b.replicate("todo");
    PeerAddress addrA = start(closing(Peer.create(a, options("a", a).build())));
    Peer pb = closing(Peer.create(b, options("b", b).peer(addrA).build()));
    start(pb);
    sql(a, "INSERT INTO todo VALUES ('first', 'from a', 'a')");
    await("b is live with a", 10, () -> Nodes.count(b) == 1 && pb.progress().stream().allMatch(SyncProgress::caughtUp));

    sql(b, "INSERT INTO todo VALUES ('mine', 'from b', 'b')"); // not captured yet
    sql(a, "INSERT INTO todo VALUES ('theirs', 'from a', 'a')");

    await("b's write reaches a", 10, () -> dump(a).contains("mine|from b|b"));
    assertThat(dump(b)).contains("theirs|from a|a");
  }

  @Test
  void aChangeRelayedThroughAThirdPeerArrives() throws Exception {
    Cfost a = replica("a");
    Cfost b = replica("b");
    Cfost c = replica("c");
    PeerAddress addrB = start(closing(Peer.create(b, options("b", b).build())));
    start(closing(Peer.create(a, options("a", a).peer(addrB).build())));
    start(closing(Peer.create(c, options("c", c).peer(addrB).build())));
    sql(a, "INSERT INTO todo VALUES ('x', 'from a', 'ann')");
    await("a's row reaches c through b", 10, () -> dump(c).contains("x|from a|ann"));
    sql(c, "UPDATE todo SET title = 'edited on c' WHERE id = 'x'");
    await("c's edit reaches a through b", 10, () -> dump(a).contains("x|edited on c|ann"));
  }

  @Test
  void anInterruptedSyncResumesWithoutResendingWhatWasAcknowledged() throws Exception {
    Cfost a = replica("a");
    Cfost b = replica("b");
    sql(a, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)"
        + " INSERT INTO todo SELECT 'r' || i, 'v', 'ann' FROM n");
    Peer pa = closing(Peer.create(a, options("a", a).maxBatchChanges(50).build()));
    PeerAddress addrA = start(pa);
    Peer pb = Peer.create(b, options("b", b).peer(addrA).maxBatchChanges(50).build());
    start(pb);
    await("b has the first 300 rows", 10, () -> Nodes.count(b) == 300);
    String idA = Values.hex(a.siteId());
    await("b's progress shows it caught up with a", 10, () -> pb.progress().stream()
        .anyMatch(p -> p.peerId().equals(idA) && p.caughtUp() && p.delivered()));
    SyncProgress seen = pb.progress().stream().filter(p -> p.peerId().equals(idA)).findFirst().orElseThrow();
    assertThat(seen.changesReceived()).isEqualTo(600);
    assertThat(seen.rowsToReceive()).isZero();
    assertThat(seen.connected()).isTrue();
    pb.close();
    // Until a notices the close, a change could still go out on the dying session and, unacknowledged,
    // rightly be sent again: count from when a knows b is gone.
    String idB = Values.hex(b.siteId());
    await("a sees b disconnect", 10, () -> pa.progress().stream()
        .anyMatch(p -> p.peerId().equals(idB) && !p.connected()));
    long sentBefore = sentTo(pa, b);
    assertThat(sentBefore).isEqualTo(600); // 300 rows x 2 columns

    sql(a, "UPDATE todo SET title = 'changed' WHERE id IN ('r1', 'r2', 'r3')");
    Peer again = closing(Peer.create(b, options("b", b).peer(addrA).maxBatchChanges(50).build()));
    start(again);
    await("b has the three updates", 10, () -> dump(b).stream().filter(r -> r.contains("changed")).count() == 3);
    await("a counted what it sent", 5, () -> sentTo(pa, b) >= sentBefore + 3);
    assertThat(sentTo(pa, b) - sentBefore).as("changes sent after the restart").isEqualTo(3);
  }

  /**
   * What a peer pulled from another is not sent back to it, in that session or the next: the rows carry a third
   * site's changes, which the filter keeps, so only the skip of its own merges, told to the peer with an empty
   * batch it saves, keeps them from going back (a device that pulled a database through the sync server pushed
   * all of it back at its next session).
   */
  @Test
  void aPeerSendsNothingBackOfWhatItPulledInThatSessionOrTheNext() throws Exception {
    Cfost a = replica("a");
    Cfost b = replica("b");
    Cfost c = replica("c");
    PeerAddress addrB = start(closing(Peer.create(b, options("b", b).build())));
    Peer pc = Peer.create(c, options("c", c).peer(addrB).build());
    start(pc);
    sql(c, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)"
        + " INSERT INTO todo SELECT 'r' || i, 'v', 'cy' FROM n");
    await("b has c's rows", 10, () -> Nodes.count(b) == 200);
    pc.close();

    Peer first = Peer.create(a, options("a", a).peer(addrB).build());
    start(first);
    await("a pulled c's rows from b", 10, () -> Nodes.count(a) == 200);
    await("a's session with b delivered", 10, () -> first.progress().stream()
        .anyMatch(p -> p.peerId().equals(Values.hex(b.siteId())) && p.caughtUp() && p.delivered()));
    assertThat(sentTo(first, b)).as("changes a sent b in the session that pulled").isZero();
    first.close();

    Peer again = closing(Peer.create(a, options("a", a).peer(addrB).build()));
    start(again);
    await("a's next session with b delivered", 10, () -> again.progress().stream()
        .anyMatch(p -> p.peerId().equals(Values.hex(b.siteId())) && p.connected() && p.caughtUp() && p.delivered()));
    assertThat(sentTo(again, b)).as("changes a sent b in its next session").isZero();
  }

  /**
   * A merge that a listener on a direct executor commits on the session's merger thread is the application's,
   * not the session's merge of the peer's batch: it reaches the peer (it was taken for one, and never sent).
   */
  @Test
  void aMergeADirectListenerCommitsOnTheMergersThreadReachesThePeer() throws Exception {
    Cfost a = replica("a");
    Cfost b = replica("b");
    Cfost c = replica("c");
    sql(c, "INSERT INTO todo VALUES ('from-c', 'imported on b', 'cy')");
    List<dev.cfost.Change> fromC = c.changes(dev.cfost.Cursor.START, 1_000).changes();
    PeerAddress addrA = start(closing(Peer.create(a, options("a", a).build())));
    Peer pb = closing(Peer.create(b, options("b", b).peer(addrA).listenerExecutor(Runnable::run).build()));
    java.util.concurrent.atomic.AtomicBoolean imported = new java.util.concurrent.atomic.AtomicBoolean();
    pb.addListener(new PeerListener() {
      @Override
      public void onChange(String peerId, java.util.Set<String> tables) {
        if (imported.compareAndSet(false, true)) {
          b.merge(fromC); // on the merger's thread, which called this listener
        }
      }
    });
    start(pb);
    sql(a, "INSERT INTO todo VALUES ('from-a', 'x', 'ann')");
    await("b merged a's row and imported c's", 10, () -> imported.get() && dump(b).contains("from-c|imported on b|cy"));
    await("c's row reaches a through b", 10, () -> dump(a).contains("from-c|imported on b|cy"));
  }

  private static long sentTo(Peer p, Cfost to) {
    String id = Values.hex(to.siteId());
    return p.progress().stream().filter(x -> x.peerId().equals(id)).mapToLong(SyncProgress::changesSent).sum();
  }

  @Test
  void partialReplicationSendsOnlyTheConfiguredRows() throws Exception {
    Cfost a = replica("a");
    Cfost b = replica("b");
    sql(a, "INSERT INTO todo VALUES ('1', 'mine', 'ann'), ('2', 'not mine', 'bob')");
    PeerAddress addrA = start(closing(Peer.create(a,
        options("a", a).filter(ChangeFilter.ALL.withRowFilter("todo", "owner = 'ann'")).build())));
    BlockingQueue<String> eose = new LinkedBlockingQueue<>();
    Peer pb = closing(Peer.create(b, options("b", b).peer(addrA).build()));
    pb.addListener(new PeerListener() {
      @Override
      public void onEose(String peerId) {
        eose.add(peerId);
      }
    });
    start(pb);
    assertThat(eose.poll(10, TimeUnit.SECONDS)).isNotNull();
    assertThat(dump(b)).containsExactly("1|mine|ann");
  }

  @Test
  void aPeerWithANewerSchemaIsReportedAsOutdated() throws Exception {
    Cfost a = replica("a");
    Cfost b = replica("b");
    sql(b, "PRAGMA user_version = 5");
    BlockingQueue<Integer> outdated = new LinkedBlockingQueue<>();
    Peer pa = closing(Peer.create(a, options("a", a).build()));
    pa.addListener(new PeerListener() {
      @Override
      public void onOutdated(String peerId, int peerVersion, int localVersion) {
        outdated.add(peerVersion);
      }
    });
    PeerAddress addrA = start(pa);
    start(closing(Peer.create(b, options("b", b).peer(addrA).build())));
    assertThat(outdated.poll(10, TimeUnit.SECONDS)).isEqualTo(5);
  }

  @Test
  void aPeerOfAnotherDatabaseIsRefused() throws Exception {
    Cfost a = replica("a");
    Cfost other = replica("other");
    other.setDatabaseId("another-database");
    sql(other, "INSERT INTO todo VALUES ('secret', 'x', 'y')");
    BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
    PeerAddress addrA = start(closing(Peer.create(a, options("a", a).build())));
    // a refuses before hello, which raises no event on a (StrangerFloodTest); the refused side is told why.
    Peer po = closing(Peer.create(other, options("other", other).peer(addrA).build()));
    po.addListener(new PeerListener() {
      @Override
      public void onError(String peerId, Throwable error) {
        errors.add(error);
      }
    });
    start(po);
    Throwable e = errors.poll(10, TimeUnit.SECONDS);
    assertThat(e).isNotNull();
    assertThat(e.getMessage()).contains("different database id")
        .doesNotContain(Topic.of(a.databaseId()).hex()).doesNotContain(Topic.of("another-database").hex());
    assertThat(dump(a)).isEmpty();
  }

  @Test
  void malformedUnknownAndOversizeFramesEndTheSessionAndApplyNothing() throws Exception {
    Cfost a = replica("a");
    PeerAddress addrA = start(closing(Peer.create(a, options("a", a).build())));
    Transport raw = closing(transport("raw", dir.resolve("raw.db")));
    raw.start(c -> { });
    String hello = "{\"type\":\"hello\",\"protocol\":1,\"topic\":\"" + Topic.of("default").hex()
        + "\",\"site_id\":\"00112233445566778899aabbccddeeff\",\"device_id\":\"raw\",\"schema_version\":0,"
        + "\"capabilities\":[]}";
    for (String bad : List.of("{not json", "{\"type\":\"teleport\"}", hello.replace("\"protocol\":1", "\"protocol\":2"),
        "{\"type\":\"changes\",\"from\":\"0:0:1\",\"cursor\":\"0:0:2\",\"changes\":[{\"table\":\"todo\"}]}")) {
      Connection conn = raw.connect(addrA);
      if (!bad.contains("\"protocol\":2")) {
        conn.send(hello.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      conn.send(bad.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      String error = null;
      for (byte[] f = conn.receive(); f != null; f = conn.receive()) {
        String s = new String(f, java.nio.charset.StandardCharsets.UTF_8);
        if (s.contains("\"type\":\"error\"")) {
          error = s;
        }
      }
      assertThat(error).as("error for " + bad).isNotNull();
      if (bad.contains("\"protocol\":2")) {
        assertThat(error).contains("unsupported_version");
      }
      conn.close();
    }
    assertThat(dump(a)).isEmpty();

    Connection early = raw.connect(addrA);
    early.send("{\"type\":\"request\",\"cursor\":\"0:0:0\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    String error = null;
    for (byte[] f = early.receive(); f != null; f = early.receive()) {
      String s = new String(f, java.nio.charset.StandardCharsets.UTF_8);
      if (s.contains("\"type\":\"error\"")) {
        error = s;
      }
    }
    assertThat(error).contains("protocol_violation").contains("expected hello first");
  }
}
