package dev.cfost.server;

import static dev.cfost.server.HttpTestClient.obj;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Change;
import dev.cfost.ChangeBatch;
import dev.cfost.Cursor;
import dev.cfost.Seal;
import dev.cfost.SealedChanges;
import dev.cfost.identity.Argon2Params;
import dev.cfost.identity.ChangeSeals;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.net.SyncMessage;
import dev.cfost.net.Topic;
import dev.cfost.Values;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's side of {@code /v1/sync}, message by message, with real devices' databases and keys: a
 * device proves its key, pushes sealed batches, and the server streams them to another device of the
 * user with the origin's seals; the device list the server follows decides who may join, and a
 * revocation cuts a live session.
 */
class SyncProtocolIT {
  @TempDir Path dir;
  final List<AutoCloseable> open = new ArrayList<>();
  CfostServer server;
  HttpTestClient http;
  String account;
  String access;
  UserDevice laptop;
  UserDevice phone;
  /** The cursor the server asked the last device connected ({@link #connect}) to send its stream from. */
  Cursor requestedOnConnect;

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
  void aBatchPushedByOneDeviceReachesAnotherWithItsOriginsSeals() throws Exception {
    String laptopToken = token(laptop);
    HttpTestClient.Answer early = phone.proveTo(http, access, account);
    assertThat(early.status()).as("the phone is not in the device list the server holds yet").isEqualTo(403);
    assertThat(early.text("error")).isEqualTo("device_not_authorized");

    laptop.sql("INSERT INTO todo VALUES ('l1', 'milk'), ('l2', 'bread')");
    laptop.db.capture();
    RawSocket l = connect(laptop, laptopToken);
    push(l, laptop, Cursor.START);

    String phoneToken = token(phone);
    RawSocket p = connect(phone, phoneToken);
    p.send(new SyncMessage.Request(Cursor.START));
    List<Change> got = new ArrayList<>();
    List<Seal> seals = new ArrayList<>();
    Cursor at = Cursor.START;
    while (true) {
      Object m = p.await(Object.class);
      if (m instanceof SyncMessage.Changes c) {
        assertThat(c.from()).isEqualTo(at);
        got.addAll(c.changes());
        seals.addAll(c.seals());
        at = c.cursor();
        p.send(new SyncMessage.Received(c.cursor()));
      } else if (m instanceof SyncMessage.Eose e) {
        assertThat(e.from()).isEqualTo(at);
        break;
      }
    }
    assertThat(got).extracting(Change::table).contains("todo", "identity_devices");
    assertThat(got.stream().filter(c -> c.table().equals("todo")).map(Change::val)).contains("milk", "bread");
    assertEverySealVerifiesAndCoversTheChanges(got, seals);

    // Live: a new row pushed by the laptop reaches the connected phone.
    laptop.sql("INSERT INTO todo VALUES ('l3', 'eggs')");
    laptop.db.capture();
    push(l, laptop, laptopPushed);
    SyncMessage.Changes live = p.await(SyncMessage.Changes.class);
    assertThat(live.from()).isEqualTo(at);
    assertThat(live.changes()).extracting(Change::val).contains("eggs");
  }

  /**
   * A device's eose that moves its stream (past what it does not send the server) is followed for the
   * session, as peers follow it: the device's next batch continues it and is stored, where it was answered
   * with a request to send the stream again from the held cursor. The eose alone saves nothing
   * (docs/SECURITY.md).
   */
  @Test
  void aDevicesEoseIsFollowedForTheSessionAndSavedOnlyWithItsNextBatch() throws Exception {
    String laptopToken = token(laptop);
    laptop.sql("INSERT INTO todo VALUES ('l1', 'milk')");
    laptop.db.capture();
    RawSocket l = connect(laptop, laptopToken);
    push(l, laptop, Cursor.START);
    Cursor pushed = laptopPushed;
    Cursor moved = Cursor.since(pushed.db() + 100);
    l.send(new SyncMessage.Eose(pushed, moved));
    l.send(new SyncMessage.Ping(7));
    assertThat(l.await(SyncMessage.Pong.class).id()).as("handled in order, after the eose").isEqualTo(7);
    l.close();
    RawSocket again = connect(laptop, laptopToken);
    assertThat(requestedOnConnect).as("the cursor held after an eose alone").isEqualTo(pushed);

    again.send(new SyncMessage.Eose(pushed, moved));
    Cursor to = Cursor.since(moved.db() + 1);
    again.send(new SyncMessage.Changes(moved, to, List.of(), 0, List.of()));
    Object answer;
    do {
      answer = again.await(Object.class);
    } while (!(answer instanceof SyncMessage.Ack) && !(answer instanceof SyncMessage.Request));
    assertThat(answer).as("the answer to the batch after the eose").isEqualTo(new SyncMessage.Ack(to));
    again.close();
    connect(laptop, laptopToken);
    assertThat(requestedOnConnect).as("the cursor held after the batch").isEqualTo(to);
  }

