package dev.cfost.server;

import static dev.cfost.server.HttpTestClient.obj;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.Seal;
import dev.cfost.Values;
import dev.cfost.identity.Argon2Params;
import dev.cfost.identity.Devices;
import dev.cfost.net.SyncMessage;
import dev.cfost.net.Topic;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SSE side of the sync endpoints with java.net.http: {@code GET /v1/sync/events} read as it streams,
 * and {@code POST /v1/sync/messages}, with real devices' sealed batches (docs/SERVER.md, "Sync").
 */
class SseSyncIT {
  @TempDir Path dir;
  final List<AutoCloseable> open = new ArrayList<>();
  CfostServer server;
  HttpTestClient http;
  String account;
  String access;
  UserDevice laptop;
  UserDevice phone;
  String laptopToken;
  String phoneToken;
  /** The laptop's own stream as far as the server acknowledged it. */
  Cursor laptopPushed = Cursor.START;

  @BeforeEach
  void aServerAnAccountAndTwoDevicesThatJoinedIt() throws Exception {
    server = CfostServer.start(ServerConfig.builder().listen("127.0.0.1:0").dataDir(dir.resolve("server"))
        .argon2(new Argon2Params(256, 1, 1)).build());
    http = new HttpTestClient(server.port());
    account = http.post("/v1/auth/register", obj("user_name", "alice", "email", "alice@example.org",
        "password", "correct horse")).text("user_id");
    access = http.post("/v1/auth/login", obj("login", "alice", "password", "correct horse")).text("access_token");
    laptop = UserDevice.create(dir, "laptop").asFirstDeviceOfANewUser("alice");
    phone = UserDevice.create(dir, "phone");
    laptop.authorize(phone);
    open.add(laptop);
    open.add(phone);
    laptopToken = token(laptop);
    laptop.sql("INSERT INTO todo VALUES ('a1', 'milk'), ('a2', 'bread')");
    push(laptop, laptopToken); // the device list with the phone in it reaches the server
    phoneToken = token(phone);
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    server.close();
  }

  @Test
  void theStreamOpensWithHelloAndRequestThenBatchesAndEoseWithTheirCursorsAsIds() throws Exception {
    SseStream s = stream(phoneToken, "", null);
    assertThat(s.response.statusCode()).isEqualTo(200);
    assertThat(s.header("Content-Type")).startsWith("text/event-stream");
    assertThat(s.header("Cache-Control")).isEqualTo("no-cache");
    assertThat(s.header("X-Accel-Buffering")).isEqualTo("no");

    SseStream.Event hello = s.next();
    assertThat(hello.event()).isEqualTo("hello");
    assertThat(hello.id()).isNull();
    assertThat(hello.message()).isInstanceOfSatisfying(SyncMessage.Hello.class, h -> {
      assertThat(h.deviceId()).isEqualTo("server");
      assertThat(h.topic()).isEqualTo(Topic.of("default").hex());
      assertThat(h.siteId()).isNotIn(Values.hex(laptop.db.siteId()), Values.hex(phone.db.siteId()));
    });
    SseStream.Event request = s.next();
    assertThat(request.event()).isEqualTo("request");
    assertThat(request.message()).as("the phone has pushed nothing").isEqualTo(new SyncMessage.Request(Cursor.START));
    Batches got = untilEose(s, Cursor.START);
    assertThat(got.todos()).containsExactlyInAnyOrder("milk", "bread");
    laptop.assertSealed(got.changes, got.seals);

    try (SseStream l = stream(laptopToken, "", null)) {
      l.next(SyncMessage.Hello.class);
      assertThat(l.next(SyncMessage.Request.class).cursor()).as("where the laptop's next POST continues")
          .isEqualTo(laptopPushed);
    }
  }

