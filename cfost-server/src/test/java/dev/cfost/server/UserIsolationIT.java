package dev.cfost.server;

import static dev.cfost.server.HttpTestClient.obj;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.Values;
import dev.cfost.identity.Argon2Params;
import dev.cfost.identity.Devices;
import dev.cfost.net.SyncMessage;
import dev.cfost.server.HttpTestClient.Answer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One user's data is unreachable with another user's tokens or devices, endpoint by endpoint of
 * docs/SERVER.md. Alice's laptop pushed sealed rows to the server; Bob has an account and a device of his
 * own. Both databases have the same id ({@code default}), so only the user tells them apart: Alice's rows
 * never reach Bob, Bob's pushes never land in Alice's database, and Bob never moves Alice's cursors or
 * acknowledgements. Alice's whole database, as her phone reads it, is compared before and after.
 */
class UserIsolationIT {
  record Login(String userId, String access, String refresh) {}

  static final String DB = "default";
  @TempDir Path dir;
  final List<AutoCloseable> open = new ArrayList<>();
  CfostServer server;
  HttpTestClient http;
  Login alice;
  Login bob;
  UserDevice laptop;
  UserDevice phone;
  UserDevice bobs;
  String laptopToken;
  String phoneToken;
  String bobToken;
  Cursor laptopPushed;
  /** Every value of Alice's database on the server, in stream order, after the laptop's push. */
  List<String> aliceBefore;

  @BeforeEach
  void aliceWithDataOnTheServerAndBobWithADevice() throws Exception {
    server = CfostServer.start(ServerConfig.builder().listen("127.0.0.1:0").dataDir(dir.resolve("server"))
        .argon2(new Argon2Params(256, 1, 1)).build());
    http = new HttpTestClient(server.port());
    alice = register("alice");
    bob = register("bob");
    laptop = UserDevice.create(dir, "laptop").asFirstDeviceOfANewUser("alice");
    phone = UserDevice.create(dir, "phone");
    laptop.authorize(phone);
    bobs = UserDevice.create(dir, "bobs").asFirstDeviceOfANewUser("bob");
    open.addAll(List.of(laptop, phone, bobs));
    for (int i = 0; i < 25; i++) {
      laptop.sql("INSERT INTO todo VALUES ('a" + i + "', 'alice-secret-" + i + "')");
    }
    laptop.db.capture();
    laptopToken = token(laptop, alice);
    try (RawSocket l = RawSocket.joined(server.port(), laptop, laptopToken)) {
      laptopPushed = push(l, laptop.sealedBatch(Cursor.START, 10_000));
    }
    phoneToken = token(phone, alice);
    bobs.sql("INSERT INTO todo VALUES ('b1', 'bob-row')");
    bobs.db.capture();
    bobToken = token(bobs, bob);
    aliceBefore = everything(phoneToken);
    assertThat(aliceBefore).contains("alice-secret-0", "alice-secret-24", "alice@example.org");
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    server.close();
  }

  // ---- accounts and tokens