  /**
   * A user holds at most sessions.per.user sessions in a process: the next is refused 503, the others go on;
   * a device's reconnect replaces its own session, also at the bound.
   */
  @Test
  void aUserBeyondItsSessionsPerProcessIsToldBusyWhileItsSessionsGoOn() throws Exception {
    server.close();
    server = CfostServer.start(ServerConfig.builder().listen("127.0.0.1:0").dataDir(dir.resolve("server"))
        .argon2(new Argon2Params(256, 1, 1)).sessionsPerUser(2).build());
    http = new HttpTestClient(server.port());
    access = http.post("/v1/auth/login", obj("login", "alice", "password", "correct horse")).text("access_token");
    String laptopToken = token(laptop);
    laptop.sql("INSERT INTO todo VALUES ('l1', 'milk')");
    laptop.db.capture();
    RawSocket l = connect(laptop, laptopToken);
    push(l, laptop, Cursor.START);
    RawSocket p = connect(phone, token(phone));

    java.util.concurrent.ExecutionException refused = org.assertj.core.api.Assertions.catchThrowableOfType(
        () -> RawSocket.open(server.port(), "notes", laptopToken), java.util.concurrent.ExecutionException.class);
    assertThat(refused).as("a third session of the user").isNotNull();
    java.net.http.HttpResponse<?> answer = ((java.net.http.WebSocketHandshakeException) refused.getCause()).getResponse();
    assertThat(answer.statusCode()).isEqualTo(503);
    assertThat(answer.headers().firstValue("Retry-After")).hasValue("30");

    p.send(new SyncMessage.Request(Cursor.START));
    SyncMessage.Changes got = p.await(SyncMessage.Changes.class);
    assertThat(got.changes()).extracting(Change::val).contains("milk");

    // A reconnect of a device whose old session the server has not seen go adds no session: it opens at the
    // bound too, and replaces the old one.
    RawSocket again = RawSocket.joined(server.port(), laptop, laptopToken);
    open.add(0, again);
    assertThat(l.await(SyncMessage.Error.class).code()).isEqualTo("duplicate_session");

    again.close(); // once the server has seen it go, the user may open another
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    RawSocket notes = null;
    while (notes == null) {
      try {
        notes = RawSocket.open(server.port(), "notes", laptopToken);
      } catch (java.util.concurrent.ExecutionException e) {
        assertThat(System.nanoTime()).as("a session after one closed: %s", e.getCause()).isLessThan(deadline);
        Thread.sleep(50);
      }
    }
    open.add(0, notes);
    assertThat(notes.await(SyncMessage.Hello.class).deviceId()).isEqualTo("server");
  }

