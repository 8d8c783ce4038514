package dev.cfost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import dev.cfost.Documents;
import dev.cfost.identity.Argon2Params;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.identity.ServerClient;
import dev.cfost.identity.ServerException;
import dev.cfost.identity.SyncTrust;
import dev.cfost.identity.Users;
import dev.cfost.net.Peer;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.PeerListener;
import dev.cfost.net.PeerOptions;
import dev.cfost.net.Transports;
import dev.cfost.server.CfostServer;
import dev.cfost.server.ServerConfig;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Devices of one user sync through the real sync server (cfost-server, in this process) with the public
 * client API only: {@link ServerClient} logs in and proves each device's key, {@link SyncTrust#applyToServer}
 * wires the checks, and a second {@link Peer} on each database keeps the LAN sync going beside the server's.
 */
class ServerSyncIT {
  @TempDir Path dir;
  final List<AutoCloseable> open = new ArrayList<>();
  CfostServer server;
  URI url;
  Cfost laptop;
  Cfost phone;
  DeviceKeys laptopKeys;
  DeviceKeys phoneKeys;
  String alice;

  @BeforeEach
  void aServerAnAccountAndAUserWithALaptopAndAPairedPhone() throws Exception {
    server = CfostServer.start(ServerConfig.builder().listen("127.0.0.1:0").dataDir(dir.resolve("server"))
        .argon2(new Argon2Params(256, 1, 1)).build());
    url = URI.create("http://127.0.0.1:" + server.port());
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(url.resolve("/v1/auth/register"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"user_name\":\"alice\",\"email\":\"alice@example.org\","
            + "\"password\":\"correct horse\"}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    laptop = replica("laptop.db");
    phone = replica("phone.db");
    alice = Users.open(laptop, new Argon2Params(1024, 1, 1))
        .register("alice", "alice@example.org", "correct horse".toCharArray());
    laptopKeys = DeviceKeys.forDatabase(laptop);
    phoneKeys = DeviceKeys.forDatabase(phone);
    Devices devices = Devices.open(laptop);
    devices.add(alice, laptopKeys.publicKey(), "laptop", null);
    devices.bindSite(laptopKeys.deviceId(), laptop.siteId());
    devices.add(alice, phoneKeys.publicKey(), "phone", laptopKeys.deviceId()); // as pairing records it
    devices.bindSite(phoneKeys.deviceId(), phone.siteId());
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable x : open) {
      x.close();
    }
    server.close();
  }

  private ServerClient client(Cfost db) {
    return ServerClient.builder(url).tokenFile(ServerClient.tokenFileOf(db.path())).build();
  }

  @Test
  void devicesSyncThroughTheServerBesideTheLanAndARevokedOneIsCutOff() throws Exception {
    ServerClient laptopServer = client(laptop);
    laptopServer.login("alice", "correct horse".toCharArray());
    laptopServer.deviceToken(laptopKeys, alice); // the first device binds the account to alice
    ServerClient phoneServer = client(phone);
    phoneServer.login("alice", "correct horse".toCharArray());
    assertThatThrownBy(() -> phoneServer.deviceToken(phoneKeys, alice))
        .as("the server has not got the device list that names the phone yet")
        .isInstanceOf(ServerException.class).hasMessageContaining("Pair this device")
        .extracting(e -> ((ServerException) e).code()).isEqualTo("device_not_authorized");

    sql(laptop, "INSERT INTO todo VALUES ('l1', 'milk')");
    sql(phone, "INSERT INTO todo VALUES ('p1', 'bread')");
    BlockingQueue<String> laptopEvents = new LinkedBlockingQueue<>();
    BlockingQueue<String> phoneEvents = new LinkedBlockingQueue<>();
    Peer laptopViaServer = serverPeer(laptop, SyncTrust.forUser(laptop, alice), laptopServer, laptopEvents);
    SyncTrust phoneTrust = SyncTrust.forUser(phone, phoneKeys, alice, laptopKeys.deviceId());
    PeerAddress atLaptop = lanPeer(laptop, SyncTrust.forUser(laptop, alice), null);
    lanPeer(phone, phoneTrust, atLaptop);
    Peer phoneViaServer = serverPeer(phone, phoneTrust, phoneServer, phoneEvents);
    await("both rows on both devices, the LAN and the server syncing at once",
        () -> dump(laptop).equals(List.of("l1|milk", "p1|bread")) && dump(phone).equals(dump(laptop)));
    await("the phone is connected to the server (its device list reached the server from the laptop)",
        () -> phoneEvents.stream().anyMatch(e -> e.startsWith("connect")));

    for (int i = open.size() - 1; i >= 0; i--) { // the LAN goes away: only the server is left
      if (open.get(i) instanceof Peer p && p != laptopViaServer && p != phoneViaServer) {
        p.close();
      }
    }
    sql(laptop, "INSERT INTO todo VALUES ('l2', 'eggs')");
    sql(phone, "UPDATE todo SET title = 'oat milk' WHERE id = 'l1'");
    await("each edit reaches the other device through the server, verified against its origin's seal",
        () -> dump(phone).contains("l2|eggs") && dump(laptop).contains("l1|oat milk"));

    Devices.open(laptop).revoke(phoneKeys.deviceId());
    await("the server cuts the revoked phone off once the revocation reaches it",
        () -> phoneEvents.stream().anyMatch(e -> e.startsWith("disconnect") && e.contains("unauthorized")));
    sql(laptop, "INSERT INTO todo VALUES ('l3', 'secret')");
    Thread.sleep(1_000);
    assertThat(dump(phone)).doesNotContain("l3|secret");
  }

  @Test
  void overTlsTheDeviceTrustsOnlyTheCertificateItIsGiven() throws Exception {
    Path p12 = dir.resolve("server.p12");
    Path pem = dir.resolve("server.pem");
    keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
        "-dname", "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1", "-storetype", "PKCS12", "-keystore", p12.toString(),
        "-storepass", "changeit-tls", "-keypass", "changeit-tls");
    keytool("-exportcert", "-rfc", "-alias", "server", "-keystore", p12.toString(), "-storepass", "changeit-tls",
        "-file", pem.toString());
    try (CfostServer tls = CfostServer.start(ServerConfig.builder().listen("127.0.0.1:0").dataDir(dir.resolve("tls"))
        .tls(p12, "changeit-tls").argon2(new Argon2Params(256, 1, 1)).build())) {
      URI https = URI.create("https://127.0.0.1:" + tls.port());
      HttpResponse<String> r = HttpClient.newBuilder().sslContext(dev.cfost.net.WebSocketOptions.trusting(pem)).build()
          .send(HttpRequest.newBuilder(https.resolve("/v1/auth/register")).POST(HttpRequest.BodyPublishers.ofString(
              "{\"user_name\":\"alice\",\"email\":\"alice@example.org\",\"password\":\"correct horse\"}")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);

      assertThatThrownBy(() -> ServerClient.builder(https).build().login("alice", "correct horse".toCharArray()))
          .as("the JDK's trust store does not know a self-signed certificate")
          .isInstanceOf(ServerException.class).hasMessageContaining("TLS failed").hasMessageContaining("trust it");

      ServerClient client = ServerClient.builder(https).trust(pem).tokenFile(ServerClient.tokenFileOf(laptop.path()))
          .build();
      client.login("alice", "correct horse".toCharArray());
      sql(laptop, "INSERT INTO todo VALUES ('l1', 'over wss')");
      Peer peer = serverPeer(laptop, SyncTrust.forUser(laptop, alice), client, new LinkedBlockingQueue<>());
      await("the server over wss took everything the laptop had",
          () -> peer.progress().stream().anyMatch(p -> p.caughtUp() && p.delivered() && p.changesSent() > 0));
    }
  }

  private static void keytool(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(out).isZero();
  }

  /**
   * The phone was paired by code and never meets the laptop on a LAN: it learns the device list from the
   * laptop's sealed rows as the server relays them, checked against the key of the device that paired it.
   */
  @Test
  void aPairedDeviceThatNeverMeetsItsPairerSyncsThroughTheServerAlone() throws Exception {
    ServerClient laptopServer = client(laptop);
    laptopServer.login("alice", "correct horse".toCharArray());
    // The laptop binds the account to alice first (the next test has the phone come first).
    laptopServer.deviceToken(laptopKeys, alice);
    sql(laptop, "INSERT INTO todo VALUES ('l1', 'milk')");
    sql(phone, "INSERT INTO todo VALUES ('p1', 'bread')");
    BlockingQueue<String> laptopEvents = new LinkedBlockingQueue<>();
    BlockingQueue<String> phoneEvents = new LinkedBlockingQueue<>();
    serverPeer(laptop, SyncTrust.forUser(laptop, alice), laptopServer, laptopEvents);
    ServerClient phoneServer = client(phone);
    phoneServer.login("alice", "correct horse".toCharArray());
    awaitPhoneToken(phoneServer);
    assertThat(Devices.open(phone).list(alice)).as("the phone knows no device of alice's yet").isEmpty();

    serverPeer(phone, SyncTrust.forUser(phone, phoneKeys, alice, laptopKeys.deviceId()), phoneServer, phoneEvents);

    await("both rows on both devices through the server alone",
        () -> dump(laptop).equals(List.of("l1|milk", "p1|bread")) && dump(phone).equals(dump(laptop)));
    assertThat(Devices.open(phone).isAuthorized(phoneKeys.deviceId(), alice)).isTrue();
    assertThat(phoneEvents).noneMatch(e -> e.startsWith("error"));
  }

  /**
   * What a device received from the server is not sent back to it, in the session that received it or in a
   * later one: a device that pulled a database and reconnected used to push all of it back.
   */
  @Test
  void aDeviceSendsTheServerNothingBackOfWhatItReceivedFromIt() throws Exception {
    long[] sent = pullThenReconnect(200, 0);
    assertThat(sent[0]).as("changes the phone sent in the session that received the rows").isZero();
    assertThat(sent[1]).as("changes the phone sent after reconnecting").isZero();
  }

  /**
   * The same over many merge transactions (300 changes each): the sender tells the server of its own merges
   * while later ones are under way. A batch checked before the device list that names its signer was merged
   * is held and merged later, not as this session's own merge: those changes go back once, in that session.
   */
  @Test
  void aDeviceSendsTheServerNothingBackOfAPullInManyTransactionsAfterReconnecting() throws Exception {
    long[] sent = pullThenReconnect(3_000, 300);
    assertThat(sent[0]).as("changes the phone sent in the session that received the rows").isLessThan(3_000);
    assertThat(sent[1]).as("changes the phone sent after reconnecting").isZero();
  }

  /**
   * The laptop pushes {@code rows} rows; the phone pulls them, then reconnects: the changes the phone sent in
   * each of its two sessions.
   */
  private long[] pullThenReconnect(int rows, int changesPerTransaction) throws Exception {
    ServerClient laptopServer = client(laptop);
    laptopServer.login("alice", "correct horse".toCharArray());
    laptopServer.deviceToken(laptopKeys, alice);
    sql(laptop, "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < " + (rows - 1) + ")"
        + " INSERT INTO todo SELECT 'l' || i, 'milk' FROM n");
    Peer pushing = serverPeer(laptop, SyncTrust.forUser(laptop, alice), laptopServer, new LinkedBlockingQueue<>());
    await("the laptop's rows on the server", () -> delivered(pushing));
    ServerClient phoneServer = client(phone);
    phoneServer.login("alice", "correct horse".toCharArray());
    awaitPhoneToken(phoneServer);
    SyncTrust phoneTrust = SyncTrust.forUser(phone, phoneKeys, alice, laptopKeys.deviceId());
    UnaryOperator<PeerOptions.Builder> transactions = changesPerTransaction == 0 ? b -> b
        : b -> b.catchUpTransaction(5_000, changesPerTransaction);
    Peer first = serverPeer(phone, phoneTrust, phoneServer, new LinkedBlockingQueue<>(), transactions);
    await("the phone holds the laptop's rows", () -> dump(phone).size() == rows);
    await("the phone's first session delivered", () -> delivered(first));
    long sentFirst = first.progress().get(0).changesSent();
    first.close();
    open.remove(first);

    Peer again = serverPeer(phone, phoneTrust, phoneServer, new LinkedBlockingQueue<>(), transactions);
    await("the phone's second session delivered", () -> delivered(again));
    return new long[] {sentFirst, again.progress().get(0).changesSent()};
  }

  private static boolean delivered(Peer peer) {
    List<dev.cfost.net.SyncProgress> p = peer.progress();
    return p.size() == 1 && p.get(0).connected() && p.get(0).caughtUp() && p.get(0).delivered();
  }

  /**
   * Documents are rows of a replicated table: a run of revisions (one row for an {@code updateEach}, a
   * deflated BLOB) crosses the server like any cell, and both devices hold the same history.
   */
  @Test
  void documentsAndTheirRunsOfRevisionsSyncThroughTheServer() throws Exception {
    ServerClient laptopServer = client(laptop);
    laptopServer.login("alice", "correct horse".toCharArray());
    laptopServer.deviceToken(laptopKeys, alice);
    Documents onLaptop = laptop.documents("alice");
    Documents onPhone = phone.documents("alice");
    ObjectMapper json = new ObjectMapper();
    onLaptop.create("notes", "Notes", json.readTree("{\"t\":[]}"));
    List<JsonNode> typing = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      typing.add(json.readTree("[{\"op\":\"add\",\"path\":\"/t/" + i + "\",\"value\":\"" + (char) ('a' + i % 26)
          + "\"}]"));
    }
    onLaptop.updateEach("notes", typing);
    serverPeer(laptop, SyncTrust.forUser(laptop, alice), laptopServer, new LinkedBlockingQueue<>());
    ServerClient phoneServer = client(phone);
    phoneServer.login("alice", "correct horse".toCharArray());
    awaitPhoneToken(phoneServer);
    serverPeer(phone, SyncTrust.forUser(phone, phoneKeys, alice, laptopKeys.deviceId()), phoneServer,
        new LinkedBlockingQueue<>());
    await("the phone folds the create and the run of 50", () -> onPhone.get("notes").map(d -> d.version() == 51)
        .orElse(false));
    onPhone.updateEach("notes", List.of(json.readTree("[{\"op\":\"remove\",\"path\":\"/t/0\"}]"),
        json.readTree("[{\"op\":\"replace\",\"path\":\"/t/0\",\"value\":\"B\"}]")));
    await("the laptop folds the phone's run", () -> onLaptop.get("notes").orElseThrow().version() == 53);
    assertThat(onLaptop.get("notes").orElseThrow().content()).isEqualTo(onPhone.get("notes").orElseThrow().content());
    assertThat(onLaptop.get("notes").orElseThrow().content().get("t").get(0).asText()).isEqualTo("B");
    assertThat(onLaptop.history("notes")).hasSize(53).isEqualTo(onPhone.history("notes"));
  }

