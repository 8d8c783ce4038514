package dev.cfost.server;

import static dev.cfost.server.HttpTestClient.obj;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.net.SyncMessage;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 3 for the server's SQLite store, killed again and again while it merges: a server child
 * ({@link ServerChild}) on one data directory takes a laptop's sealed batches, {@value #WINDOW} in flight,
 * and is killed with SIGKILL {@value #DEFAULT_KILLS} times by default ({@code -Dcfost.servercrash.kills=N}
 * for more) at seeded points: a few milliseconds after its n-th ack of a life (so during the merges of the
 * batches behind it) or at a random delay after the laptop joined. After each kill every SQLite file of the
 * store passes {@code PRAGMA integrity_check}; restarted, the server asks the laptop for the batch after
 * one it committed, never before one it acknowledged (nothing acknowledged is lost or sent again) and never
 * after one the laptop did not send. After the last kill the laptop pushes the rest, and the phone, a real
 * engine, receives every change exactly once (no batch stored twice) and holds the laptop's table.
 */
class ServerMergeCrashIT {
  static final int DEFAULT_KILLS = 6;
  static final long SEED = Long.getLong("cfost.servercrash.seed", System.nanoTime());
  static final int KILLS = Integer.getInteger("cfost.servercrash.kills", DEFAULT_KILLS);
  static final int BATCH = 25;
  static final int WINDOW = 8;
  static final int BATCHES_PER_KILL = 24;

  @TempDir Path dir;
  private final List<AutoCloseable> open = new ArrayList<>();
  private Path data;
  private ServerChild server;
  private HttpTestClient http;
  private String account;
  private UserDevice laptop;
  private UserDevice phone;
  private final List<SyncMessage.Changes> batches = new ArrayList<>();
  /** The number of batches up to and including the one ending at a cursor. */
  private final Map<Cursor, Integer> upTo = new HashMap<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aServerKilledDuringMergesKeepsItsFilesIntactLosesAndRepeatsNothingAndDevicesConverge() throws Exception {
    System.out.println("server-crash seed=" + SEED + " kills=" + KILLS + " (replay with -Dcfost.servercrash.seed="
        + SEED + " -Dcfost.servercrash.kills=" + KILLS + ")");
    Random rnd = new Random(SEED);
    aLaptopWithManyBatches();
    String laptopToken = token(laptop);
    int acked = 0;
    int sent = 0;
    for (int kill = 1; kill <= KILLS; kill++) {
      long start = System.nanoTime();
      if (kill > 1) {
        startServer();
      }
      RawSocket s = track(RawSocket.joined(server.port, laptop, laptopToken));
      String at = "seed=" + SEED + " kill=" + kill + ": ";
      int committed = committedBatches(at, s.serverRequest, acked, sent);
      BatchPusher pusher = new BatchPusher(s, batches, upTo, WINDOW, committed);
      pusher.start();
      String point;
      if (rnd.nextInt(4) == 0) {
        int delay = rnd.nextInt(300);
        point = "joined+" + delay + "ms";
        Thread.sleep(delay);
      } else {
        int nth = 1 + rnd.nextInt(6);
        int delay = rnd.nextInt(20);
        point = "ack-" + nth + "+" + delay + "ms";
        pusher.awaitAcked(Math.min(committed + nth, batches.size()));
        Thread.sleep(delay);
      }
      server.kill();
      pusher.finish();
      acked = pusher.acked.get();
      sent = pusher.sent.get();
      storeFilesAreIntact(at + "after the kill at " + point);
      System.out.printf("server-crash seed=%d kill=%d at=%s resumed-at=%d acked=%d sent=%d of %d ms=%d%n", SEED, kill,
          point, committed, acked, sent, batches.size(), (System.nanoTime() - start) / 1_000_000);
    }
    startServer();
    RawSocket s = track(RawSocket.joined(server.port, laptop, laptopToken));
    BatchPusher rest = new BatchPusher(s, batches, upTo, WINDOW,
        committedBatches("seed=" + SEED + " after the last kill: ", s.serverRequest, acked, sent));
    rest.start();
    rest.finish();
    assertThat(rest.end).as("the laptop pushes the rest").isEqualTo("done");
    thePhoneReceivesEveryChangeOnceAndEqualsTheLaptop();
    storeFilesAreIntact("seed=" + SEED + " at the end");
  }