  /** The sessions of a database share the read of a live commit (SyncService.page): each still gets it once. */
  @Test
  void aLiveCommitReachesEverySessionOfTheDatabaseOnceAndContinuesItsOwnStream() throws Exception {
    String laptopToken = token(laptop);
    List<UserDevice> phones = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      UserDevice d = UserDevice.create(dir, "phone" + i); // one session per device: a second one replaces the first
      open.add(d);
      laptop.authorize(d);
      phones.add(d);
    }
    laptop.sql("INSERT INTO todo VALUES ('l1', 'milk')");
    laptop.db.capture();
    RawSocket l = connect(laptop, laptopToken);
    push(l, laptop, Cursor.START);
    List<RawSocket> sessions = new ArrayList<>();
    List<Cursor> caughtUp = new ArrayList<>();
    for (UserDevice d : phones) {
      RawSocket p = connect(d, token(d));
      p.send(new SyncMessage.Request(Cursor.START));
      sessions.add(p);
      caughtUp.add(p.await(SyncMessage.Eose.class).cursor());
    }
    for (int round = 0; round < 3; round++) {
      laptop.sql("INSERT INTO todo VALUES ('live" + round + "', 'eggs" + round + "')");
      laptop.db.capture();
      push(l, laptop, laptopPushed);
      for (int i = 0; i < sessions.size(); i++) {
        RawSocket p = sessions.get(i);
        // The very next message: a live batch is followed by no eose (the batch's cursor is the session's).
        Object next = p.await(Object.class);
        assertThat(next).as("session %d, round %d", i, round).isInstanceOf(SyncMessage.Changes.class);
        SyncMessage.Changes live = (SyncMessage.Changes) next;
        assertThat(live.from()).isEqualTo(caughtUp.get(i));
        assertThat(live.remaining()).isZero();
        assertThat(live.changes()).extracting(Change::val).contains("eggs" + round).doesNotContain("milk");
        p.send(new SyncMessage.Received(live.cursor()));
        caughtUp.set(i, live.cursor());
      }
    }
    // A commit of one of the devices: its own session has nothing to send and moves its cursor by an eose,
    // the others get the same batch, each continuing its own cursor; then all go on from there.
    UserDevice own = phones.get(0);
    own.sql("INSERT INTO todo VALUES ('p0', 'from phone0')");
    own.db.capture();
    ChangeBatch ownBatch = own.db.changes(Cursor.START, 10_000);
    SealedChanges ownSealed = ChangeSeals.open(own.db, own.keys, own.identityUser).seal(ownBatch.changes());
    sessions.get(0).send(new SyncMessage.Changes(Cursor.START, ownBatch.next(), ownSealed.changes(), 0,
        ownSealed.seals()));
    // The server's received and ack (sent after the merge returns) and the eose (sent by the pump the commit
    // woke) race: the eose may come first, and it must come, with no changes between.
    boolean acked = false;
    boolean eose = false;
    while (!acked || !eose) {
      Object m = sessions.get(0).await(Object.class);
      if (m instanceof SyncMessage.Ack a) {
        assertThat(a.cursor()).isEqualTo(ownBatch.next());
        acked = true;
      } else if (m instanceof SyncMessage.Eose e) {
        assertThat(eose).as("one eose").isFalse();
        assertThat(e.from()).isEqualTo(caughtUp.get(0));
        caughtUp.set(0, e.cursor());
        eose = true;
      } else {
        assertThat(m).as("the committing device's session").isInstanceOf(SyncMessage.Received.class);
      }
    }
    for (int i = 1; i < sessions.size(); i++) {
      Object next = sessions.get(i).await(Object.class);
      assertThat(next).as("session %d", i).isInstanceOf(SyncMessage.Changes.class);
      SyncMessage.Changes c = (SyncMessage.Changes) next;
      assertThat(c.from()).isEqualTo(caughtUp.get(i));
      assertThat(c.changes()).extracting(Change::val).contains("from phone0");
      sessions.get(i).send(new SyncMessage.Received(c.cursor()));
      caughtUp.set(i, c.cursor());
    }
    assertThat(caughtUp).as("every session at the same head").containsOnly(caughtUp.get(0));
    laptop.sql("INSERT INTO todo VALUES ('last', 'butter')");
    laptop.db.capture();
    push(l, laptop, laptopPushed);
    for (int i = 0; i < sessions.size(); i++) {
      Object next = sessions.get(i).await(Object.class);
      assertThat(next).as("session %d after the device's commit", i).isInstanceOf(SyncMessage.Changes.class);
      assertThat(((SyncMessage.Changes) next).from()).isEqualTo(caughtUp.get(i));
      assertThat(((SyncMessage.Changes) next).changes()).extracting(Change::val).contains("butter");
    }
    for (RawSocket p : sessions) {
      assertThat(p.received).noneMatch(m -> m instanceof SyncMessage.Changes);
    }
  }

  @Test
  void aRevocationThatReachesTheServerCutsTheDeviceOffAtOnce() throws Exception {
    String laptopToken = token(laptop);
    RawSocket l = connect(laptop, laptopToken);
    push(l, laptop, Cursor.START);
    String phoneToken = token(phone);
    RawSocket p = connect(phone, phoneToken);

    Devices.open(laptop.db).revoke(phone.keys.deviceId());
    laptop.db.capture();
    push(l, laptop, laptopPushed);

    String closed = p.await(String.class);
    assertThat(closed).contains("unauthorized");
    assertThat(phone.proveTo(http, access, account).text("error")).isEqualTo("device_not_authorized");
    HttpTestClient.Answer refused = http.get("/v1/sync/events?database=default", phoneToken);
    assertThat(refused.status()).isEqualTo(403);
  }

  /**
   * After a revocation the server relays as devices do: nothing the revoked device sealed, so a device
   * that knows of the revocation is not sent a batch it must refuse (and would be sent again forever).
   */
  @Test
  void whatARevokedDeviceSealedIsNotRelayedAfterItsRevocation() throws Exception {
    UserDevice tablet = UserDevice.create(dir, "tablet");
    open.add(tablet);
    laptop.authorize(tablet);
    String laptopToken = token(laptop);
    RawSocket l = connect(laptop, laptopToken);
    push(l, laptop, Cursor.START);
    RawSocket p = connect(phone, token(phone));
    phone.sql("INSERT INTO todo VALUES ('p1', 'from the phone')");
    phone.db.capture();
    SyncMessage.Changes fromPhone = phone.sealedBatch(Cursor.START);
    assertThat(fromPhone.changes()).extracting(Change::val).contains("from the phone");
    p.send(fromPhone);
    p.await(SyncMessage.Ack.class);

    RawSocket t = revokeThePhoneThenAskFromTheStart(l, tablet);
    List<Change> got = new ArrayList<>();
    while (true) {
      Object m = t.await(Object.class);
      if (m instanceof SyncMessage.Changes c) {
        got.addAll(c.changes());
        assertThat(c.seals()).extracting(Seal::deviceId).doesNotContain(phone.keys.deviceId().toString());
        t.send(new SyncMessage.Received(c.cursor()));
      } else if (m instanceof SyncMessage.Eose) {
        break;
      }
    }
    assertThat(got).extracting(Change::val).doesNotContain("from the phone");
    assertThat(got).extracting(Change::table).contains("identity_revocations");
  }

  /**
   * A change two seals cover (its device's and another device's, first in the batch, which the store keeps
   * with the cell) is still relayed once that other device is revoked: its own device's seal, in the same
   * page, still proves it, as it did before the server relayed by the stored seal alone.
   */
  @Test
  void aChangeAlsoSealedByADeviceRevokedLaterIsRelayedWithItsOwnDevicesSeal() throws Exception {
    UserDevice tablet = aTabletAuthorizedByTheLaptop();
    RawSocket l = theLaptopsSessionAfterItsFirstPush();
    laptop.sql("INSERT INTO todo VALUES ('l1', 'also sealed by the phone'), ('l2', 'sealed by the laptop')");
    laptop.db.capture();
    ChangeBatch batch = laptop.db.changes(laptopPushed, 10_000);
    SealedChanges sealed = ChangeSeals.open(laptop.db, laptop.keys, laptop.identityUser).seal(batch.changes());
    List<Change> l1 = sealed.changes().stream().filter(c -> "also sealed by the phone".equals(c.val())).toList();
    assertThat(l1).hasSize(1);
    List<Seal> seals = new ArrayList<>(List.of(sealBy(phone, l1)));
    seals.addAll(sealed.seals());
    sendAsTheLaptop(l, batch.next(), sealed.changes(), seals);

    RawSocket t = revokeThePhoneThenAskFromTheStart(l, tablet);
    List<Change> got = untilEoseEachLaptopChangeWithTheLaptopsSeal(t);
    assertThat(got).extracting(Change::val).contains("sealed by the laptop", "also sealed by the phone");
  }

  /**
   * A change of the laptop's site that the tablet sealed first and the laptop also sealed, with the laptop's
   * seal kept by the store only for a change of the phone's site: once the phone is revoked that change is
   * left out, and the laptop's change must still go with the laptop's seal (devices refuse it otherwise).
   */
  @Test
  void aChangeWhoseOwnDevicesSealTheStoreKeptForAnotherChangeStillGoesWithIt() throws Exception {
    UserDevice tablet = aTabletAuthorizedByTheLaptop();
    RawSocket l = theLaptopsSessionAfterItsFirstPush();
    phone.sql("INSERT INTO todo VALUES ('p1', 'from the phone')");
    phone.db.capture();
    List<Change> fromPhone = phone.db.changes(Cursor.START, 10_000).changes().stream()
        .filter(c -> c.table().equals("todo")).toList();
    laptop.sql("INSERT INTO todo VALUES ('l1', 'the tablet sealed it first')");
    laptop.db.capture();
    ChangeBatch batch = laptop.db.changes(laptopPushed, 10_000);
    List<Change> fromLaptop = batch.changes();
    List<Change> both = new ArrayList<>(fromLaptop);
    both.addAll(fromPhone);
    List<Seal> seals = List.of(sealBy(tablet, fromLaptop), sealBy(laptop, both), sealBy(phone, fromPhone));
    sendAsTheLaptop(l, batch.next(), both, seals);

    RawSocket t = revokeThePhoneThenAskFromTheStart(l, tablet);
    List<Change> got = untilEoseEachLaptopChangeWithTheLaptopsSeal(t);
    assertThat(got).extracting(Change::val).contains("the tablet sealed it first").doesNotContain("from the phone");
  }

  /**
   * A seal by a device the server knows nowhere yet (its row comes later in the sender's stream, as after
   * a rename) is kept unchecked, not refused: refusing it would stop the sender for good, since it resends
   * in the same order. The devices check it once they know the device.
   */
  @Test
  void aSealByADeviceNotKnownYetIsStoredAndForwardedNotRefused() throws Exception {
    String laptopToken = token(laptop);
    RawSocket l = connect(laptop, laptopToken);
    push(l, laptop, Cursor.START);
    UserDevice watch = UserDevice.create(dir, "watch");
    open.add(watch);
    watch.identityUser = laptop.identityUser;
    watch.sql("INSERT INTO todo VALUES ('w1', 'from the watch')");
    watch.db.capture();
    SyncMessage.Changes relayed = watch.sealedBatch(Cursor.START);
    Cursor to = Cursor.since(laptopPushed.complete() + 1);
    l.send(new SyncMessage.Changes(laptopPushed, to, relayed.changes(), 0, relayed.seals()));
    assertThat(l.await(SyncMessage.Ack.class).cursor()).isEqualTo(to);

    RawSocket p = connect(phone, token(phone));
    p.send(new SyncMessage.Request(Cursor.START));
    List<Seal> seals = new ArrayList<>();
    List<Change> got = new ArrayList<>();
    while (true) {
      Object m = p.await(Object.class);
      if (m instanceof SyncMessage.Changes c) {
        got.addAll(c.changes());
        seals.addAll(c.seals());
        p.send(new SyncMessage.Received(c.cursor()));
      } else if (m instanceof SyncMessage.Eose) {
        break;
      }
    }
    assertThat(got).extracting(Change::val).contains("from the watch");
    assertThat(seals).extracting(Seal::deviceId).contains(watch.keys.deviceId().toString());
  }

  @Test
  void anotherUsersDeviceGetsNothingAndABatchSealedByAStrangerIsRefused() throws Exception {
    String laptopToken = token(laptop);
    laptop.sql("INSERT INTO todo VALUES ('l1', 'secret')");
    laptop.db.capture();
    push(connect(laptop, laptopToken), laptop, Cursor.START);

    http.post("/v1/auth/register", obj("user_name", "bob", "email", "bob@example.org", "password", "correct horse"));
    HttpTestClient.Answer bobIn = http.post("/v1/auth/login", obj("login", "bob", "password", "correct horse"));
    UserDevice bobs = UserDevice.create(dir, "bob").asFirstDeviceOfANewUser("bob");
    open.add(bobs);
    String bobToken = bobs.proveTo(http, bobIn.text("access_token"), bobIn.text("user_id")).text("device_token");
    RawSocket b = connect(bobs, bobToken);
    b.send(new SyncMessage.Request(Cursor.START));
    SyncMessage.Eose eose = b.await(SyncMessage.Eose.class);
    assertThat(eose.cursor()).isEqualTo(Cursor.START);
    assertThat(b.received).noneMatch(m -> m instanceof SyncMessage.Changes);

    // Bob's key in Alice's account is refused, and so is a batch Bob's device sealed sent as Alice's laptop.
    assertThat(bobs.proveTo(http, access, account).status()).isEqualTo(403);
    RawSocket l = connect(laptop, laptopToken);
    bobs.sql("INSERT INTO todo VALUES ('b1', 'forged')");
    bobs.db.capture();
    ChangeBatch batch = bobs.db.changes(Cursor.START, 10_000);
    List<Change> todo = batch.changes().stream().filter(c -> c.table().equals("todo")).toList();
    SealedChanges sealed = ChangeSeals.open(bobs.db, bobs.keys, bobs.identityUser).seal(todo);
    l.send(new SyncMessage.Changes(laptopPushed, Cursor.since(laptopPushed.complete() + 1000), sealed.changes(), 0,
        sealed.seals()));
    SyncMessage.Error refused = l.await(SyncMessage.Error.class);
    assertThat(refused.code()).isEqualTo("unauthorized");
  }

  @Test
  void deviceProofsAreCheckedAndTheSyncEndpointsNeedADeviceToken() throws Exception {
    HttpTestClient.Answer noBearer = http.post("/v1/devices/challenge", "", null);
    assertThat(noBearer.status()).isEqualTo(401);
    String challenge = http.post("/v1/devices/challenge", "", access).text("challenge");
    byte[] wrong = laptop.keys.sign(UserDevice.proofBytes(account, laptop.identityUser, new byte[32]));
    HttpTestClient.Answer forged = http.post("/v1/devices/token", obj("device_id", laptop.keys.deviceId().toString(),
        "public_key", Values.hex(laptop.keys.publicKey()), "identity_user", laptop.identityUser,
        "challenge", challenge, "signature", Values.hex(wrong)), access);
    assertThat(forged.status()).isEqualTo(401);
    assertThat(forged.text("error")).isEqualTo("invalid_proof");

    assertThat(http.get("/v1/sync/events?database=default", access).status())
        .as("an access token is not a device token").isEqualTo(401);
    String token = token(laptop);
    assertThat(http.get("/v1/account", token).status()).as("a device token is not an access token").isEqualTo(401);
    assertThat(http.post("/v1/sync/messages?database=default", "{\"type\":\"ping\",\"id\":1}", null).status())
        .isEqualTo(401);
    HttpTestClient.Answer plain = http.get("/v1/sync?database=default", token);
    assertThat(plain.status()).as("/v1/sync without the upgrade").isEqualTo(426);
    assertThat(plain.text("error")).isEqualTo("upgrade_required");
    assertThat(http.get("/v1/sync?database=default", "made-up").status()).isEqualTo(401);
  }

  // ---- steps

  private Cursor laptopPushed = Cursor.START;

  private String token(UserDevice device) throws Exception {
    HttpTestClient.Answer a = device.proveTo(http, access, account);
    assertThat(a.status()).as(a.raw().body()).isEqualTo(200);
    return a.text("device_token");
  }

  private RawSocket connect(UserDevice device, String token) throws Exception {
    RawSocket s = RawSocket.open(server.port(), device.db.databaseId(), token);
    open.add(0, s);
    SyncMessage.Hello hello = s.await(SyncMessage.Hello.class);
    assertThat(hello.topic()).isEqualTo(Topic.of(device.db.databaseId()).hex());
    assertThat(hello.deviceId()).isEqualTo("server");
    s.send(new SyncMessage.Hello(1, hello.topic(), Values.hex(device.db.siteId()), device.keys.deviceId().toString(),
        0, List.of("changes", "live")));
    requestedOnConnect = s.await(SyncMessage.Request.class).cursor();
    return s;
  }

  /**
   * The changes {@code reader} is sent up to {@code eose}, checking that each change of the laptop's site
   * comes with a seal by the laptop in its batch (else a device refuses the batch: site_mismatch).
   */
  private List<Change> untilEoseEachLaptopChangeWithTheLaptopsSeal(RawSocket reader) throws Exception {
    List<Change> got = new ArrayList<>();
    String laptopId = laptop.keys.deviceId().toString();
    while (true) {
      Object m = reader.await(Object.class);
      if (m instanceof SyncMessage.Changes c) {
        Set<ByteBuffer> byLaptop = new HashSet<>();
        c.seals().stream().filter(s -> s.deviceId().equals(laptopId))
            .forEach(s -> s.digests().forEach(d -> byLaptop.add(ByteBuffer.wrap(d))));
        for (Change ch : c.changes()) {
          if (Values.hex(ch.siteId()).equals(Values.hex(laptop.db.siteId()))) {
            assertThat(byLaptop).as("the laptop's seal of %s in its batch", ch)
                .contains(ByteBuffer.wrap(ChangeSeals.digest(ch)));
          }
        }
        got.addAll(c.changes());
        reader.send(new SyncMessage.Received(c.cursor()));
      } else if (m instanceof SyncMessage.Eose) {
        return got;
      }
    }
  }

  /** A seal by {@code device} over {@code changes}, as that device signs. */
  private Seal sealBy(UserDevice device, List<Change> changes) {
    List<byte[]> digests = changes.stream().map(ChangeSeals::digest).toList();
    return new Seal(device.keys.deviceId().toString(),
        device.keys.sign(ChangeSeals.signedBytes(laptop.db.databaseId(), digests)), digests);
  }

  private RawSocket theLaptopsSessionAfterItsFirstPush() throws Exception {
    RawSocket l = connect(laptop, token(laptop));
    push(l, laptop, Cursor.START);
    return l;
  }

  private UserDevice aTabletAuthorizedByTheLaptop() {
    UserDevice tablet = UserDevice.create(dir, "tablet");
    open.add(tablet);
    laptop.authorize(tablet);
    return tablet;
  }

  /** Sends {@code changes} with {@code seals} on the laptop's session, up to {@code to}, and waits for the ack. */
  private void sendAsTheLaptop(RawSocket s, Cursor to, List<Change> changes, List<Seal> seals) throws Exception {
    s.send(new SyncMessage.Changes(laptopPushed, to, changes, 0, seals));
    assertThat(s.await(SyncMessage.Ack.class).cursor()).isEqualTo(to);
    laptopPushed = to;
  }

  /** The laptop revokes the phone and pushes that; then {@code reader} asks for the whole stream. */
  private RawSocket revokeThePhoneThenAskFromTheStart(RawSocket laptopSocket, UserDevice reader) throws Exception {
    Devices.open(laptop.db).revoke(phone.keys.deviceId());
    laptop.db.capture();
    push(laptopSocket, laptop, laptopPushed);
    RawSocket r = connect(reader, token(reader));
    r.send(new SyncMessage.Request(Cursor.START));
    return r;
  }

  /** Sends the device's changes after {@code from}, sealed, and waits for the server's ack. */
  private void push(RawSocket s, UserDevice device, Cursor from) throws Exception {
    ChangeBatch batch = device.db.changes(from, 10_000);
    SealedChanges sealed = ChangeSeals.open(device.db, device.keys, device.identityUser).seal(batch.changes());
    s.send(new SyncMessage.Changes(from, batch.next(), sealed.changes(), 0, sealed.seals()));
    SyncMessage.Ack ack = s.await(SyncMessage.Ack.class);
    assertThat(ack.cursor()).isEqualTo(batch.next());
    laptopPushed = batch.next();
  }

  private void assertEverySealVerifiesAndCoversTheChanges(List<Change> changes, List<Seal> seals) {
    Set<ByteBuffer> covered = new HashSet<>();
    for (Seal s : seals) {
      assertThat(s.deviceId()).isEqualTo(laptop.keys.deviceId().toString());
      assertThat(DeviceKeys.verify(laptop.keys.publicKey(), ChangeSeals.signedBytes(laptop.db.databaseId(),
          s.digests()), s.signature())).isTrue();
      s.digests().forEach(d -> covered.add(ByteBuffer.wrap(d)));
    }
    for (Change c : changes) {
      assertThat(covered).as("the digest of %s", c).contains(ByteBuffer.wrap(ChangeSeals.digest(c)));
    }
  }
}
