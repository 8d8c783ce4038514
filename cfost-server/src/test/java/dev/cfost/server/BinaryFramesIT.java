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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /v1/sync} in binary frames, negotiated by the subprotocol {@code cfost-sync-binary}: a client that
 * offers it syncs both ways in binary frames with the same limits as text; a client that does not gets
 * text as before, and a binary frame on its session is still refused.
 */
class BinaryFramesIT {
  static final String TEXT = "cfost-sync";
  static final String BINARY = "cfost-sync-binary";

  @TempDir Path dir;
  final List<AutoCloseable> open = new ArrayList<>();
  CfostServer server;
  HttpTestClient http;
  String account;
  String access;
  UserDevice laptop;
  UserDevice phone;

  @BeforeEach
  void aServerAnAccountAndTwoDevices() throws Exception {
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
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    server.close();
  }

  @Test
  void aClientThatOffersBinaryGetsItAndSyncsBothWaysInBinaryFrames() throws Exception {
    laptop.sql("INSERT INTO todo VALUES ('l1', 'milk'), ('l2', 'bréad')");
    laptop.db.capture();
    RawSocket l = joined(laptop, TEXT, BINARY);
    assertThat(l.ws.getSubprotocol()).isEqualTo(BINARY);
    Cursor pushed = push(l, Cursor.START); // device -> server, in binary frames

    RawSocket p = joined(phone, TEXT, BINARY);
    p.send(new SyncMessage.Request(Cursor.START));
    List<Change> got = untilEose(p);
    assertThat(got.stream().filter(c -> c.table().equals("todo")).map(Change::val)).contains("milk", "bréad");

    laptop.sql("INSERT INTO todo VALUES ('l3', 'eggs')");
    laptop.db.capture();
    push(l, pushed);
    assertThat(p.await(SyncMessage.Changes.class).changes()).extracting(Change::val).contains("eggs");
    assertThat(l.textIn.get() + p.textIn.get()).as("text messages on binary sessions").isZero();
    assertThat(p.binaryIn.get()).as("the phone's hello, request, batches, eose, live batch").isGreaterThan(4);
  }