  private void aLaptopWithManyBatches() throws Exception {
    data = dir.resolve("server");
    startServer();
    account = http.post("/v1/auth/register", obj("user_name", "alice", "email", "alice@example.org",
        "password", "correct horse")).text("user_id");
    laptop = UserDevice.create(dir, "laptop").asFirstDeviceOfANewUser("alice");
    phone = UserDevice.create(dir, "phone");
    laptop.authorize(phone);
    open.add(laptop);
    open.add(phone);
    int rows = KILLS * BATCHES_PER_KILL * BATCH;
    laptop.sql("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < " + (rows - 1) + ")"
        + " INSERT INTO todo SELECT 'r' || i, 'row ' || i FROM n");
    laptop.db.capture();
    BatchPusher.slice(laptop, BATCH, batches, upTo);
  }

  /** How many batches the server committed, by the cursor it asks for, checked against what it acked and got. */
  private int committedBatches(String at, Cursor request, int acked, int sent) {
    Integer committed = upTo.get(request);
    assertThat(committed).as(at + "the server's request %s ends one of the laptop's batches", request).isNotNull();
    assertThat(committed).as(at + "batches the server committed: at least the %d it acknowledged, at most the %d"
        + " it was sent", acked, sent).isBetween(acked, Math.max(acked, sent));
    return committed;
  }

  /** {@code PRAGMA integrity_check} on every SQLite file of the store, opened with plain JDBC (no server). */
  private void storeFilesAreIntact(String at) throws Exception {
    List<Path> files = new ArrayList<>(List.of(data.resolve("accounts.db")));
    try (DirectoryStream<Path> users = Files.newDirectoryStream(data.resolve("users"), "*.db")) {
      users.forEach(files::add);
    }
    assertThat(files).as(at + "the store's files").hasSizeGreaterThanOrEqualTo(2);
    for (Path f : files) {
      assertThat(integrity(f)).as(at + "integrity_check of %s", f.getFileName()).isEqualTo("ok");
    }
  }

  private static String integrity(Path file) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return String.join("\n", out);
  }

  private void startServer() throws Exception {
    server = ServerChild.start(data, dir);
    http = new HttpTestClient(server.port);
  }

  private String token(UserDevice device) throws Exception {
    String access = http.post("/v1/auth/login", obj("login", "alice", "password", "correct horse"))
        .text("access_token");
    HttpTestClient.Answer a = device.proveTo(http, access, account);
    assertThat(a.status()).as(a.raw().body()).isEqualTo(200);
    return a.text("device_token");
  }

  private RawSocket track(RawSocket s) {
    open.add(0, s);
    return s;
  }

  /** The phone reads the whole stream, merging each batch into its engine: every laptop change once. */
  private void thePhoneReceivesEveryChangeOnceAndEqualsTheLaptop() throws Exception {
    RawSocket p = track(RawSocket.joined(server.port, phone, token(phone)));
    p.send(new SyncMessage.Request(Cursor.START));
    long laptopChanges = batches.stream().flatMap(b -> b.changes().stream()).filter(x -> x.table().equals("todo"))
        .count();
    long received = 0;
    Cursor at = Cursor.START;
    while (true) {
      Object m = p.await(Object.class);
      if (m instanceof SyncMessage.Changes c) {
        assertThat(c.from()).as("the stream continues").isEqualTo(at);
        at = c.cursor();
        List<Change> todo = c.changes().stream().filter(x -> x.table().equals("todo")).toList();
        received += todo.size();
        phone.db.merge(todo);
        p.send(new SyncMessage.Received(c.cursor()));
      } else if (m instanceof SyncMessage.Eose) {
        break;
      } else if (m instanceof String closed) {
        throw new AssertionError("the phone's socket " + closed);
      }
    }
    assertThat(received).as("todo changes the phone received: each of the laptop's once").isEqualTo(laptopChanges);
    assertThat(phone.todos()).as("the phone's table").isEqualTo(laptop.todos());
  }
}
