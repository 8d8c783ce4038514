package dev.cfost.server;

import static dev.cfost.server.HttpTestClient.obj;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.Seal;
import dev.cfost.Values;
import dev.cfost.identity.Argon2Params;
import dev.cfost.net.SyncMessage;
import dev.cfost.net.Topic;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that are not ours: Node with npm {@code ws} on {@code /v1/sync} and npm {@code eventsource} on
 * {@code /v1/sync/events} ({@link NodeClients}), against a real server, with real devices' sealed data.
 * What they printed is decoded here with the protocol's own codec and checked: rows, seals, cursors,
 * resumption.
 */
class ThirdPartyClientsIT {
  @TempDir Path dir;
  final List<AutoCloseable> open = new ArrayList<>();
  CfostServer server;
  HttpTestClient http;
  String url;
  String account;
  String access;
  UserDevice laptop;
  UserDevice phone;

  @BeforeAll
  static void nodeAndThePackages() {
    NodeClients.prepare(); // npm ci once per build; its time is not the tests'
  }

  @BeforeEach
  void aServerAnAccountAndTwoDevices() throws Exception {
    server = CfostServer.start(ServerConfig.builder().listen("127.0.0.1:0").dataDir(dir.resolve("server"))
        .argon2(new Argon2Params(256, 1, 1)).build());
    http = new HttpTestClient(server.port());
    url = http.base();
    account = http.post("/v1/auth/register", obj("user_name", "alice", "email", "alice@example.org",
        "password", "correct horse")).text("user_id");
    access = http.post("/v1/auth/login", obj("login", "alice", "password", "correct horse")).text("access_token");
    laptop = UserDevice.create(dir, "laptop").asFirstDeviceOfANewUser("alice");
    phone = UserDevice.create(dir, "phone");
    laptop.authorize(phone);
    open.add(laptop);
    open.add(phone);
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    server.close();
  }

  @Test
  void aWsClientPushesASealedBatchAndAnotherWsClientPullsItWithTheOriginsSeals() throws Exception {
    laptop.sql("INSERT INTO todo VALUES ('l1', 'milk'), ('l2', 'bread')");
    laptop.db.capture();
    SyncMessage.Changes batch = laptop.sealedBatch(Cursor.START);
    List<JsonNode> pushed = wsClient("ws-push", laptop, token(laptop), "--message", file(batch)).finish();

    List<SyncMessage> in = messages(pushed, "in");
    assertThat(in.get(0)).isInstanceOfSatisfying(SyncMessage.Hello.class, h -> {
      assertThat(h.deviceId()).isEqualTo("server");
      assertThat(h.topic()).isEqualTo(Topic.of(laptop.db.databaseId()).hex());
    });
    assertThat(in.get(1)).as("the cursor the server holds for the laptop").isEqualTo(new SyncMessage.Request(Cursor.START));
    assertThat(in.subList(2, in.size())).containsExactly(new SyncMessage.Received(batch.cursor()),
        new SyncMessage.Ack(batch.cursor()));
    assertThat(messages(pushed, "out")).extracting(m -> m.getClass().getSimpleName()).containsExactly("Hello", "Changes");

    // The push reached the store: the phone, in the device list it carried, may now join, and pull.
    List<JsonNode> pulled = wsClient("ws-pull", phone, token(phone)).finish();
    in = messages(pulled, "in");
    assertThat(in.get(0)).isInstanceOf(SyncMessage.Hello.class);
    assertThat(in.get(1)).isEqualTo(new SyncMessage.Request(Cursor.START));
    Stream stream = stream(in.subList(2, in.size()), Cursor.START);
    assertThat(stream.todos()).containsExactlyInAnyOrder("milk", "bread");
    assertThat(stream.changes).extracting(Change::table).contains("identity_devices");
    laptop.assertSealed(stream.changes, stream.seals);
    List<SyncMessage> out = messages(pulled, "out");
    assertThat(out.get(1)).isEqualTo(new SyncMessage.Request(Cursor.START));
    assertThat(out.subList(2, out.size())).as("a received per batch, then the ack of the last")
        .containsExactlyElementsOf(stream.answers());

    // The ack was stored: the phone's stream without a Last-Event-ID resumes after it, with nothing to send.
    List<JsonNode> resumed = NodeClients.start("sse", "--url", url, "--database", "default", "--token", token(phone))
        .finish();
    assertThat(events(resumed, 1)).extracting(e -> e.path("event").asText()).containsExactly("hello", "request", "eose");
    assertThat(data(events(resumed, 1).get(2))).isEqualTo(new SyncMessage.Eose(stream.end, stream.end));
  }

