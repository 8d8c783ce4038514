package dev.cfost.net;

import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import dev.cfost.Values;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One life of the peer that {@link PeerCrashIT} kills: a real engine and {@link Peer} over TCP + TLS in a
 * JVM of its own, syncing with the test's hub while it writes.
 *
 * <p>Arguments: {@code DB HUB_ADDRESS SYNC_KEY LIFE ROWS_BEFORE MODE PAUSE_AT}. It commits
 * {@code ROWS_BEFORE} rows in one transaction before the peer starts (so it has a backlog to send), then,
 * in {@code MODE} {@code write}, commits small transactions until it is killed; in {@code settle} it
 * writes nothing and reports {@code pending PEER N} every 50 ms: the changes its peer book says the peer
 * has not acknowledged. It reports on stdout, each
 * line starting with {@link #PREFIX}: {@code committed KEY} only after the commit that wrote row KEY
 * returned, and every sync message it sends or receives ({@code out-ack CURSOR} once the frame is written,
 * {@code in-changes FROM TO N}, ...). {@code PAUSE_AT} ({@code KIND:N}, or {@code none}) makes it stop
 * before sending or after receiving the N-th message of that kind (for example {@code out-ack:3}: the
 * merge has committed, its ack is not sent), say {@code paused KIND CURSOR}, and wait to be killed.
 */
public final class PeerCrashChild {
  static final String PREFIX = "peer-crash: ";
  static final String TABLE_DDL =
      "CREATE TABLE IF NOT EXISTS item(id TEXT PRIMARY KEY NOT NULL, n INTEGER, origin TEXT)";

  private PeerCrashChild() {}

  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[0]);
    PeerAddress hub = PeerAddress.parse(args[1]);
    SyncKey key = SyncKey.parse(args[2]);
    int life = Integer.parseInt(args[3]);
    int rowsBefore = Integer.parseInt(args[4]);
    String mode = args[5];
    Frames frames = new Frames(args[6]);

    Cfost db = Cfost.open(CfostOptions.builder(file).captureInterval(Duration.ofMillis(5)).build());
    Nodes.sql(db, TABLE_DDL);
    db.replicate("item");
    say("opened " + Values.hex(db.siteId()));
    if (rowsBefore > 0) {
      commit(db, life, 0, rowsBefore);
    }
    Transport tcp = Transports.tcp(TlsIdentity.forSyncKey(key), new InetSocketAddress("127.0.0.1", 0), false);
    Peer peer = Peer.create(db, PeerOptions.builder().transport(new TappedTransport(tcp, frames)).peer(hub)
        .discovery(false).backoff(20, 300).keepAlive(2_000, 10_000).maxBatchChanges(100)
        .catchUpTransaction(150, 2_000).peerBook(PeerBook.of(db)).build());
    peer.start();
    say("started");
    int next = rowsBefore;
    PeerBook book = PeerBook.of(db);
    while (true) { // until killed
      if (mode.equals("write")) {
        int rows = 1 + next % 3;
        commit(db, life, next, rows);
        next += rows;
        Thread.sleep(4);
      } else {
        for (SyncProgress p : peer.progress()) {
          if (p.connected()) {
            say("pending " + p.peerId() + " " + book.pendingFor(p.peerId()));
          }
        }
        Thread.sleep(50);
      }
    }
  }

  /** Inserts rows {@code c<life>-<from..from+count>} and sets the counter row, in one transaction. */
  private static void commit(Cfost db, int life, int from, int count) throws SQLException {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO item VALUES (?, ?, 'child')");
          PreparedStatement counter = c.prepareStatement(
              "INSERT INTO item VALUES ('counter', ?, 'child') ON CONFLICT(id) DO UPDATE SET n = excluded.n")) {
        for (int i = from; i < from + count; i++) {
          insert.setString(1, key(life, i));
          insert.setLong(2, i);
          insert.executeUpdate();
        }
        counter.setLong(1, life * 1_000_000L + from + count);
        counter.executeUpdate();
      }
      c.commit();
    }
    for (int i = from; i < from + count; i++) {
      say("committed " + key(life, i));
    }
  }

  static String key(int life, int i) {
    return String.format("c%03d-%06d", life, i);
  }

  static synchronized void say(String line) {
    System.out.println(PREFIX + line);
    System.out.flush();
  }

  /** Reports sync messages and pauses at the chosen one. Shared by every connection of this life. */
  private static final class Frames implements TappedTransport.Tap {
    private final String pauseKind;
    private final int pauseAt;
    private final AtomicInteger seen = new AtomicInteger();

    Frames(String pauseAt) {
      String[] parts = pauseAt.split(":");
      this.pauseKind = parts[0];
      this.pauseAt = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
    }

    @Override
    public boolean sending(dev.cfost.net.Connection connection, byte[] frame) {
      before("out", frame);
      return true;
    }

    @Override
    public boolean received(byte[] frame) {
      before("in", frame);
      return true;
    }

    /** Called before an outgoing frame is written and after an incoming one is read. */
    private void before(String direction, byte[] frame) {
      String line = describe(direction, frame);
      if (line != null && line.startsWith(pauseKind + " ") && seen.incrementAndGet() == pauseAt) {
        say("paused " + line);
        try {
          Thread.sleep(Long.MAX_VALUE); // until killed: the message is never sent or never handled
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (line != null && direction.equals("in")) {
        say(line);
      }
    }

    @Override
    public void sent(byte[] frame) {
      String line = describe("out", frame);
      if (line != null) {
        say(line);
      }
    }

    private static String describe(String direction, byte[] frame) {
      SyncMessage m = SyncMessage.decode(frame);
      if (m instanceof SyncMessage.Changes c) {
        return direction + "-changes " + c.from() + " " + c.cursor() + " " + c.changes().size();
      } else if (m instanceof SyncMessage.Ack a) {
        return direction + "-ack " + a.cursor();
      } else if (m instanceof SyncMessage.Request r) {
        return direction + "-request " + r.cursor();
      } else if (m instanceof SyncMessage.Eose e) {
        return direction + "-eose " + e.from() + " " + e.cursor();
      }
      return null;
    }
  }
}