  /**
   * The phone, paired but holding no device list, reaches the server before the laptop: it must not become
   * the account's first device (the server's device list would then start without the laptop, which it
   * would refuse). It waits, retrying, until the laptop binds the account and brings the list.
   */
  @Test
  void aPairedDeviceThatReachesTheServerFirstWaitsForItsPairer() throws Exception {
    ServerClient phoneServer = client(phone);
    phoneServer.login("alice", "correct horse".toCharArray());
    assertThatThrownBy(() -> phoneServer.deviceToken(phoneKeys, alice, false))
        .isInstanceOfSatisfying(ServerException.class, e -> assertThat(e.code()).isEqualTo("no_device_list_yet"))
        .hasMessageContaining("let that device sync with the server first");
    sql(laptop, "INSERT INTO todo VALUES ('l1', 'milk')");
    sql(phone, "INSERT INTO todo VALUES ('p1', 'bread')");
    BlockingQueue<String> phoneEvents = new LinkedBlockingQueue<>();
    serverPeer(phone, SyncTrust.forUser(phone, phoneKeys, alice, laptopKeys.deviceId()), phoneServer, phoneEvents);
    await("the phone's own transport asked for a token and was told to wait (it never bound the account)",
        () -> noDeviceListYetRefusals() >= 2);
    ServerClient laptopServer = client(laptop);
    laptopServer.login("alice", "correct horse".toCharArray());
    assertThat(laptopServer.deviceToken(laptopKeys, alice)).as("the laptop binds the account").isNotEmpty();
    serverPeer(laptop, SyncTrust.forUser(laptop, alice), laptopServer, new LinkedBlockingQueue<>());

    await("both rows on both devices through the server alone",
        () -> dump(laptop).equals(List.of("l1|milk", "p1|bread")) && dump(phone).equals(dump(laptop)));
  }

