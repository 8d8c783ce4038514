package dev.cfost.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import dev.cfost.ChangeBatch;
import dev.cfost.ChangeFilter;
import dev.cfost.Cursor;
import dev.cfost.Values;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 3 with real processes over TCP + TLS: a peer ({@link PeerCrashChild}, a JVM of its own on one
 * database file) syncs with a hub (a real engine and {@link Peer} in the test's JVM) while it writes, and
 * is killed with SIGKILL {@value #DEFAULT_KILLS} times (by default; {@code -Dcfost.peercrash.kills=100} for
 * the long run) at seeded points: while writing, while receiving a catch-up, between a catch-up merge's
 * commit and its ack, just after an ack, while sending a backlog, and after the hub's ack was read but
 * before it was handled. After each kill the file must pass {@code PRAGMA integrity_check} and open;
 * every row whose commit the child reported is there; the cursor it persisted for the hub is at least
 * the last one it acknowledged; its record of what the hub acknowledged never goes back nor claims more
 * than the hub holds. In the next life, no batch it acknowledged is sent to it again and it sends
 * nothing the hub acknowledged (seen on the wire). After the last kill both converge to identical tables.
 *
 * <p>Each kill prints one {@code peer-crash ...} line; replay with {@code -Dcfost.peercrash.seed=<seed>}
 * (the kinds, counts and delays repeat; the interleaving with the sessions' threads does not).
 */
class PeerCrashIT {
  static final int DEFAULT_KILLS = 12;
  static final long SEED = Long.getLong("cfost.peercrash.seed", System.nanoTime());
  static final int KILLS = Integer.getInteger("cfost.peercrash.kills", DEFAULT_KILLS);
  static final int HUB_ROWS = 500;
  static final int BACKLOG_ROWS = 700;
  static final SyncKey KEY = SyncKey.generate();
  static final String[] KINDS = {"writing", "receiving", "before-ack", "after-ack", "sending", "ack-read"};

  @TempDir Path dir;
  private final List<AutoCloseable> open = new ArrayList<>();
  private Cfost hub;
  private PeerAddress hubAddress;
  private Path childFile;

  private final Set<String> committed = new HashSet<>();
  private long counter;
  /** The greatest cursor the child acknowledged to the hub, and the hub to the child, in any life. */
  private Cursor childAcked = Cursor.START;
  private Cursor hubAcked = Cursor.START;
  private Cursor childRecord = Cursor.START;
  /** The cursor the hub asked the child's stream from first in this life, if it did. */
  private Cursor hubFirstRequest;

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  @Test
  void aPeerKilledWhileWritingAndSyncingLosesNothingResendsNothingAcknowledgedAndConverges() throws Exception {
    System.out.println("peer-crash seed=" + SEED + " kills=" + KILLS + " (replay with -Dcfost.peercrash.seed=" + SEED
        + " -Dcfost.peercrash.kills=" + KILLS + ")");
    Random rnd = new Random(SEED);
    hub = Cfost.open(CfostOptions.builder(dir.resolve("hub.db")).captureInterval(Duration.ofMillis(5)).build());
    open.add(hub);
    Nodes.sql(hub, PeerCrashChild.TABLE_DDL);
    hub.replicate("item");
    Peer hubPeer = Peer.create(hub, PeerOptions.builder()
        .transport(Transports.tcp(TlsIdentity.forSyncKey(KEY), new InetSocketAddress("127.0.0.1", 0), false))
        .discovery(false).backoff(20, 300).keepAlive(2_000, 10_000).maxBatchChanges(100)
        .peerBook(PeerBook.of(hub)).build());
    open.add(0, hubPeer);
    hubAddress = hubPeer.start().get(0);
    childFile = dir.resolve("child.db");

    int[] byKind = new int[KINDS.length];
    for (int life = 1; life <= KILLS; life++) {
      int kind = (life - 1) % KINDS.length;
      byKind[kind]++;
      kill(life, KINDS[kind], rnd);
    }
    settle(KILLS + 1);
    System.out.printf("peer-crash seed=%d kills=%d by kind %s=%s: all passed, %d committed rows%n", SEED, KILLS,
        List.of(KINDS), java.util.Arrays.toString(byKind), committed.size());
  }

  /** One life: starts the child, kills it at a point of {@code kind}, checks the file and the wire. */
  private void kill(int life, String kind, Random rnd) throws Exception {
    long start = System.nanoTime();
    if (kind.equals("receiving") || kind.equals("before-ack") || kind.equals("after-ack")) {
      hubWrites(life, HUB_ROWS); // a catch-up for the child to receive
    }
    int backlog = kind.equals("sending") || kind.equals("ack-read") ? BACKLOG_ROWS : 0;
    int nth = 1 + rnd.nextInt(kind.equals("receiving") || kind.equals("sending") ? 8 : 2);
    int delayMillis = rnd.nextInt(kind.equals("writing") ? 400 : 15);
    String pause = kind.equals("before-ack") ? "out-ack:" + nth : kind.equals("ack-read") ? "in-ack:" + nth : "none";
    List<String> reports;
    // While the child acks, the hub goes on writing: a catch-up may take one transaction, so one ack, and the
    // later acks are of live batches.
    HubWriter liveWrites = kind.endsWith("-ack") ? new HubWriter(life) : null;
    try (ChildPeer child = ChildPeer.start(dir, childFile.toString(), hubAddress.toString(), KEY.text(), "" + life,
        "" + backlog, "write", pause); HubWriter w = liveWrites) {
      switch (kind) {
        case "writing" -> child.await("started", 1);
        case "receiving" -> child.await("in-changes", nth);
        case "after-ack" -> child.await("out-ack", nth);
        case "sending" -> child.await("out-changes", nth);
        default -> child.await("paused", 1);
      }
      if (pause.equals("none")) {
        Thread.sleep(delayMillis);
      }
      reports = child.kill();
    }
    String at = "seed=" + SEED + " life=" + life + " kind=" + kind + " nth=" + nth + ": ";
    checkTheWire(at, reports);
    checkTheFile(at, reports);
    System.out.printf("peer-crash seed=%d life=%d kind=%s nth=%d delay=%dms committed=%d child-acked=%s hub-acked=%s"
        + " ms=%d%n", SEED, life, kind, nth, pause.equals("none") ? delayMillis : 0, committed.size(), childAcked,
        hubAcked, (System.nanoTime() - start) / 1_000_000);
  }

  /** The last life: no writes, no kill until both sides agree; then a kill, and the same checks. */
  private void settle(int life) throws Exception {
    List<String> reports;
    try (ChildPeer child = ChildPeer.start(dir, childFile.toString(), hubAddress.toString(), KEY.text(), "" + life,
        "0", "settle", "none")) {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (true) {
        String pending = child.await("pending", 1);
        if (pending.endsWith(" 0") && dump(hub).equals(dump(childFile))) {
          break;
        }
        assertThat(System.nanoTime()).as("seed=%d: the child and the hub converge within 60 s after %d kills (%s)",
            SEED, life - 1, pending).isLessThan(deadline);
      }
      reports = child.kill();
    }
    String at = "seed=" + SEED + " settle: ";
    checkTheWire(at, reports);
    checkTheFile(at, reports);
    List<String> hubRows = dump(hub);
    try (Cfost db = Cfost.open(childFile)) {
      assertThat(dump(db)).as(at + "the child's rows after the last kill equal the hub's").isEqualTo(hubRows);
      assertThat(PeerBook.of(db).pendingFor(Values.hex(hub.siteId())))
          .as(at + "changes the child's record says the hub lacks, after the last kill").isZero();
    }
    for (String key : committed) {
      assertThat(hubRows).as(at + "committed row %s reached the hub", key).anyMatch(r -> r.startsWith(key + "|"));
    }
  }

  /** One hub row every 20 ms on a thread of its own, until closed. */
  private final class HubWriter extends Thread implements AutoCloseable {
    private final int life;
    private volatile boolean stop;

    HubWriter(int life) {
      super("hub-writer");
      this.life = life;
      setDaemon(true);
      start();
    }

    @Override
    public void run() {
      for (int i = 0; !stop; i++) {
        Nodes.sql(hub, "INSERT INTO item VALUES (printf('h%03d-live-%05d', " + life + ", " + i + "), " + i + ", 'hub')");
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    @Override
    public void close() throws InterruptedException {
      stop = true;
      join(10_000);
    }
  }

  private void hubWrites(int life, int rows) {
    for (int part = 0; part < 3; part++) {
      Nodes.sql(hub, "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < " + (rows / 3 - 1)
          + ") INSERT INTO item SELECT printf('h%03d-%d-%04d', " + life + ", " + part + ", i), i, 'hub' FROM s");
    }
  }

  /**
   * What this life said on the wire against what earlier lives had acknowledged: it asks the hub from at
   * least the last cursor it acknowledged, receives nothing before it, and sends nothing the hub had
   * acknowledged. Then folds this life's acknowledgements in.
   */
  private void checkTheWire(String at, List<String> reports) {
    hubFirstRequest = null;
    for (String r : reports) {
      String[] f = r.split(" ");
      switch (f[0]) {
        case "committed" -> committed.add(f[1]);
        case "out-request", "in-eose" -> assertAtLeast(at + "the child's '" + r + "' against what it acknowledged in an"
            + " earlier life", Cursor.parse(f[1]), childAcked);
        case "in-changes" -> assertAtLeast(at + "'" + r + "': the hub sends nothing the child acknowledged before",
            Cursor.parse(f[1]), childAcked);
        case "in-request", "out-eose" -> {
          if (f[0].equals("in-request") && hubFirstRequest == null) {
            hubFirstRequest = Cursor.parse(f[1]);
          }
          assertAtLeast(at + "'" + r + "' against what the hub acknowledged before", Cursor.parse(f[1]), hubAcked);
        }
        case "out-changes" -> assertAtLeast(at + "'" + r + "': the child sends nothing the hub acknowledged before",
            Cursor.parse(f[1]), hubAcked);
        default -> { }
      }
    }
    for (String r : reports) {
      String[] f = r.split(" ");
      if (f[0].equals("out-ack")) {
        childAcked = max(childAcked, Cursor.parse(f[1]));
      } else if (f[0].equals("in-ack") || f[0].equals("paused") && f[1].equals("in-ack")) {
        hubAcked = max(hubAcked, Cursor.parse(f[f.length - 1]));
      }
    }
  }

  /** The file after the kill: intact, every reported commit there, the cursors and the ack record kept. */
  private void checkTheFile(String at, List<String> reports) throws SQLException {
    assertThat(integrity(childFile)).as(at + "integrity_check after the kill, before any engine opens it").isEqualTo("ok");
    byte[] hubSite = hub.siteId();
    try (Cfost db = Cfost.open(childFile)) {
      assertThat(integrity(db)).as(at + "integrity_check after reopening").isEqualTo("ok");
      Set<String> keys = new HashSet<>();
      long counterValue = -1;
      for (String row : dump(db)) {
        String[] f = row.split("\\|");
        keys.add(f[0]);
        if (f[0].equals("counter")) {
          counterValue = Long.parseLong(f[1].substring("integer:".length()));
        }
      }
      for (String key : committed) {
        assertThat(keys).as(at + "the row of a reported commit").contains(key);
      }
      long lastCounter = lastCounter(reports);
      assertThat(counterValue).as(at + "the counter row, updated in every commit, at least the last reported")
          .isGreaterThanOrEqualTo(lastCounter);
      assertAtLeast(at + "the cursor the child persisted for the hub, against the last one it acknowledged",
          db.peerCursor(hubSite), childAcked);

      // The record only moves forward, except that a session's first request sets it to the cursor the
      // hub persisted: it may have run ahead of that over the hub's own changes (nothing to ack there).
      Cursor record = PeerBook.of(db).ackedBy(Values.hex(hubSite));
      assertThat(atLeast(record, childRecord) || hubFirstRequest != null && atLeast(record, hubFirstRequest))
          .as(at + "the child's record of the hub's acks %s, against %s before this life or the hub's first request"
              + " %s", record, childRecord, hubFirstRequest).isTrue();
      childRecord = record;
      Cursor hubHolds = hub.peerCursor(db.siteId());
      assertAtLeast(at + "the hub's cursor for the child, against the child's acks it sent", hubHolds, hubAcked);
      // A sender's record of a receiver's acks against what the receiver persisted, both directions (once
      // seen ahead in both: a read with nothing to send recorded past unacknowledged batches; AckRecordTest).
      recordClaimsNoMore(at + "the child's record of the hub's acks", db, record, hubHolds, hubSite);
      recordClaimsNoMore(at + "the hub's record of the child's acks", hub,
          PeerBook.of(hub).ackedBy(Values.hex(db.siteId())), db.peerCursor(hubSite), db.siteId());
    }
  }

  /**
   * A sender's record of what a receiver acknowledged may pass the receiver's persisted cursor only over
   * changes the receiver made itself (the sender leaves those out, so there is nothing to acknowledge).
   */
  private static void recordClaimsNoMore(String what, Cfost sender, Cursor record, Cursor receiverHolds,
      byte[] receiverSite) {
    ChangeBatch owed = sender.changes(receiverHolds, 1, ChangeFilter.ALL.excludingSite(receiverSite));
    boolean claimsMore = !owed.changes().isEmpty() && positionAtLeast(record, owed.next());
    assertThat(claimsMore).as("%s %s claims the change ending at %s, which the receiver (at %s) does not hold", what,
        record, owed.changes().isEmpty() ? "-" : owed.next(), receiverHolds).isFalse();
  }

  /** The counter value of the last commit this life reported: life * 1,000,000 + rows it had written. */
  private long lastCounter(List<String> reports) {
    long last = counter;
    for (String r : reports) {
      if (r.startsWith("committed ")) {
        String key = r.substring("committed ".length());
        last = Math.max(last, Integer.parseInt(key.substring(1, 4)) * 1_000_000L + Integer.parseInt(key.substring(5)) + 1);
      }
    }
    counter = last;
    return last;
  }

  /**
   * Whether {@code a} is as far as {@code b} in one stream: a cursor moves forward in its row position
   * {@code (db, seq)} and its {@code complete} version never goes back (docs/ARCHITECTURE.md, "The change
   * stream and cursors").
   */
  static boolean atLeast(Cursor a, Cursor b) {
    return positionAtLeast(a, b) && a.complete() >= b.complete();
  }

  /** Whether {@code a} covers every row up to {@code b}'s position: rows stream in {@code (db, seq)} order. */
  static boolean positionAtLeast(Cursor a, Cursor b) {
    return a.db() != b.db() ? a.db() > b.db() : Long.compareUnsigned(a.seq(), b.seq()) >= 0;
  }

  private static Cursor max(Cursor a, Cursor b) {
    return atLeast(a, b) ? a : b;
  }

  private static void assertAtLeast(String what, Cursor actual, Cursor atLeast) {
    assertThat(atLeast(actual, atLeast)).as("%s: %s, expected at least %s", what, actual, atLeast).isTrue();
  }

  static String integrity(Path file) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      return integrity(c);
    }
  }

  static String integrity(Cfost db) throws SQLException {
    try (Connection c = db.connect()) {
      return integrity(c);
    }
  }

  private static String integrity(Connection c) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return String.join("\n", out);
  }

  static List<String> dump(Cfost db) throws SQLException {
    try (Connection c = db.connect()) {
      return dump(c);
    }
  }

  /** The rows of a file, with plain JDBC (read-only use: nothing is captured). */
  static List<String> dump(Path file) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      return dump(c);
    }
  }

  /** Every row by key, each value as {@code typeof:value}. */
  private static List<String> dump(Connection c) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "SELECT id, typeof(n) || ':' || n, typeof(origin) || ':' || origin FROM item ORDER BY id")) {
      while (rs.next()) {
        rows.add(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3));
      }
    }
    return rows;
  }
}