  @Test
  void anEventSourceClientResumesAfterItsLastEventIdAndAfterWhatItAcknowledged() throws Exception {
    laptop.sql("INSERT INTO todo VALUES ('a1', 'first'), ('a2', 'second')");
    laptop.db.capture();
    Cursor laptopAt = pushOverRawSocket(laptop, Cursor.START);
    String phoneToken = token(phone);
    NodeClients.Run sse = NodeClients.start("sse", "--url", url, "--database", "default", "--token", phoneToken,
        "--site", Values.hex(phone.db.siteId()), "--reconnect");
    JsonNode waiting = sse.await("the wait before reconnecting", l -> l.has("waiting"));

    JsonNode response = sse.lines.get(0).path("response");
    assertThat(response.path("status").asInt()).isEqualTo(200);
    assertThat(response.path("content_type").asText()).startsWith("text/event-stream");
    assertThat(response.path("cache_control").asText()).isEqualTo("no-cache");
    assertThat(response.path("accel_buffering").asText()).isEqualTo("no");
    List<JsonNode> first = events(sse.lines, 1);
    assertThat(first.get(0).path("event").asText()).isEqualTo("hello");
    assertThat(data(first.get(1))).as("the cursor the server holds for the phone's own stream")
        .isEqualTo(new SyncMessage.Request(Cursor.START));
    Stream a = stream(data(first.subList(2, first.size())), Cursor.START);
    assertThat(a.todos()).containsExactlyInAnyOrder("first", "second");
    laptop.assertSealed(a.changes, a.seals);
    for (JsonNode e : first.subList(2, first.size())) {
      assertThat(e.path("id").asText()).as("the id of %s is its cursor", e).isEqualTo(cursor(data(e)).toString());
    }
    assertThat(waiting.path("last_event_id").asText()).isEqualTo(a.end.toString());

    // More rows while the client is away; it reconnects with Last-Event-ID (it acknowledged nothing).
    laptop.sql("INSERT INTO todo VALUES ('b1', 'third')");
    laptop.db.capture();
    laptopAt = pushOverRawSocket(laptop, laptopAt);
    sse.say("reconnect");
    List<JsonNode> second = events(sse.finish(), 2);
    assertThat(second).extracting(e -> e.path("event").asText()).containsExactly("hello", "request", "changes", "eose");
    Stream b = stream(data(second.subList(2, 4)), a.end);
    assertThat(b.todos()).as("exactly what came after the last event id").containsExactly("third");

    // Without a Last-Event-ID the stream starts after what the device acknowledged: nothing yet, so from
    // the start. The client POSTs its ack; the next stream starts after it.
    NodeClients.Run acking = NodeClients.start("sse", "--url", url, "--database", "default", "--token", phoneToken,
        "--ack");
    List<JsonNode> all = acking.finish();
    Stream everything = stream(data(events(all, 1).subList(2, events(all, 1).size())), Cursor.START);
    assertThat(everything.todos()).containsExactlyInAnyOrder("first", "second", "third");
    JsonNode posted = all.stream().filter(l -> l.has("posted")).findFirst().orElseThrow();
    assertThat(posted.path("cursor").asText()).isEqualTo(everything.lastBatch.toString());
    assertThat(posted.path("status").asInt()).isEqualTo(204);

    laptop.sql("INSERT INTO todo VALUES ('c1', 'fourth')");
    laptop.db.capture();
    pushOverRawSocket(laptop, laptopAt);
    List<JsonNode> after = events(NodeClients.start("sse", "--url", url, "--database", "default", "--token",
        phoneToken).finish(), 1);
    Stream c = stream(data(after.subList(2, after.size())), everything.lastBatch);
    assertThat(c.todos()).containsExactly("fourth");
  }