  /** How many token requests the server answered {@code no_device_list_yet}, from its /metrics. */
  private double noDeviceListYetRefusals() {
    String metrics;
    try {
      metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(url.resolve("/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (Exception e) {
      throw new AssertionError("GET /metrics", e);
    }
    return metrics.lines().filter(l -> l.startsWith("cfost_errors_total{") && l.contains("code=\"no_device_list_yet\""))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  @Test
  void aWrongPasswordAndAnUnreachableServerSaySo() {
    assertThatThrownBy(() -> client(laptop).login("alice", "wrong horse".toCharArray()))
        .isInstanceOf(ServerException.class).hasMessageContaining("wrong login or password");
    server.close();
    assertThatThrownBy(() -> client(laptop).login("alice", "correct horse".toCharArray()))
        .isInstanceOf(ServerException.class).hasMessageContaining("cannot reach the sync server");
  }

  private Peer serverPeer(Cfost db, SyncTrust trust, ServerClient client, BlockingQueue<String> events)
      throws Exception {
    return serverPeer(db, trust, client, events, b -> b);
  }

  private Peer serverPeer(Cfost db, SyncTrust trust, ServerClient client, BlockingQueue<String> events,
      UnaryOperator<PeerOptions.Builder> options) throws Exception {
    Peer peer = Peer.create(db, trust.applyToServer(options.apply(PeerOptions.builder()
        .transport(client.transport(db, DeviceKeys.forDatabase(db), alice)).discovery(true).discoveryInterval(100)
        .backoff(50, 500).keepAlive(500, 5_000))).build());
    open.add(0, peer);
    peer.addListener(recorder(events));
    peer.start();
    return peer;
  }

  /** A LAN peer of {@code db}: listening on 127.0.0.1 if {@code target} is null, else dialling it. */
  private PeerAddress lanPeer(Cfost db, SyncTrust trust, PeerAddress target) throws Exception {
    InetSocketAddress listen = target == null ? new InetSocketAddress("127.0.0.1", 0) : null;
    PeerOptions.Builder options = trust.applyTo(PeerOptions.builder()
        .transport(Transports.tcp(trust.tlsIdentity(), listen, false)).discovery(false)
        .backoff(20, 500).keepAlive(500, 5_000));
    if (target != null) {
      options.peer(target);
    }
    Peer peer = Peer.create(db, options.build());
    open.add(0, peer);
    List<PeerAddress> at = peer.start();
    return at.isEmpty() ? null : at.get(0);
  }

  private static PeerListener recorder(BlockingQueue<String> events) {
    return new PeerListener() {
      @Override
      public void onConnect(String peerId, String transport) {
        events.add("connect " + transport);
      }

      @Override
      public void onDisconnect(String peerId, String reason) {
        events.add("disconnect: " + reason);
      }

      @Override
      public void onError(String peerId, Throwable error) {
        events.add("error: " + error.getMessage());
      }
    };
  }

  private Cfost replica(String name) {
    Cfost db = Cfost.open(CfostOptions.builder(dir.resolve(name)).captureInterval(Duration.ofMillis(5)).build());
    open.add(db);
    sql(db, "CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT)");
    db.replicate("todo");
    return db;
  }

  private static void sql(Cfost db, String statement) {
    try (Connection conn = db.connect(); Statement s = conn.createStatement()) {
      s.execute(statement);
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  private static List<String> dump(Cfost db) {
    List<String> rows = new ArrayList<>();
    try (Connection conn = db.connect(); Statement s = conn.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, title FROM todo ORDER BY id")) {
      while (rs.next()) {
        rows.add(rs.getString(1) + "|" + rs.getString(2));
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
    return rows;
  }

  /** Until the laptop's device list, which names the phone, reaches the server: then the phone proves its key. */
  private void awaitPhoneToken(ServerClient phoneServer) throws InterruptedException {
    await("the laptop's device list reaches the server, so the phone may prove its key", () -> {
      try {
        phoneServer.deviceToken(phoneKeys, alice);
        return true;
      } catch (ServerException e) {
        return false;
      }
    });
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(20);
    }
  }
}