  /** The devices' own transport (cfost-net's WebSocket transport) against the server: binary, both ways. */
  @Test
  void theDevicesWebSocketTransportChoosesBinaryAndSyncsBothWays() throws Exception {
    ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
        "dev.cfost.server");
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
        new ch.qos.logback.core.read.ListAppender<>();
    lines.start();
    log.addAppender(lines);
    log.setLevel(ch.qos.logback.classic.Level.INFO);
    try {
      laptop.sql("INSERT INTO todo VALUES ('l1', 'milk')");
      laptop.db.capture();
      dev.cfost.net.Connection l = transportJoined(laptop);
      ChangeBatch batch = laptop.db.changes(Cursor.START, 10_000);
      SealedChanges sealed = ChangeSeals.open(laptop.db, laptop.keys, laptop.identityUser).seal(batch.changes());
      l.send(SyncMessage.encode(new SyncMessage.Changes(Cursor.START, batch.next(), sealed.changes(), 0,
          sealed.seals())));
      assertThat(next(l, SyncMessage.Ack.class).cursor()).isEqualTo(batch.next());

      dev.cfost.net.Connection p = transportJoined(phone);
      p.send(SyncMessage.encode(new SyncMessage.Request(Cursor.START)));
      SyncMessage.Changes got = next(p, SyncMessage.Changes.class);
      assertThat(got.changes()).extracting(Change::val).contains("milk");
      synchronized (lines.list) {
        assertThat(lines.list).extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
            .filteredOn(m -> m.startsWith("event=connected transport=websocket")).hasSize(2)
            .allMatch(m -> m.endsWith(" frames=binary"));
      }
    } finally {
      log.detachAppender(lines);
      log.setLevel(null);
    }
  }

  @Test
  void aClientThatOffersNothingOrTextOnlyGetsTextAsBefore() throws Exception {
    laptop.sql("INSERT INTO todo VALUES ('l1', 'milk')");
    laptop.db.capture();
    RawSocket plain = joined(laptop);
    assertThat(plain.ws.getSubprotocol()).isEmpty();
    Cursor pushed = push(plain, Cursor.START);
    plain.close();

    RawSocket text = joined(phone, TEXT);
    assertThat(text.ws.getSubprotocol()).isEqualTo(TEXT);
    text.send(new SyncMessage.Request(Cursor.START));
    assertThat(untilEose(text)).extracting(Change::val).contains("milk");
    assertThat(pushed).isNotEqualTo(Cursor.START);
    assertThat(plain.binaryIn.get() + text.binaryIn.get()).as("binary messages on text sessions").isZero();
    assertThat(text.textIn.get()).isGreaterThan(2);
  }

  @Test
  void aBinaryFrameOnATextSessionIsRefusedWith1003() throws Exception {
    RawSocket text = joined(laptop, TEXT);
    text.sendBinary(SyncMessage.encode(new SyncMessage.Ping(1)));
    assertThat(text.await(String.class)).startsWith("closed: 1003").contains("malformed_frame");
  }

  @Test
  void aBinaryMessageOverTheLimitIsRefusedWith1009AndOneAtTheLimitIsRead() throws Exception {
    int max = dev.cfost.net.Transports.MAX_FRAME_BYTES;
    RawSocket b = joined(laptop, BINARY);
    // At the limit: read whole and decoded (not JSON of a message: refused as a malformed frame, 1008).
    byte[] atLimit = new byte[max];
    java.util.Arrays.fill(atLimit, (byte) ' ');
    atLimit[0] = '{';
    atLimit[max - 1] = '}';
    b.sendBinary(atLimit);
    assertThat(b.await(SyncMessage.Error.class).code()).isEqualTo("malformed_frame");
    assertThat(b.await(String.class)).startsWith("closed: 1008");

    RawSocket over = joined(laptop, BINARY);
    try {
      over.sendBinary(new byte[max + 1]);
    } catch (java.util.concurrent.ExecutionException e) {
      // the server may close before the whole message went
    }
    assertThat(over.await(String.class)).startsWith("closed: 1009");
  }

  @Test
  void theUpgradeNamesExactlyOneChosenProtocol() throws Exception {
    String token = token(laptop);
    assertThat(protocolHeaders(token, "Sec-WebSocket-Protocol: cfost-sync, cfost-sync-binary"))
        .containsExactly(BINARY);
    assertThat(protocolHeaders(token, "Sec-WebSocket-Protocol: cfost-sync-binary, cfost-sync")).containsExactly(BINARY);
    assertThat(protocolHeaders(token, "Sec-WebSocket-Protocol: cfost-sync\r\n"
        + "Sec-WebSocket-Protocol: cfost-sync-binary")).as("two header lines").containsExactly(BINARY);
    assertThat(protocolHeaders(token, "Sec-WebSocket-Protocol: cfost-sync")).containsExactly(TEXT);
    assertThat(protocolHeaders(token, "Sec-WebSocket-Protocol: chat, cfost-sync")).containsExactly(TEXT);
    assertThat(protocolHeaders(token, null)).isEmpty();
  }

  // ---- steps

  private String token(UserDevice device) throws Exception {
    HttpTestClient.Answer a = device.proveTo(http, access, account);
    assertThat(a.status()).as(a.raw().body()).isEqualTo(200);
    return a.text("device_token");
  }

  private RawSocket joined(UserDevice device, String... subprotocols) throws Exception {
    RawSocket s = RawSocket.open(server.port(), device.db.databaseId(), token(device), subprotocols);
    open.add(0, s);
    SyncMessage.Hello hello = s.await(SyncMessage.Hello.class);
    s.send(new SyncMessage.Hello(1, hello.topic(), Values.hex(device.db.siteId()), device.keys.deviceId().toString(),
        0, List.of("changes", "live")));
    s.await(SyncMessage.Request.class);
    return s;
  }

  private dev.cfost.net.Connection transportJoined(UserDevice device) throws Exception {
    String token = token(device);
    dev.cfost.net.Transport t = dev.cfost.net.Transports.webSocket(dev.cfost.net.WebSocketOptions.builder()
        .url(java.net.URI.create("ws://127.0.0.1:" + server.port() + "/v1/sync?database=" + device.db.databaseId()))
        .auth(url -> java.util.Map.of("Authorization", "Bearer " + token)).build());
    open.add(0, t);
    dev.cfost.net.Connection c = t.connect(t.lookup(dev.cfost.net.Topic.of(device.db.databaseId())).get(0));
    open.add(0, c);
    SyncMessage.Hello hello = next(c, SyncMessage.Hello.class);
    c.authorized();
    c.send(SyncMessage.encode(new SyncMessage.Hello(1, hello.topic(), Values.hex(device.db.siteId()),
        device.keys.deviceId().toString(), 0, List.of("changes", "live"))));
    next(c, SyncMessage.Request.class);
    return c;
  }

  /** The next message of {@code type} on {@code c}, skipping others. */
  private static <T> T next(dev.cfost.net.Connection c, Class<T> type) throws Exception {
    for (int i = 0; i < 100; i++) {
      byte[] frame = c.receive();
      assertThat(frame).as("the connection is open").isNotNull();
      SyncMessage m = SyncMessage.decode(frame);
      if (type.isInstance(m)) {
        return type.cast(m);
      }
    }
    throw new AssertionError("no " + type.getSimpleName() + " in 100 messages");
  }

  /** Sends the laptop's changes after {@code from}, sealed; returns the cursor the server acknowledged. */
  private Cursor push(RawSocket s, Cursor from) throws Exception {
    ChangeBatch batch = laptop.db.changes(from, 10_000);
    SealedChanges sealed = ChangeSeals.open(laptop.db, laptop.keys, laptop.identityUser).seal(batch.changes());
    s.send(new SyncMessage.Changes(from, batch.next(), sealed.changes(), 0, sealed.seals()));
    assertThat(s.await(SyncMessage.Ack.class).cursor()).isEqualTo(batch.next());
    return batch.next();
  }

  private static List<Change> untilEose(RawSocket reader) throws Exception {
    List<Change> got = new ArrayList<>();
    while (true) {
      Object m = reader.await(Object.class);
      if (m instanceof SyncMessage.Changes c) {
        got.addAll(c.changes());
        reader.send(new SyncMessage.Received(c.cursor()));
      } else if (m instanceof SyncMessage.Eose) {
        return got;
      }
    }
  }

  /** The values of {@code Sec-WebSocket-Protocol} in the 101 answer to a handshake with {@code offer}. */
  private List<String> protocolHeaders(String token, String offer) throws Exception {
    UpgradeAnswer a = offer == null
        ? UpgradeAnswer.send(server.port(), "/v1/sync?database=" + laptop.db.databaseId(), token)
        : UpgradeAnswer.send(server.port(), "/v1/sync?database=" + laptop.db.databaseId(), token, offer);
    assertThat(a.status()).startsWith("HTTP/1.1 101");
    return a.values("Sec-WebSocket-Protocol");
  }

}