  @Test
  void theAccountEndpointAnswersOnlyForTheBearersOwnAccount() throws Exception {
    Answer a = http.get("/v1/account", bob.access);
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.text("user_id")).isEqualTo(bob.userId).isNotEqualTo(alice.userId);
    assertThat(a.raw().body()).doesNotContain("alice");
    for (String notAnAccessToken : List.of(laptopToken, bobToken, alice.refresh)) {
      assertThat(http.get("/v1/account", notAnAccessToken).status()).isEqualTo(401);
    }
  }

  @Test
  void logoutRevokesOnlyTheBearersOwnTokens() throws Exception {
    // Bob logs out naming Alice's refresh token, access token and device token in the body.
    for (String alices : List.of(alice.refresh, alice.access, laptopToken)) {
      Login bobNow = login("bob");
      assertThat(http.post("/v1/auth/logout", obj("refresh_token", alices), bobNow.access).status()).isEqualTo(204);
      assertThat(http.get("/v1/account", bobNow.access).status()).as("Bob's own bearer is revoked").isEqualTo(401);
    }
    assertThat(http.post("/v1/auth/logout", "", laptopToken).status()).as("a device token is no bearer")
        .isEqualTo(401);
    assertThat(http.get("/v1/account", alice.access).text("user_id")).isEqualTo(alice.userId);
    Answer refreshed = http.post("/v1/auth/refresh", obj("refresh_token", alice.refresh));
    assertThat(refreshed.status()).isEqualTo(200);
    assertThat(refreshed.text("user_id")).isEqualTo(alice.userId);
    assertThat(everything(laptopToken)).as("Alice's device token still syncs").isEqualTo(aliceBefore);
  }

  // ---- devices

  @Test
  void aChallengeProvesADeviceOnlyForTheAccountItWasIssuedTo() throws Exception {
    Answer withBobs = prove(phone, alice, phone.identityUser, challenge(bob));
    assertThat(withBobs.status()).isEqualTo(401);
    assertThat(withBobs.text("error")).isEqualTo("invalid_proof");
    Answer withAlices = prove(bobs, bob, bobs.identityUser, challenge(alice));
    assertThat(withAlices.status()).isEqualTo(401);
    assertThat(withAlices.text("error")).isEqualTo("invalid_proof");
    // With its own account's challenge each proof passes: the refusals were for the challenge alone.
    assertThat(prove(phone, alice, phone.identityUser, challenge(alice)).status()).isEqualTo(200);
    assertThat(prove(bobs, bob, bobs.identityUser, challenge(bob)).status()).isEqualTo(200);
    assertThat(http.post("/v1/devices/challenge", "", bobToken).status()).as("a device token is no bearer")
        .isEqualTo(401);
  }

  @Test
  void anotherUsersDeviceKeyNeverJoinsAnAccount() throws Exception {
    // Bob's account, bound to Bob's identity user, offered Alice's laptop key (a valid proof of it).
    Answer asAlices = prove(laptop, bob, laptop.identityUser, challenge(bob));
    assertThat(asAlices.status()).isEqualTo(403);
    assertThat(asAlices.text("error")).isEqualTo("wrong_user");
    Answer asBobs = prove(laptop, bob, bobs.identityUser, challenge(bob));
    assertThat(asBobs.status()).isEqualTo(403);
    assertThat(asBobs.text("error")).isEqualTo("device_not_authorized");
    // Carol's account has no device yet: Alice's laptop does not become its first device, and the refusal
    // leaves the account free for Carol's own first device.
    Login carol = register("carol");
    Answer first = prove(laptop, carol, laptop.identityUser, challenge(carol));
    assertThat(first.status()).isEqualTo(403);
    assertThat(first.text("error")).isEqualTo("device_not_authorized");
    UserDevice carols = UserDevice.create(dir, "carols").asFirstDeviceOfANewUser("carol");
    open.add(carols);
    Answer own = carols.proveTo(http, carol.access, carol.userId);
    assertThat(own.status()).as(own.raw().body()).isEqualTo(200);
    assertThat(everything(own.text("device_token"))).isEmpty();
    assertThat(everything(phoneToken)).isEqualTo(aliceBefore);
  }

  @Test
  void aDeviceOfAnotherAccountInAUsersDeviceListGetsNoTokenThere() throws Exception {
    // Bob's device lists Alice's laptop key as one of Bob's devices, and syncs that list to the server.
    Devices.open(bobs.db).add(bobs.identityUser, laptop.keys.publicKey(), "not bob's", bobs.keys.deviceId());
    bobs.db.capture();
    try (RawSocket b = RawSocket.joined(server.port(), bobs, bobToken)) {
      push(b, bobs.sealedBatch(Cursor.START, 10_000));
    }
    Answer taken = prove(laptop, bob, bobs.identityUser, challenge(bob));
    assertThat(taken.status()).isEqualTo(403);
    assertThat(taken.text("error")).isEqualTo("device_not_authorized");
    // The laptop is still Alice's: its token syncs Alice's database, and what it pushes lands there only.
    laptop.sql("INSERT INTO todo VALUES ('late', 'alice-secret-late')");
    laptop.db.capture();
    try (RawSocket l = RawSocket.joined(server.port(), laptop, laptopToken)) {
      assertThat(l.serverRequest).isEqualTo(laptopPushed);
      push(l, laptop.sealedBatch(laptopPushed, 10_000));
    }
    assertThat(everything(phoneToken)).contains("alice-secret-late");
    assertThat(everything(bobToken)).contains("bob-row").noneMatch(v -> v.contains("alice"));
  }

  // ---- sync

  @Test
  void theWebSocketOfAnotherUsersDeviceReadsAndWritesOnlyItsOwnDatabase() throws Exception {
    RawSocket a = track(RawSocket.joined(server.port(), phone, phoneToken));
    RawSocket b = track(RawSocket.joined(server.port(), bobs, bobToken));
    assertThat(b.serverHello.topic()).as("the same database id").isEqualTo(a.serverHello.topic());
    assertThat(b.serverHello.siteId()).as("another user's replica").isNotEqualTo(a.serverHello.siteId());
    assertThat(b.serverRequest).isEqualTo(Cursor.START);
    b.send(new SyncMessage.Request(Cursor.START));
    assertThat(b.await(SyncMessage.Eose.class).cursor()).isEqualTo(Cursor.START);
    assertThat(b.received).noneMatch(m -> m instanceof SyncMessage.Changes);

    // A batch that claims to continue Alice's laptop's stream: the server answers with Bob's own cursor.
    b.send(new SyncMessage.Changes(laptopPushed, Cursor.since(laptopPushed.complete() + 1), List.of(), 0, List.of()));
    assertThat(b.await(SyncMessage.Request.class).cursor()).isEqualTo(Cursor.START);
    Cursor bobPushed = push(b, bobs.sealedBatch(Cursor.START, 10_000));
    // Alice's laptop's sealed batch, replayed by Bob's device: refused, its seals are by no device of Bob's.
    SyncMessage.Changes replay = laptop.sealedBatch(Cursor.START, 10_000);
    b.send(new SyncMessage.Changes(bobPushed, replay.cursor(), replay.changes(), 0, replay.seals()));
    assertThat(b.await(SyncMessage.Error.class).code()).isEqualTo("unauthorized");

    // Bob's token with a hello naming Alice's laptop: refused.
    RawSocket forged = track(RawSocket.open(server.port(), DB, bobToken));
    SyncMessage.Hello hello = forged.await(SyncMessage.Hello.class);
    forged.send(new SyncMessage.Hello(1, hello.topic(), Values.hex(laptop.db.siteId()),
        laptop.keys.deviceId().toString(), 0, List.of("changes", "live")));
    assertThat(forged.await(SyncMessage.Error.class).code()).isEqualTo("unauthorized");

    assertThat(everything(phoneToken)).isEqualTo(aliceBefore);
    assertThat(everything(bobToken)).contains("bob-row").noneMatch(v -> v.contains("alice"));
    assertThat(track(RawSocket.joined(server.port(), laptop, laptopToken)).serverRequest).isEqualTo(laptopPushed);
  }

  /**
   * A refused WebSocket upgrade says why in the JSON body every refusal has, as a plain GET would; a token of
   * the wrong kind is named as such.
   */
  @Test
  void aRefusedWebSocketUpgradeSaysWhyInJson() throws Exception {
    String[] none = upgrade("/v1/sync?database=" + DB, null);
    assertThat(none[0]).contains(" 401 ");
    assertThat(HttpTestClient.JSON.readTree(none[1]).path("error").asText()).isEqualTo("unauthorized");
    String userToken = http.post("/v1/auth/login", obj("login", "alice", "password", "correct horse"))
        .text("access_token");
    String[] user = upgrade("/v1/sync?database=" + DB, userToken);
    assertThat(user[0]).contains(" 401 ");
    assertThat(HttpTestClient.JSON.readTree(user[1]).path("error").asText()).isEqualTo("invalid_token");
    assertThat(HttpTestClient.JSON.readTree(user[1]).path("message").asText()).startsWith("this is a user's access token");
    Answer deviceTokenAsUser = http.get("/v1/account", phoneToken);
    assertThat(deviceTokenAsUser.status()).isEqualTo(401);
    assertThat(deviceTokenAsUser.text("message")).startsWith("this is a device token");
    assertThat(upgrade("/v1/sync?database=" + DB, "no-such-token")[1]).contains("unknown, expired or revoked");
    String[] noDatabase = upgrade("/v1/sync", phoneToken);
    assertThat(noDatabase[0]).contains(" 400 ");
    assertThat(HttpTestClient.JSON.readTree(noDatabase[1]).path("message").asText())
        .isEqualTo("query parameter 'database' is missing: name the database to sync");
  }

  /** A WebSocket upgrade request over a plain socket: {status line, body}. */
  private String[] upgrade(String path, String token) throws Exception {
    UpgradeAnswer a = UpgradeAnswer.send(server.port(), path, token);
    assertThat(a.body()).as("the refusal's body, after %s", a.status()).isNotEmpty();
    return new String[] {a.status(), a.body()};
  }

  @Test
  void theEventStreamOfAnotherUsersDeviceCarriesOnlyItsOwnDatabase() throws Exception {
    String alicesSite;
    try (SseLines s = SseLines.open(server.port(), events(Cursor.START), phoneToken)) {
      alicesSite = s.await(SyncMessage.Hello.class).siteId();
    }
    try (SseLines s = SseLines.open(server.port(), events(Cursor.START), bobToken)) {
      assertThat(s.status).isEqualTo(200);
      assertThat(s.await(SyncMessage.Hello.class).siteId()).isNotEqualTo(alicesSite);
      assertThat(s.await(SyncMessage.Request.class).cursor()).as("Bob's cursor").isEqualTo(Cursor.START);
      assertThat(s.await(SyncMessage.Eose.class).cursor()).isEqualTo(Cursor.START);
    }
    assertThat(post(bobs.sealedBatch(Cursor.START, 10_000), bobToken).status()).isEqualTo(200);
    assertThat(everything(bobToken)).contains("bob-row").noneMatch(v -> v.contains("alice"));
    // Resuming "after" a cursor of Alice's stream resumes in Bob's: nothing of Alice's either way.
    long aliceHead = head(phoneToken);
    assertThat(everythingAfter(Cursor.since(1), bobToken)).noneMatch(v -> v.contains("alice"));
    // Past Bob's head, the server takes the cursor for one of a lost or restored stream and sends Bob's all again.
    assertThat(everythingAfter(Cursor.since(aliceHead), bobToken)).contains("bob-row")
        .noneMatch(v -> v.contains("alice"));
    for (String accessToken : List.of(alice.access, bob.access)) {
      try (SseLines s = SseLines.open(server.port(), events(Cursor.START), accessToken)) {
        assertThat(s.status).as("an access token is no device token").isEqualTo(401);
      }
    }
    assertThat(everything(phoneToken)).isEqualTo(aliceBefore);
  }

  @Test
  void postedMessagesOfAnotherUsersDeviceMoveOnlyItsOwnCursors() throws Exception {
    assertThat(post(new SyncMessage.Ack(Cursor.since(5)), phoneToken).status()).isEqualTo(204);
    SyncMessage.Changes mine = bobs.sealedBatch(Cursor.START, 10_000);
    Answer pushed = post(mine, bobToken);
    assertThat(pushed.status()).isEqualTo(200);
    assertThat(message(pushed)).isEqualTo(new SyncMessage.Ack(mine.cursor()));
    // A batch that claims to continue Alice's laptop's stream: 409 naming Bob's own cursor.
    Answer conflict = post(new SyncMessage.Changes(laptopPushed, Cursor.since(laptopPushed.complete() + 1),
        List.of(), 0, List.of()), bobToken);
    assertThat(conflict.status()).isEqualTo(409);
    assertThat(message(conflict)).isEqualTo(new SyncMessage.Request(mine.cursor()));
    // Alice's laptop's sealed batch, replayed with Bob's token: 403, nothing stored.
    SyncMessage.Changes replay = laptop.sealedBatch(Cursor.START, 10_000);
    Answer replayed = post(new SyncMessage.Changes(mine.cursor(), replay.cursor(), replay.changes(), 0,
        replay.seals()), bobToken);
    assertThat(replayed.status()).isEqualTo(403);
    assertThat(replayed.text("error")).isEqualTo("unauthorized");
    // Bob acknowledges a position of Alice's stream past his own: refused; one of his own: his alone.
    long aliceHead = head(phoneToken);
    long bobHead = head(bobToken);
    assertThat(aliceHead).isGreaterThan(bobHead);
    assertThat(post(new SyncMessage.Ack(Cursor.since(aliceHead)), bobToken).status()).isEqualTo(400);
    assertThat(post(new SyncMessage.Ack(Cursor.since(bobHead)), bobToken).status()).isEqualTo(204);
    assertThat(post(new SyncMessage.Ack(Cursor.since(bobHead)), laptopToken).status()).isEqualTo(204);

    // Alice's phone still resumes after its own acknowledgement, and her laptop's cursor has not moved.
    try (SseLines s = SseLines.open(server.port(), "/v1/sync/events?database=" + DB, phoneToken)) {
      assertThat(s.await(SyncMessage.Changes.class).from()).isEqualTo(Cursor.since(5));
    }
    try (SseLines s = SseLines.open(server.port(), "/v1/sync/events?database=" + DB, bobToken)) {
      assertThat(s.await(SyncMessage.Eose.class).from()).isEqualTo(Cursor.since(bobHead));
    }
    assertThat(track(RawSocket.joined(server.port(), laptop, laptopToken)).serverRequest).isEqualTo(laptopPushed);
    assertThat(everything(phoneToken)).isEqualTo(aliceBefore);
    assertThat(everything(bobToken)).contains("bob-row").noneMatch(v -> v.contains("alice"));
  }

  // ---- steps

  private Login register(String name) throws Exception {
    Answer r = http.post("/v1/auth/register", obj("user_name", name, "email", name + "@example.org",
        "password", "correct horse"));
    assertThat(r.status()).as(r.raw().body()).isEqualTo(201);
    return login(name);
  }

  private Login login(String name) throws Exception {
    Answer in = http.post("/v1/auth/login", obj("login", name, "password", "correct horse"));
    assertThat(in.status()).isEqualTo(200);
    return new Login(in.text("user_id"), in.text("access_token"), in.text("refresh_token"));
  }

  private String token(UserDevice device, Login account) throws Exception {
    Answer a = device.proveTo(http, account.access, account.userId);
    assertThat(a.status()).as(a.raw().body()).isEqualTo(200);
    return a.text("device_token");
  }

  private String challenge(Login account) throws Exception {
    Answer c = http.post("/v1/devices/challenge", "", account.access);
    assertThat(c.status()).isEqualTo(200);
    return c.text("challenge");
  }

  /** A proof of {@code device}'s key for {@code account}, claiming {@code identityUser}, with {@code challenge}. */
  private Answer prove(UserDevice device, Login account, String identityUser, String challenge) throws Exception {
    byte[] signature = device.keys.sign(UserDevice.proofBytes(account.userId, identityUser, Values.unhex(challenge)));
    return http.post("/v1/devices/token", obj("device_id", device.keys.deviceId().toString(),
        "public_key", Values.hex(device.keys.publicKey()), "identity_user", identityUser,
        "challenge", challenge, "signature", Values.hex(signature)), account.access);
  }

  private RawSocket track(RawSocket s) {
    open.add(0, s);
    return s;
  }

  /** Sends a batch and waits for its ack; returns the cursor acknowledged. */
  private static Cursor push(RawSocket s, SyncMessage.Changes batch) throws Exception {
    s.send(batch);
    SyncMessage.Ack ack = s.await(SyncMessage.Ack.class);
    assertThat(ack.cursor()).isEqualTo(batch.cursor());
    return ack.cursor();
  }

  private Answer post(SyncMessage m, String deviceToken) throws Exception {
    return http.post("/v1/sync/messages?database=" + DB, new String(SyncMessage.encode(m), StandardCharsets.UTF_8),
        deviceToken);
  }

  private static SyncMessage message(Answer a) {
    return SyncMessage.decode(a.raw().body().getBytes(StandardCharsets.UTF_8));
  }

  private static String events(Cursor after) {
    return "/v1/sync/events?database=" + DB + "&last_event_id=" + after;
  }

  /** Every value of the database the token's user has on the server, in stream order (SSE, from the start). */
  private List<String> everything(String deviceToken) throws Exception {
    return everythingAfter(Cursor.START, deviceToken);
  }

  private List<String> everythingAfter(Cursor after, String deviceToken) throws Exception {
    List<String> values = new ArrayList<>();
    try (SseLines s = SseLines.open(server.port(), events(after), deviceToken)) {
      assertThat(s.status).isEqualTo(200);
      while (true) {
        SseLines.Event e = s.next(SyncMessage.class);
        if (e.message() instanceof SyncMessage.Changes c) {
          for (Change change : c.changes()) {
            values.add(change.val() instanceof byte[] b ? Values.hex(b) : String.valueOf(change.val()));
          }
        } else if (e.message() instanceof SyncMessage.Eose) {
          return values;
        }
      }
    }
  }

  /** The head of the token's user's database: the cursor of the stream's eose. */
  private long head(String deviceToken) throws Exception {
    try (SseLines s = SseLines.open(server.port(), events(Cursor.START), deviceToken)) {
      while (true) {
        SseLines.Event e = s.next(SyncMessage.class);
        if (e.message() instanceof SyncMessage.Eose eose) {
          return eose.cursor().complete();
        }
      }
    }
  }
}