  @Test
  void aBatchPushedByTheWsClientArrivesLiveOnTheEventSourceClientsOpenStream() throws Exception {
    String laptopToken = token(laptop);
    Cursor laptopAt = pushOverRawSocket(laptop, Cursor.START);
    NodeClients.Run sse = NodeClients.start("sse", "--url", url, "--database", "default", "--token", token(phone),
        "--live", "1");
    sse.await("eose", l -> l.path("event").asText().equals("eose"));

    laptop.sql("INSERT INTO todo VALUES ('l9', 'live')");
    laptop.db.capture();
    SyncMessage.Changes batch = laptop.sealedBatch(laptopAt);
    wsClient("ws-push", laptop, laptopToken, "--message", file(batch)).finish();
    sse.await("the live batch", l -> l.path("event").asText().equals("changes"), Duration.ofSeconds(5)); // < keep-alive

    List<SyncMessage> events = data(events(sse.finish(), 1));
    int eose = events.indexOf(events.stream().filter(SyncMessage.Eose.class::isInstance).findFirst().orElseThrow());
    assertThat(events.subList(eose + 1, events.size())).as("one live batch ends the run").hasSize(1);
    SyncMessage.Changes live = (SyncMessage.Changes) events.get(eose + 1);
    assertThat(live.from()).isEqualTo(((SyncMessage.Eose) events.get(eose)).cursor());
    assertThat(live.changes()).extracting(Change::val).containsExactly("live");
    laptop.assertSealed(live.changes(), live.seals());
  }

  @Test
  void aNodeWsClientDrivesTheDocumentApiAndSeesItsUpdatePushedToItsOtherConnection() throws Exception {
    nodeDrivesTheDocumentApi(url, account, access);
  }

  @Test
  void aNodeWsClientDrivesTheDocumentApiOfAServerOnPostgres() throws Exception {
    try (CfostServer pg = CfostServer.start(ServerConfig.builder().listen("127.0.0.1:0").dataDir(dir.resolve("pg"))
        .postgres(TestPostgres.freshDatabase(), null).argon2(new Argon2Params(256, 1, 1)).build())) {
      HttpTestClient h = new HttpTestClient(pg.port());
      String user = h.post("/v1/auth/register", obj("user_name", "bob", "email", "bob@example.org",
          "password", "correct horse")).text("user_id");
      String token = h.post("/v1/auth/login", obj("login", "bob", "password", "correct horse")).text("access_token");
      nodeDrivesTheDocumentApi(h.base(), user, token);
    }
  }

  private static void nodeDrivesTheDocumentApi(String base, String user, String token) throws Exception {
    List<JsonNode> lines = NodeClients.startScript(NodeClients.DOCUMENTS_SCRIPT, "--url",
        base.replace("http://", "ws://") + "/ws", "--user", user, "--token", token).finish();

    List<JsonNode> aIn = received(lines, "a");
    List<JsonNode> bIn = received(lines, "b");
    assertThat(bIn).extracting(m -> m.path("type").asText())
        .containsExactly("authenticated", "document_created", "document_updated", "document_updated");
    assertThat(bIn.get(2).at("/document/content/text").asText()).as("the update, pushed").isEqualTo("Updated by node");
    assertThat(bIn.get(3).path("action").asText()).isEqualTo("undo");
    assertThat(aIn).extracting(m -> m.path("type").asText()).containsExactly("authenticated", "document_created",
        "document_updated", "document_updated", "error", "document");
    assertThat(aIn.get(3).path("action").asText()).as("b's undo, pushed").isEqualTo("undo");
    assertThat(aIn.get(3).at("/document/content/text").asText()).isEqualTo("Hello");
    assertThat(aIn.get(4).path("code").asText()).isEqualTo("patch_failed");
    assertThat(aIn.get(4).path("message").asText()).contains("/missing");
    JsonNode after = aIn.get(5).path("document");
    assertThat(after.at("/content/text").asText()).as("the refused patch left nothing").isEqualTo("Hello");
    assertThat(after.path("version").asLong()).isEqualTo(3);
  }

  // ---- steps

  private static List<JsonNode> received(List<JsonNode> lines, String connection) throws Exception {
    List<JsonNode> in = new ArrayList<>();
    for (JsonNode l : lines) {
      if (l.path("conn").asText().equals(connection) && l.path("dir").asText().equals("in")) {
        in.add(HttpTestClient.JSON.readTree(l.path("raw").asText()));
      }
    }
    return in;
  }

  private String token(UserDevice device) throws Exception {
    HttpTestClient.Answer a = device.proveTo(http, access, account);
    assertThat(a.status()).as(a.raw().body()).isEqualTo(200);
    return a.text("device_token");
  }

