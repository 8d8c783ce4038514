package dev.cfost.server;

import static dev.cfost.server.HttpTestClient.obj;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.internal.PackedKey;
import dev.cfost.net.SyncMessage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server stopped in the middle of a sync, by SIGKILL or SIGTERM, loses nothing: the server runs as a
 * child process ({@link ServerChild}) on a data directory; a laptop pushes {@value #ROWS} sealed rows in
 * batches of about {@value #BATCH} changes, {@value #WINDOW} at a time, and the server is stopped once
 * {@value #STOP_AFTER} batches are acknowledged while the laptop goes on pushing. Restarted on the same
 * directory, the server asks the laptop for the batch after the last one it committed, which is never
 * before one it acknowledged; the laptop pushes the rest, and the phone then reads every row exactly once.
 */
class ServerCrashIT {
  static final int ROWS = 2000;
  static final int BATCH = 25;
  static final int WINDOW = 8;
  static final int STOP_AFTER = 20;

  @TempDir Path dir;
  final List<AutoCloseable> open = new ArrayList<>();
  Path data;
  ServerChild server;
  HttpTestClient http;
  String account;
  String access;
  UserDevice laptop;
  UserDevice phone;
  String laptopToken;
  final List<SyncMessage.Changes> batches = new ArrayList<>();
  /** The number of batches up to and including the one ending at a cursor. */
  final Map<Cursor, Integer> upTo = new HashMap<>();

  @BeforeEach
  void aServerChildAndALaptopWithManyRows() throws Exception {
    data = dir.resolve("server");
    startServer();
    account = http.post("/v1/auth/register", obj("user_name", "alice", "email", "alice@example.org",
        "password", "correct horse")).text("user_id");
    laptop = UserDevice.create(dir, "laptop").asFirstDeviceOfANewUser("alice");
    phone = UserDevice.create(dir, "phone");
    laptop.authorize(phone);
    open.add(laptop);
    open.add(phone);
    laptop.sql("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < " + (ROWS - 1) + ")"
        + " INSERT INTO todo SELECT 'r' || i, 'row ' || i FROM n");
    laptop.db.capture();
    BatchPusher.slice(laptop, BATCH, batches, upTo);
    assertThat(batches.size()).isGreaterThan(STOP_AFTER + WINDOW + 10);
    laptopToken = token(laptop);
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    server.close();
  }

  @Test
  void aServerKilledMidSyncKeepsWhatItAcknowledgedAndTheDeviceResumesFromItsCursor() throws Exception {
    RawSocket s = track(RawSocket.joined(server.port, laptop, laptopToken));
    assertThat(s.serverRequest).isEqualTo(Cursor.START);
    BatchPusher pusher = push(s, 0);
    pusher.awaitAcked(STOP_AFTER);
    server.kill();
    pusher.finish();
    int acked = pusher.acked.get();
    int sent = pusher.sent.get();

    startServer();
    int committed = resume(acked, sent);
    assertThat(committed).as("the server asks for a batch the laptop sent, and keeps everything it acknowledged")
        .isBetween(acked, sent);
    thePhoneReadsEveryRowOnce();
  }

  @Test
  void aServerStoppedMidSyncFinishesTheBatchInFlightAndClosesTheSocketWithAReason() throws Exception {
    RawSocket s = track(RawSocket.joined(server.port, laptop, laptopToken));
    BatchPusher pusher = push(s, 0);
    pusher.awaitAcked(STOP_AFTER);
    server.terminate();
    pusher.finish();
    assertThat(server.exitValue()).as("stopped by SIGTERM").isEqualTo(128 + 15);
    assertThat(server.next(1)).isEqualTo("stopping");
    assertThat(server.next(1)).isEqualTo("stopped");
    assertThat(pusher.end).as("the socket's end").isEqualTo("closed: 1001 going_away: the server is stopping");
    int acked = pusher.acked.get();

    startServer();
    int committed = resume(acked, pusher.sent.get());
    assertThat(committed).as("every batch the server committed was acknowledged before it closed").isEqualTo(acked);
    thePhoneReadsEveryRowOnce();
  }

  // ---- steps

  private void startServer() throws Exception {
    server = ServerChild.start(data, dir);
    http = new HttpTestClient(server.port);
    if (account != null) {
      assertThat(http.get("/ready", null).status()).isEqualTo(200);
    }
  }

  private String token(UserDevice device) throws Exception {
    access = http.post("/v1/auth/login", obj("login", "alice", "password", "correct horse")).text("access_token");
    HttpTestClient.Answer a = device.proveTo(http, access, account);
    assertThat(a.status()).as(a.raw().body()).isEqualTo(200);
    return a.text("device_token");
  }

  private RawSocket track(RawSocket s) {
    open.add(0, s);
    return s;
  }

  /**
   * The laptop reconnects to the restarted server (its device token survived in the store) and pushes the
   * rest from the cursor the server asks for; returns how many batches the server had committed.
   */
  private int resume(int acked, int sent) throws Exception {
    RawSocket s = track(RawSocket.joined(server.port, laptop, laptopToken));
    Integer committed = upTo.get(s.serverRequest);
    assertThat(committed).as("the server's cursor %s ends one of the laptop's batches (%s acknowledged, %s sent)",
        s.serverRequest, acked, sent).isNotNull();
    assertThat(committed).as("something was left to push").isLessThan(batches.size());
    BatchPusher rest = push(s, committed);
    rest.finish();
    assertThat(rest.end).isEqualTo("done");
    return committed;
  }

  private BatchPusher push(RawSocket s, int from) {
    BatchPusher p = new BatchPusher(s, batches, upTo, WINDOW, from);
    p.start();
    return p;
  }

  private void thePhoneReadsEveryRowOnce() throws Exception {
    RawSocket p = track(RawSocket.joined(server.port, phone, token(phone)));
    p.send(new SyncMessage.Request(Cursor.START));
    Map<String, List<Object>> rows = new TreeMap<>();
    Cursor at = Cursor.START;
    while (true) {
      Object m = p.await(Object.class);
      if (m instanceof SyncMessage.Changes c) {
        assertThat(c.from()).isEqualTo(at);
        at = c.cursor();
        for (Change change : c.changes()) {
          if (change.table().equals("todo")) {
            rows.computeIfAbsent((String) PackedKey.unpack(change.pk()).get(0), k -> new ArrayList<>())
                .add(change.val());
          }
        }
        p.send(new SyncMessage.Received(c.cursor()));
      } else if (m instanceof SyncMessage.Eose) {
        break;
      }
    }
    assertThat(rows).hasSize(ROWS);
    for (int i = 0; i < ROWS; i++) {
      assertThat(rows.get("r" + i)).as("row r%s", i).containsExactly("row " + i);
    }
  }
}