  @Test
  void aBatchPostedByAnotherDeviceGets200WithItsAckAndArrivesOnAnOpenStream() throws Exception {
    SseStream s = stream(phoneToken, "", null);
    s.next(SyncMessage.Hello.class);
    s.next(SyncMessage.Request.class);
    Cursor end = untilEose(s, Cursor.START).end;

    laptop.sql("INSERT INTO todo VALUES ('a3', 'eggs')");
    SyncMessage.Changes batch = laptop.sealedBatch(laptopPushed);
    HttpTestClient.Answer posted = post(laptopToken, new String(SyncMessage.encode(batch), StandardCharsets.UTF_8));
    assertThat(posted.status()).as(posted.raw().body()).isEqualTo(200);
    assertThat(posted.header("Content-Type")).startsWith("application/json");
    assertThat(message(posted)).isEqualTo(new SyncMessage.Ack(batch.cursor()));

    SseStream.Event live = s.next();
    SyncMessage.Changes c = (SyncMessage.Changes) live.message();
    assertThat(c.from()).isEqualTo(end);
    assertThat(live.id()).isEqualTo(c.cursor().toString());
    assertThat(todos(c.changes())).containsExactly("eggs");
    laptop.assertSealed(c.changes(), c.seals());
  }

  @Test
  void lastEventIdResumesExactlyAfterItsCursor() throws Exception {
    Cursor afterA;
    try (SseStream s = stream(phoneToken, "", null)) {
      s.next(SyncMessage.Hello.class);
      s.next(SyncMessage.Request.class);
      afterA = untilEose(s, Cursor.START).end;
    }
    laptop.sql("INSERT INTO todo VALUES ('b1', 'eggs')");
    push(laptop, laptopToken);
    Cursor afterB;
    try (SseStream s = stream(phoneToken, "", afterA.toString())) {
      s.next(SyncMessage.Hello.class);
      s.next(SyncMessage.Request.class);
      Batches b = untilEose(s, afterA);
      assertThat(b.todos()).containsExactly("eggs");
      afterB = b.end;
    }
    laptop.sql("INSERT INTO todo VALUES ('c1', 'flour'), ('c2', 'sugar')");
    push(laptop, laptopToken);

    SseStream s = stream(phoneToken, "", afterA.toString());
    s.next(SyncMessage.Hello.class);
    s.next(SyncMessage.Request.class);
    Batches resumed = untilEose(s, afterA);
    assertThat(resumed.todos()).as("nothing before the cursor again, nothing after it lost")
        .containsExactlyInAnyOrder("eggs", "flour", "sugar");
    assertThat(resumed.changes).extracting(Change::table).containsOnly("todo");

    // The same by the query parameter.
    SseStream q = stream(phoneToken, "&last_event_id=" + afterB, null);
    q.next(SyncMessage.Hello.class);
    q.next(SyncMessage.Request.class);
    assertThat(untilEose(q, afterB).todos()).containsExactlyInAnyOrder("flour", "sugar");

    HttpTestClient.Answer bad = http.send(HttpRequest.newBuilder(events("")).timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + phoneToken).header("Last-Event-ID", "not-a-cursor").GET().build());
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.text("field")).isEqualTo("Last-Event-ID");
    assertThat(bad.text("message")).contains("not-a-cursor");
  }

  @Test
  void withoutLastEventIdTheStreamResumesAfterWhatTheDeviceAcknowledged() throws Exception {
    Cursor lastBatch;
    try (SseStream s = stream(phoneToken, "", null)) {
      s.next(SyncMessage.Hello.class);
      s.next(SyncMessage.Request.class);
      lastBatch = untilEose(s, Cursor.START).lastBatch;
    }
    try (SseStream s = stream(phoneToken, "", null)) {
      s.next(SyncMessage.Hello.class);
      s.next(SyncMessage.Request.class);
      assertThat(untilEose(s, Cursor.START).todos()).as("nothing acknowledged yet: from the start")
          .containsExactlyInAnyOrder("milk", "bread");
    }
    HttpTestClient.Answer ack = post(phoneToken, "{\"type\":\"ack\",\"cursor\":\"" + lastBatch + "\"}");
    assertThat(ack.status()).isEqualTo(204);
    laptop.sql("INSERT INTO todo VALUES ('b1', 'eggs')");
    push(laptop, laptopToken);

    SseStream s = stream(phoneToken, "", null);
    s.next(SyncMessage.Hello.class);
    s.next(SyncMessage.Request.class);
    Batches resumed = untilEose(s, Cursor.since(lastBatch.complete()));
    assertThat(resumed.todos()).containsExactly("eggs");

    HttpTestClient.Answer past = post(phoneToken, "{\"type\":\"ack\",\"cursor\":\""
        + Cursor.since(resumed.end.complete() + 1000) + "\"}");
    assertThat(past.status()).isEqualTo(400);
    assertThat(past.text("error")).isEqualTo("protocol_violation");
  }

  @Test
  void theSiteParameterLeavesOutTheDevicesOwnChanges() throws Exception {
    phone.sql("INSERT INTO todo VALUES ('p1', 'from the phone')");
    phone.db.capture();
    HttpTestClient.Answer posted = post(phoneToken, new String(SyncMessage.encode(phone.sealedBatch(Cursor.START)),
        StandardCharsets.UTF_8));
    assertThat(posted.status()).as(posted.raw().body()).isEqualTo(200);

    SseStream all = stream(phoneToken, "", null);
    all.next(SyncMessage.Hello.class);
    all.next(SyncMessage.Request.class);
    assertThat(untilEose(all, Cursor.START).todos()).containsExactlyInAnyOrder("milk", "bread", "from the phone");

    SseStream others = stream(phoneToken, "&site=" + Values.hex(phone.db.siteId()), null);
    others.next(SyncMessage.Hello.class);
    assertThat(others.next(SyncMessage.Request.class).cursor()).as("where the phone's next POST continues")
        .isEqualTo(((SyncMessage.Ack) message(posted)).cursor());
    Batches got = untilEose(others, Cursor.START);
    assertThat(got.todos()).containsExactlyInAnyOrder("milk", "bread");
    assertThat(got.changes).noneMatch(c -> Arrays.equals(c.siteId(), phone.db.siteId()));

    HttpTestClient.Answer bad = http.get("/v1/sync/events?database=default&site=zz", phoneToken);
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.text("field")).isEqualTo("site");
  }

  @Test
  void anIdleStreamSendsKeepAliveCommentsAtTheConfiguredInterval() throws Exception {
    // 15 s in production (ServerConfigTest); 500 ms here, on a server of its own.
    try (CfostServer quick = CfostServer.start(ServerConfig.builder().listen("127.0.0.1:0")
        .dataDir(dir.resolve("quick")).argon2(new Argon2Params(256, 1, 1)).sseKeepAlive(Duration.ofMillis(500))
        .build())) {
      HttpTestClient h = new HttpTestClient(quick.port());
      String user = h.post("/v1/auth/register", obj("user_name", "alice", "email", "alice@example.org",
          "password", "correct horse")).text("user_id");
      String bearer = h.post("/v1/auth/login", obj("login", "alice", "password", "correct horse")).text("access_token");
      String token = laptop.proveTo(h, bearer, user).text("device_token");
      try (SseStream s = SseStream.open(quick.port(), "database=default", token, Map.of())) {
        s.next(SyncMessage.Hello.class);
        s.next(SyncMessage.Request.class);
        SseStream.Event last = s.next();
        assertThat(last.event()).isEqualTo("eose");
        for (int i = 0; i < 2; i++) {
          SseStream.Event e = s.nextEventOrComment();
          assertThat(e.comment()).as("an idle stream sends only comments").isEqualTo("keep-alive");
          assertThat(Duration.ofNanos(e.arrived() - last.arrived())).as("comment %d after the one before", i)
              .isBetween(Duration.ofMillis(250), Duration.ofSeconds(5));
          last = e;
        }
      }
    }
  }

  @Test
  void aBatchThatDoesNotContinueTheHeldCursorGets409NamingIt() throws Exception {
    laptop.sql("INSERT INTO todo VALUES ('b1', 'eggs')");
    laptop.db.capture();
    SyncMessage.Changes again = laptop.sealedBatch(Cursor.START); // from the start, but the server holds more
    HttpTestClient.Answer conflict = post(laptopToken, new String(SyncMessage.encode(again), StandardCharsets.UTF_8));
    assertThat(conflict.status()).isEqualTo(409);
    assertThat(message(conflict)).isEqualTo(new SyncMessage.Request(laptopPushed));

    SyncMessage.Changes next = laptop.sealedBatch(laptopPushed);
    HttpTestClient.Answer ok = post(laptopToken, new String(SyncMessage.encode(next), StandardCharsets.UTF_8));
    assertThat(ok.status()).isEqualTo(200);
    assertThat(message(ok)).isEqualTo(new SyncMessage.Ack(next.cursor()));
  }

  @Test
  void malformedMessagesGet400NamingTheProblem() throws Exception {
    HttpTestClient.Answer notJson = post(phoneToken, "not json");
    assertThat(notJson.status()).isEqualTo(400);
    assertThat(notJson.text("error")).isEqualTo("malformed_frame");

    HttpTestClient.Answer missing = post(phoneToken, "{\"type\":\"changes\",\"from\":\"0:0:0\",\"changes\":[],"
        + "\"remaining\":0}");
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.text("error")).isEqualTo("malformed_frame");
    assertThat(missing.text("message")).contains("cursor");

    HttpTestClient.Answer unknown = post(phoneToken, "{\"type\":\"gossip\"}");
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.text("error")).isEqualTo("unknown_message");

    HttpTestClient.Answer hello = post(phoneToken, new String(SyncMessage.encode(new SyncMessage.Hello(1,
        Topic.of("default").hex(), Values.hex(phone.db.siteId()), phone.keys.deviceId().toString(), 0,
        List.of("changes"))), StandardCharsets.UTF_8));
    assertThat(hello.status()).isEqualTo(400);
    assertThat(hello.text("error")).isEqualTo("protocol_violation");

    phone.sql("INSERT INTO todo VALUES ('p1', 'unsigned')");
    phone.db.capture();
    SyncMessage.Changes sealed = phone.sealedBatch(Cursor.START);
    SyncMessage.Changes unsigned = new SyncMessage.Changes(sealed.from(), sealed.cursor(), sealed.changes(), 0,
        List.of());
    HttpTestClient.Answer refused = post(phoneToken, new String(SyncMessage.encode(unsigned), StandardCharsets.UTF_8));
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.text("error")).isEqualTo("unsigned_change");
    assertThat(refused.text("message")).contains("todo");

    assertThat(http.post("/v1/sync/messages", "{\"type\":\"ping\",\"id\":1}", phoneToken).text("field"))
        .isEqualTo("database");
  }

  @Test
  void aBodyOverSixtyFourMebibytesGets413AndALargeBatchBelowItIsTaken() throws Exception {
    StringBuilder rows = new StringBuilder("INSERT INTO todo VALUES ");
    String title = "x".repeat(1000);
    for (int i = 0; i < 300; i++) {
      rows.append(i == 0 ? "" : ", ").append("('big").append(i).append("', '").append(title).append("')");
    }
    laptop.sql(rows.toString());
    laptop.db.capture();
    String big = new String(SyncMessage.encode(laptop.sealedBatch(laptopPushed)), StandardCharsets.UTF_8);
    assertThat(big.length()).as("over the 64 KiB of the auth endpoints").isGreaterThan(256 * 1024);
    HttpTestClient.Answer taken = post(laptopToken, big);
    assertThat(taken.status()).as(taken.raw().body()).isEqualTo(200);

    byte[] huge = new byte[(64 << 20) + 1];
    Arrays.fill(huge, (byte) ' ');
    // A declared length past the bound is refused from the headers alone, before any of the body is read
    // (sent by hand: an HTTP client still sending 64 MiB may see the connection closed before the 413).
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(10_000);
      String head = "POST /v1/sync/messages?database=default HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Authorization: Bearer " + laptopToken + "\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + huge.length + "\r\n\r\n";
      socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      StringBuilder answer = new StringBuilder();
      byte[] buffer = new byte[4096];
      for (int n; !answer.toString().contains("body_too_large")
          && (n = socket.getInputStream().read(buffer)) > 0; ) {
        answer.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
      }
      assertThat(answer.toString()).startsWith("HTTP/1.1 413").contains("body_too_large");
    }
    HttpTestClient.Answer chunked = http.send(HttpRequest.newBuilder(messages()).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + laptopToken).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(huge))).build());
    assertThat(chunked.status()).as("without a Content-Length").isEqualTo(413);
    assertThat(chunked.text("error")).isEqualTo("body_too_large");
  }

  @Test
  void aRevocationThatReachesTheServerEndsTheDevicesOpenStreamWithAnError() throws Exception {
    SseStream s = stream(phoneToken, "", null);
    s.next(SyncMessage.Hello.class);
    s.next(SyncMessage.Request.class);
    untilEose(s, Cursor.START);

    Devices.open(laptop.db).revoke(phone.keys.deviceId());
    push(laptop, laptopToken);
    SseStream.Event error = s.next();
    assertThat(error.event()).isEqualTo("error");
    assertThat(((SyncMessage.Error) error.message()).code()).isEqualTo("unauthorized");
    assertThat(s.awaitEnd()).contains("ended");
    assertThat(http.get("/v1/sync/events?database=default", phoneToken).status()).isEqualTo(403);
  }

  @Test
  void theServerStopsAtOnceWithStreamsOpenAndTheirClientsSeeTheEnd() throws Exception {
    SseStream s = stream(phoneToken, "", null);
    s.next(SyncMessage.Hello.class);
    s.next(SyncMessage.Request.class);
    untilEose(s, Cursor.START);
    try (SseStream left = stream(laptopToken, "", null)) {
      left.next(SyncMessage.Hello.class); // and then its client goes away unnoticed until the next write
    }

    long start = System.nanoTime();
    server.close();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("well within the 5 s given to requests in flight")
        .isLessThan(Duration.ofSeconds(3));
    assertThat(s.awaitEnd()).contains("ended");
  }

  // ---- steps

  private String token(UserDevice device) throws Exception {
    HttpTestClient.Answer a = device.proveTo(http, access, account);
    assertThat(a.status()).as(a.raw().body()).isEqualTo(200);
    return a.text("device_token");
  }

  /** Captures the device's writes and POSTs them after {@link #laptopPushed}, sealed; expects the ack. */
  private void push(UserDevice device, String token) throws Exception {
    device.db.capture();
    SyncMessage.Changes batch = device.sealedBatch(laptopPushed);
    HttpTestClient.Answer a = post(token, new String(SyncMessage.encode(batch), StandardCharsets.UTF_8));
    assertThat(a.status()).as(a.raw().body()).isEqualTo(200);
    assertThat(message(a)).isEqualTo(new SyncMessage.Ack(batch.cursor()));
    laptopPushed = batch.cursor();
  }

  private HttpTestClient.Answer post(String token, String body) throws Exception {
    return http.post("/v1/sync/messages?database=default", body, token);
  }

  private static SyncMessage message(HttpTestClient.Answer a) {
    return SyncMessage.decode(a.raw().body().getBytes(StandardCharsets.UTF_8));
  }

  private URI events(String query) {
    return URI.create(http.base() + "/v1/sync/events?database=default" + query);
  }

  private URI messages() {
    return URI.create(http.base() + "/v1/sync/messages?database=default");
  }

  private SseStream stream(String token, String query, String lastEventId) throws Exception {
    SseStream s = SseStream.open(server.port(), "database=default" + query, token,
        lastEventId == null ? Map.of() : Map.of("Last-Event-ID", lastEventId));
    open.add(0, s);
    return s;
  }

  /** Reads batches chained from {@code from} until the eose, checking each id is its cursor. */
  private static Batches untilEose(SseStream s, Cursor from) throws InterruptedException {
    Batches b = new Batches();
    Cursor at = from;
    while (true) {
      SseStream.Event e = s.next();
      SyncMessage m = e.message();
      if (m instanceof SyncMessage.Changes c) {
        assertThat(e.event()).isEqualTo("changes");
        assertThat(c.from()).as("a batch continues the one before").isEqualTo(at);
        assertThat(e.id()).isEqualTo(c.cursor().toString());
        b.changes.addAll(c.changes());
        b.seals.addAll(c.seals());
        at = c.cursor();
        b.lastBatch = at;
      } else if (m instanceof SyncMessage.Eose eose) {
        assertThat(e.event()).isEqualTo("eose");
        assertThat(eose.from()).isEqualTo(at);
        assertThat(e.id()).isEqualTo(eose.cursor().toString());
        b.end = eose.cursor();
        return b;
      } else {
        throw new AssertionError("expected changes or eose, got " + e);
      }
    }
  }

  private static List<Object> todos(List<Change> changes) {
    return changes.stream().filter(c -> c.table().equals("todo") && c.cid().equals("title")).map(Change::val)
        .filter(Objects::nonNull).toList();
  }

  private static final class Batches {
    final List<Change> changes = new ArrayList<>();
    final List<Seal> seals = new ArrayList<>();
    Cursor lastBatch;
    Cursor end;

    List<Object> todos() {
      return SseSyncIT.todos(changes);
    }
  }
}