  private NodeClients.Run wsClient(String command, UserDevice device, String token, String... more) {
    List<String> args = new ArrayList<>(List.of(command, "--url", url, "--database", device.db.databaseId(),
        "--token", token, "--device", device.keys.deviceId().toString(), "--site", Values.hex(device.db.siteId()),
        "--topic", Topic.of(device.db.databaseId()).hex()));
    args.addAll(List.of(more));
    return NodeClients.start(args.toArray(String[]::new));
  }

  private String file(SyncMessage m) throws Exception {
    Path f = Files.createTempFile(dir, "message", ".json");
    Files.write(f, SyncMessage.encode(m));
    return f.toString();
  }

  /** Pushes the device's changes after {@code from} through a Java WebSocket; returns the acked cursor. */
  private Cursor pushOverRawSocket(UserDevice device, Cursor from) throws Exception {
    try (RawSocket s = RawSocket.open(server.port(), device.db.databaseId(), token(device))) {
      SyncMessage.Hello hello = s.await(SyncMessage.Hello.class);
      s.send(new SyncMessage.Hello(1, hello.topic(), Values.hex(device.db.siteId()),
          device.keys.deviceId().toString(), 0, List.of("changes", "live")));
      s.await(SyncMessage.Request.class);
      SyncMessage.Changes batch = device.sealedBatch(from);
      s.send(batch);
      assertThat(s.await(SyncMessage.Ack.class).cursor()).isEqualTo(batch.cursor());
      return batch.cursor();
    }
  }

  /** The WebSocket client's frames in one direction, decoded. */
  private static List<SyncMessage> messages(List<JsonNode> lines, String dir) {
    return lines.stream().filter(l -> dir.equals(l.path("dir").asText()))
        .map(l -> SyncMessage.decode(l.path("raw").asText().getBytes(StandardCharsets.UTF_8))).toList();
  }

  /** The SSE client's events on its connection {@code k}. */
  private static List<JsonNode> events(List<JsonNode> lines, int k) {
    return lines.stream().filter(l -> l.has("event") && l.path("connection").asInt() == k).toList();
  }

  private static SyncMessage data(JsonNode event) {
    return SyncMessage.decode(event.path("data").asText().getBytes(StandardCharsets.UTF_8));
  }

  private static List<SyncMessage> data(List<JsonNode> events) {
    return events.stream().map(ThirdPartyClientsIT::data).toList();
  }

  private static Cursor cursor(SyncMessage m) {
    return m instanceof SyncMessage.Changes c ? c.cursor() : ((SyncMessage.Eose) m).cursor();
  }

  /** A server stream as a client saw it: batches chained from {@code start} and closed by one eose. */
  private static Stream stream(List<SyncMessage> messages, Cursor start) {
    Stream s = new Stream();
    Cursor at = start;
    for (int i = 0; i < messages.size(); i++) {
      SyncMessage m = messages.get(i);
      if (m instanceof SyncMessage.Changes c) {
        assertThat(c.from()).as("batch %d continues the one before", i).isEqualTo(at);
        s.changes.addAll(c.changes());
        s.seals.addAll(c.seals());
        s.batches.add(c.cursor());
        at = c.cursor();
        s.lastBatch = at;
      } else {
        assertThat(m).as("the last message ends the stored events").isInstanceOf(SyncMessage.Eose.class);
        assertThat(i).isEqualTo(messages.size() - 1);
        assertThat(((SyncMessage.Eose) m).from()).isEqualTo(at);
        s.end = ((SyncMessage.Eose) m).cursor();
      }
    }
    assertThat(s.end).as("an eose").isNotNull();
    return s;
  }

  private static final class Stream {
    final List<Change> changes = new ArrayList<>();
    final List<Seal> seals = new ArrayList<>();
    final List<Cursor> batches = new ArrayList<>();
    Cursor lastBatch;
    Cursor end;

    List<Object> todos() {
      return changes.stream().filter(c -> c.table().equals("todo") && c.cid().equals("title")).map(Change::val)
          .filter(Objects::nonNull).toList();
    }

    /** What a client answers: received for each batch, then ack for the last. */
    List<SyncMessage> answers() {
      List<SyncMessage> out = new ArrayList<>();
      batches.forEach(b -> out.add(new SyncMessage.Received(b)));
      out.add(new SyncMessage.Ack(lastBatch));
      return out;
    }
  }
}
