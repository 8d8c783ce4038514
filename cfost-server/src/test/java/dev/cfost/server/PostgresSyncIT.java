package dev.cfost.server;

import static dev.cfost.server.HttpTestClient.obj;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Change;
import dev.cfost.ChangeBatch;
import dev.cfost.Cursor;
import dev.cfost.SealedChanges;
import dev.cfost.Values;
import dev.cfost.identity.Argon2Params;
import dev.cfost.identity.ChangeSeals;
import dev.cfost.net.SyncMessage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two server processes on one PostgreSQL (two {@link CfostServer}s, each with its own pool and listening
 * connection): a device connected to one sees, within a second, the batch another device pushed through
 * the other; the device list one server learned is the other's too; a device challenge of one is good,
 * once, at the other.
 */
class PostgresSyncIT {
  @TempDir Path dir;
  final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  @Test
  void aBatchPushedThroughOneServerReachesADeviceOnTheOtherWithinASecond() throws Exception {
    String url = TestPostgres.freshDatabase();
    CfostServer one = start(url);
    CfostServer two = start(url);
    HttpTestClient http1 = new HttpTestClient(one.port());
    HttpTestClient http2 = new HttpTestClient(two.port());
    String account = http1.post("/v1/auth/register", obj("user_name", "alice", "email", "alice@example.org",
        "password", "correct horse")).text("user_id");
    String access1 = http1.post("/v1/auth/login", obj("login", "alice", "password", "correct horse"))
        .text("access_token");
    String access2 = http2.post("/v1/auth/login", obj("login", "alice", "password", "correct horse"))
        .text("access_token");
    UserDevice laptop = UserDevice.create(dir, "laptop").asFirstDeviceOfANewUser("alice");
    UserDevice phone = UserDevice.create(dir, "phone");
    open.add(0, laptop);
    open.add(0, phone);
    laptop.authorize(phone);

    String laptopToken = laptop.proveTo(http1, access1, account).text("device_token");
    laptop.sql("INSERT INTO todo VALUES ('l1', 'milk')");
    laptop.db.capture();
    RawSocket l = connect(one, laptop, laptopToken);
    Cursor pushed = push(l, laptop, Cursor.START);

    // The phone is in the device list that reached the first server: the second knows it too.
    HttpTestClient.Answer proof = phone.proveTo(http2, access2, account);
    assertThat(proof.status()).as(proof.raw().body()).isEqualTo(200);
    RawSocket p = connect(two, phone, proof.text("device_token"));
    p.send(new SyncMessage.Request(Cursor.START));
    List<Object> values = new ArrayList<>();
    Cursor at = Cursor.START;
    while (true) {
      Object m = p.await(Object.class);
      if (m instanceof SyncMessage.Changes c) {
        c.changes().forEach(ch -> values.add(ch.val()));
        at = c.cursor();
        p.send(new SyncMessage.Received(c.cursor()));
      } else if (m instanceof SyncMessage.Eose) {
        break;
      }
    }
    assertThat(values).contains("milk");

    // Live, through the other process: woken by its notification.
    laptop.sql("INSERT INTO todo VALUES ('l2', 'eggs')");
    laptop.db.capture();
    long start = System.nanoTime();
    push(l, laptop, pushed);
    SyncMessage.Changes live = p.await(SyncMessage.Changes.class);
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    System.out.printf("a batch pushed through one server reached the other's device in %d ms%n", millis);
    assertThat(live.from()).isEqualTo(at);
    assertThat(live.changes()).extracting(Change::val).contains("eggs");
    assertThat(millis).isLessThan(1000);
  }

  @Test
  void aDeviceProvesItsKeyWithAChallengeOfOneProcessToTheOtherOnce() throws Exception {
    String url = TestPostgres.freshDatabase();
    HttpTestClient http1 = new HttpTestClient(start(url).port());
    HttpTestClient http2 = new HttpTestClient(start(url).port());
    String account = http1.post("/v1/auth/register", obj("user_name", "alice", "email", "alice@example.org",
        "password", "correct horse")).text("user_id");
    String access = http1.post("/v1/auth/login", obj("login", "alice", "password", "correct horse"))
        .text("access_token");
    UserDevice laptop = UserDevice.create(dir, "laptop").asFirstDeviceOfANewUser("alice");
    open.add(0, laptop);

    String challenge = http1.post("/v1/devices/challenge", "", access).text("challenge");
    HttpTestClient.Answer token = laptop.prove(http2, challenge, access, account);
    assertThat(token.status()).as(token.raw().body()).isEqualTo(200);
    assertThat(token.text("device_token")).isNotEmpty();
    for (HttpTestClient again : List.of(http1, http2)) {
      HttpTestClient.Answer reused = laptop.prove(again, challenge, access, account);
      assertThat(reused.status()).as("a challenge is used once, whichever process").isEqualTo(401);
      assertThat(reused.text("error")).isEqualTo("invalid_proof");
    }
  }

  private CfostServer start(String url) throws Exception {
    CfostServer s = CfostServer.start(ServerConfig.builder().listen("127.0.0.1:0").dataDir(dir.resolve("unused"))
        .postgres(url, null).argon2(new Argon2Params(256, 1, 1)).build());
    open.add(s);
    return s;
  }

  private RawSocket connect(CfostServer server, UserDevice device, String token) throws Exception {
    RawSocket s = RawSocket.open(server.port(), device.db.databaseId(), token);
    open.add(0, s);
    SyncMessage.Hello hello = s.await(SyncMessage.Hello.class);
    s.send(new SyncMessage.Hello(1, hello.topic(), Values.hex(device.db.siteId()), device.keys.deviceId().toString(),
        0, List.of("changes", "live")));
    s.await(SyncMessage.Request.class);
    return s;
  }

  /** Sends the device's changes after {@code from}, sealed; returns the cursor the server acknowledged. */
  private static Cursor push(RawSocket s, UserDevice device, Cursor from) throws Exception {
    ChangeBatch batch = device.db.changes(from, 10_000);
    SealedChanges sealed = ChangeSeals.open(device.db, device.keys, device.identityUser).seal(batch.changes());
    s.send(new SyncMessage.Changes(from, batch.next(), sealed.changes(), 0, sealed.seals()));
    SyncMessage.Ack ack = s.await(SyncMessage.Ack.class);
    assertThat(ack.cursor()).isEqualTo(batch.next());
    return batch.next();
  }
}
