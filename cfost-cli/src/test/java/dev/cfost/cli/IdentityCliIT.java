package dev.cfost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.PairingChallenge;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The user and device commands of the shaded jar, run as child processes: {@code init --user},
 * {@code login} and {@code device list|rename|revoke|pair|join|approve}. Pairing runs between two
 * processes over TLS on 127.0.0.1; the tests without network run their commands in this JVM.
 */
class IdentityCliIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PASSWORD = "correct horse battery\n";
  private static final Pattern CODE = Pattern.compile("^(cfost-pair:[A-Za-z0-9_-]+)$", Pattern.MULTILINE);
  private static final Pattern RESPONSE = Pattern.compile("(cfost-pair-response:[A-Za-z0-9_-]+)");
  private static final String DEVICE_ID = "[A-Z2-7]{7}(-[A-Z2-7]{7}){7}";

  @TempDir Path dir;
  CfostProcess cfost;
  /**
   * Setup and read-back commands, in this JVM through the same entry point even in the tests that run their
   * subject as processes: a child JVM costs about a second each. Pairing's authorizer, the daemons, the
   * joins and the syncs under test stay processes of their own.
   */
  CfostProcess local;
  String a;
  String b;

  @BeforeEach
  void paths() {
    cfost = new CfostProcess(dir);
    local = CfostProcess.inThisJvm(dir);
    a = dir.resolve("a.db").toString();
    b = dir.resolve("b.db").toString();
  }

  /** Registers alice on {@code db} with the device "laptop" (setup: in this JVM); returns the device id. */
  private String alice(String db) {
    return alice(local, db);
  }

  /** As {@link #alice(String)}, through {@code p}: a child process where {@code init --user} is under test. */
  private String alice(CfostProcess p, String db) {
    String out = p.stdin(PASSWORD).run("--db", db, "init", "--user", "alice", "--email", "alice@example.org",
        "--password-stdin", "--device-name", "laptop").ok();
    p.stdin("");
    assertThat(out).matches("site id [0-9a-f]{32}\ndatabase default\nuser alice\ndevice " + DEVICE_ID + "\n");
    return out.substring(out.indexOf("device ") + 7).strip();
  }

  private JsonNode devices(String db) {
    try {
      return JSON.readTree(local.run("--db", db, "device", "list", "--json").ok());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private JsonNode device(String db, String id) {
    for (JsonNode d : devices(db)) {
      if (d.get("id").asText().equals(id)) {
        return d;
      }
    }
    throw new AssertionError("no device " + id + " in " + devices(db));
  }

  /** Pairs {@code newDb} with alice's {@code authorizerDb} the offline way; returns the new device's id. */
  private String pairOffline(String authorizerDb, String newDb, String name) {
    String code = CODE.matcher(cfost.run("--db", authorizerDb, "device", "pair", "--no-wait").ok()).results()
        .findFirst().orElseThrow().group(1);
    CfostProcess.Result joined = cfost.run("--db", newDb, "device", "join", code, "--device-name", name);
    assertThat(joined.fails(1)).isEqualTo("cfost: not paired yet: approve the response printed above on the"
        + " authorizing device");
    assertThat(joined.out()).startsWith("the pairing code lists no address to reach the authorizing device\n");
    String response = RESPONSE.matcher(joined.out()).results().findFirst().orElseThrow().group(1);
    String approved = cfost.run("--db", authorizerDb, "device", "approve", response).ok();
    assertThat(approved).matches("approved " + DEVICE_ID + " \\(" + name + "\\)\n");
    return approved.substring(9, 9 + 63);
  }

  // ---- init --user, login ----

  @Test
  void initWithAUserRegistersItAndThisDeviceAndPlainInitStillWorks() {
    cfost = CfostProcess.inThisJvm(dir);
    String laptop = alice(a);
    JsonNode list = devices(a);
    assertThat(list).hasSize(1);
    assertThat(list.get(0).get("id").asText()).isEqualTo(laptop);
    assertThat(list.get(0).get("name").asText()).isEqualTo("laptop");
    assertThat(list.get(0).get("this_device").asBoolean()).isTrue();
    assertThat(list.get(0).get("revoked_at").isNull()).isTrue();
    assertThat(list.get(0).get("added_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
    assertThat(cfost.run("--db", a, "device", "list").ok())
        .matches("(?s)id +name +added +state\n[- ]+\n" + laptop + "  laptop  \\S+  authorized, this device\n");

    assertThat(cfost.run("--db", a, "init").ok()).matches("site id [0-9a-f]{32}\ndatabase default\n");
    assertThat(cfost.stdin(PASSWORD).run("--db", a, "init", "--user", "bob", "--email", "bob@example.org",
        "--password-stdin").fails(1)).contains("already belongs to user 'alice'");
    assertThat(cfost.stdin("").run("--db", a, "init", "--user", "bob", "--password-stdin").fails(2))
        .contains("--user needs --email");
    assertThat(cfost.run("--db", b, "init").ok()).matches("site id [0-9a-f]{32}\ndatabase default\n");
    assertThat(cfost.run("--db", b, "device", "list").fails(1)).contains("belongs to no user yet");
  }

  @Test
  void loginAcceptsTheRightPasswordAndRefusesAWrongOneAndAnUnknownUserAlike() {
    cfost = CfostProcess.inThisJvm(dir);
    alice(a);
    assertThat(cfost.stdin(PASSWORD).run("--db", a, "login", "--user", "alice", "--password-stdin").ok())
        .isEqualTo("logged in as alice\n");
    assertThat(cfost.stdin(PASSWORD).run("--db", a, "login", "--user", "ALICE@Example.org", "--password-stdin").ok())
        .isEqualTo("logged in as alice\n");

    CfostProcess.Result wrong = cfost.stdin("correct horse staple\n").run("--db", a, "login", "--user", "alice",
        "--password-stdin");
    CfostProcess.Result unknown = cfost.stdin(PASSWORD).run("--db", a, "login", "--user", "mallory",
        "--password-stdin");
    for (CfostProcess.Result r : List.of(wrong, unknown)) {
      assertThat(r.out()).isEmpty();
      assertThat(r.fails(1)).isEqualTo("cfost: wrong user name or password");
    }
    assertThat(cfost.stdin("").run("--db", a, "login", "--user", "alice").fails(1))
        .contains("no terminal", "--password-stdin");
  }

  // ---- device list, rename, revoke ----

  @Test
  void anotherDeviceIsRenamedAndRevokedThisOneOnlyWithForceAndUnknownIdsAreRefused() {
    cfost = CfostProcess.inThisJvm(dir);
    String laptop = alice(a);
    String tablet = pairOffline(a, b, "tablet");

    String typed = tablet.toLowerCase().replace("-", "");
    assertThat(cfost.run("--db", a, "device", "rename", typed, "old tablet").ok())
        .isEqualTo("renamed " + tablet + " to old tablet\n");
    assertThat(cfost.run("--db", a, "device", "revoke", tablet).ok()).isEqualTo("revoked " + tablet + " (old tablet)\n");
    JsonNode t = device(a, tablet);
    assertThat(t.get("name").asText()).isEqualTo("old tablet");
    assertThat(t.get("revoked_at").isNull()).isFalse();
    assertThat(t.get("this_device").asBoolean()).isFalse();

    assertThat(cfost.run("--db", a, "device", "revoke", laptop).fails(1)).contains("is this device", "--force");
    assertThat(device(a, laptop).get("revoked_at").isNull()).isTrue();
    assertThat(cfost.run("--db", a, "device", "revoke", laptop, "--force").ok()).startsWith("revoked " + laptop);
    assertThat(device(a, laptop).get("revoked_at").isNull()).isFalse();

    String stranger = DeviceKeys.generate().deviceId().toString();
    assertThat(cfost.run("--db", a, "device", "revoke", stranger).fails(1))
        .isEqualTo("cfost: user 'alice' has no device " + stranger + "; 'cfost device list' shows the devices");
    String typo = stranger.substring(0, 62) + (stranger.endsWith("A") ? "B" : "A");
    assertThat(cfost.run("--db", a, "device", "rename", typo, "x").fails(1)).startsWith("cfost: not a device id: ")
        .contains("typo");
    assertThat(cfost.run("--db", a, "device", "rename", tablet).fails(2)).contains("NAME");
  }

  // ---- pairing ----

  @Test
  void aNewDeviceJoinsOverTheNetworkAndTheAuthorizerListsIt() {
    alice(cfost, a); // init --user as a child process, here where pairing needs processes anyway
    String phone;
    try (BackgroundCfost pair = BackgroundCfost.start(dir, "--db", a, "device", "pair", "--yes", "--listen", "127.0.0.1:0",
        "--timeout", "60", "--png", dir.resolve("code.png").toString())) {
      String code = pair.awaitMatch(CODE);
      assertThat(PairingChallenge.decode(code).addresses()).singleElement().asString().startsWith("127.0.0.1:");

      String joined = cfost.run("--db", b, "device", "join", code, "--device-name", "phone").ok();
      assertThat(joined).matches("joined user alice as device " + DEVICE_ID + " of database default\n"
          + "the user's data and devices arrive with sync: cfost sync --peer 127.0.0.1:7947\n");
      phone = joined.substring(28, 28 + 63);

      CfostProcess.Result paired = pair.finish();
      assertThat(paired.ok()).endsWith("paired " + phone + " (phone)\n").contains("█");
    }
    assertThat(dir.resolve("code.png")).isRegularFile();
    JsonNode added = device(a, phone);
    assertThat(added.get("name").asText()).isEqualTo("phone");
    assertThat(added.get("revoked_at").isNull()).isTrue();
    // The new device knows its user; the user's rows reach it with the next sync.
    assertThat(local.run("--db", b, "device", "list", "--json").ok()).isEqualTo("[]\n");
  }

  /** Pairs b (the phone) with a over the network, confirming on a's side with --yes. */
  private void pairPhoneWithLaptop() throws Exception {
    try (BackgroundCfost pair = BackgroundCfost.start(dir, "--db", a, "device", "pair", "--yes", "--listen", "127.0.0.1:0",
        "--timeout", "60")) {
      String code = pair.awaitMatch(CODE);
      // In this JVM: setup here; aNewDeviceJoinsOverTheNetworkAndTheAuthorizerListsIt runs join as a process.
      local.run("--db", b, "device", "join", code, "--device-name", "phone").ok();
      pair.finish().ok();
    }
  }

  private static int freeLoopbackPort() throws Exception {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** a's sync daemon on 127.0.0.1:{@code port}, once it listens. */
  private BackgroundCfost laptopDaemon(int port) throws Exception {
    BackgroundCfost daemon = BackgroundCfost.start(dir, "--db", a, "start", "--listen", "127.0.0.1:" + port, "--no-mdns");
    try {
      daemon.awaitMatch(Pattern.compile("listening on 127\\.0\\.0\\.1:" + port));
      return daemon;
    } catch (Exception | AssertionError e) {
      daemon.close();
      throw e;
    }
  }

  /**
   * Issue 4 end to end: a device paired over the network syncs with the authorizer's daemon (its TLS
   * certificate carries its device key, which the daemon finds in the user's device list), and a device
   * of another user is refused with the protocol's {@code unauthorized} code.
   */
  @Test
  void aPairedDeviceSyncsWithItsUsersDaemonAndAnotherUsersDeviceIsRefused() throws Exception {
    alice(a);
    local.run("--db", a, "sql", "CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT)").ok();
    local.run("--db", a, "replicate", "todo").ok();
    local.run("--db", a, "sql", "INSERT INTO todo VALUES ('t1', 'from alice''s laptop')").ok();
    pairPhoneWithLaptop();
    int port = freeLoopbackPort();
    try (BackgroundCfost daemon = laptopDaemon(port)) {
      local.run("--db", b, "sql", "CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT)").ok();
      local.run("--db", b, "replicate", "todo").ok();
      assertThat(cfost.run("--db", b, "sync", "--peer", "127.0.0.1:" + port, "--once", "--timeout", "60").ok())
          .startsWith("received ");
      assertThat(local.run("--db", b, "sql", "SELECT title FROM todo").ok()).contains("from alice's laptop");
      assertThat(devices(b)).hasSize(2); // alice's device list arrived with the sync
      // The other way: the phone's row is sealed with its key, and the laptop checks the seal against
      // the site id that the phone's pairing response bound it to.
      local.run("--db", b, "sql", "INSERT INTO todo VALUES ('t2', 'from the phone')").ok();
      cfost.run("--db", b, "sync", "--peer", "127.0.0.1:" + port, "--once", "--timeout", "60").ok();
      assertThat(local.run("--db", a, "sql", "SELECT title FROM todo WHERE id = 't2'").ok()).contains("from the phone");

      String c = dir.resolve("c.db").toString();
      local.stdin(PASSWORD).run("--db", c, "init", "--user", "mallory", "--email", "m@example.org",
          "--password-stdin").ok();
      local.stdin("");
      String refused = cfost.run("--db", c, "sync", "--peer", "127.0.0.1:" + port, "--once", "--timeout", "20")
          .fails(1);
      assertThat(refused).contains("unauthorized");
      assertThat(local.run("--db", a, "sql", "SELECT count(*) AS n FROM identity_users").ok()).contains("1");
    }
  }

  /**
   * Issue 9, item 12: a device that joins and syncs gets the user's tables with their rows, without
   * creating them by hand (the CLI turns schema sync on), and writes to them replicate back.
   */
  @Test
  void aJoinedDeviceSyncsWithoutCreatingTheTablesByHand() throws Exception {
    alice(a);
    local.run("--db", a, "sql", "CREATE TABLE notes(id TEXT PRIMARY KEY NOT NULL, title TEXT DEFAULT 'untitled')").ok();
    local.run("--db", a, "replicate", "notes").ok();
    local.run("--db", a, "sql", "INSERT INTO notes VALUES ('n1', 'from alice''s laptop')").ok();
    pairPhoneWithLaptop();
    int port = freeLoopbackPort();
    try (BackgroundCfost daemon = laptopDaemon(port)) {
      assertThat(cfost.run("--db", b, "sync", "--peer", "127.0.0.1:" + port, "--once", "--timeout", "60").ok())
          .startsWith("received ");
      assertThat(local.run("--db", b, "sql", "SELECT title FROM notes").ok()).contains("from alice's laptop");
      assertThat(devices(b)).hasSize(2);
      local.run("--db", b, "sql", "INSERT INTO notes(id) VALUES ('n2')").ok();
      cfost.run("--db", b, "sync", "--peer", "127.0.0.1:" + port, "--once", "--timeout", "60").ok();
      assertThat(local.run("--db", a, "sql", "SELECT title FROM notes WHERE id = 'n2'").ok()).contains("untitled");
    }
  }

  @Test
  void withoutAReachableAuthorizerTheResponseIsApprovedByHandOnceOnly() {
    alice(a);
    String code;
    int port;
    try (BackgroundCfost pair = BackgroundCfost.start(dir, "--db", a, "device", "pair", "--yes", "--listen", "127.0.0.1:0")) {
      code = pair.awaitMatch(CODE);
      pair.kill(); // nobody listens on the code's address any more
      port = Integer.parseInt(PairingChallenge.decode(code).addresses().get(0).split(":")[1]);
    }
    CfostProcess.Result joined = cfost.run("--db", b, "device", "join", code, "--device-name", "tablet");
    assertThat(joined.fails(1)).contains("not paired yet");
    assertThat(joined.out()).startsWith("could not reach the authorizing device at 127.0.0.1:" + port + "\n")
        .contains("cfost device approve cfost-pair-response:");
    String response = RESPONSE.matcher(joined.out()).results().findFirst().orElseThrow().group(1);
    assertThat(cfost.run("--db", b, "device", "list").fails(1)).contains("not paired yet");

    String approved = cfost.run("--db", a, "device", "approve", response).ok();
    assertThat(approved).matches("approved " + DEVICE_ID + " \\(tablet\\)\n");
    assertThat(cfost.run("--db", a, "device", "approve", response).fails(1)).contains("already used");
    JsonNode list = devices(a);
    assertThat(list).hasSize(2);
    assertThat(list.get(1).get("id").asText()).isEqualTo(approved.substring(9, 9 + 63));
    assertThat(list.get(1).get("name").asText()).isEqualTo("tablet");
  }

  @Test
  void anExpiredCodeIsRefusedByTheNewDeviceAndAnAlteredOneByTheAuthorizer() {
    PairingChallenge expired = PairingChallenge.of(UUID.randomUUID().toString(), DeviceKeys.generate().publicKey(),
        new byte[32], Instant.now().minusSeconds(1), List.of("127.0.0.1:9"));
    assertThat(cfost.run("--db", b, "device", "join", expired.encode()).fails(1))
        .startsWith("cfost: the pairing code expired at ").contains("cfost device pair");
    assertThat(cfost.run("--db", b, "device", "join", "cfost-pair:AQ").fails(1))
        .startsWith("cfost: not a valid pairing challenge: ");

    alice(a);
    try (BackgroundCfost pair = BackgroundCfost.start(dir, "--db", a, "device", "pair", "--yes", "--listen", "127.0.0.1:0",
        "--timeout", "60")) {
      PairingChallenge real = PairingChallenge.decode(pair.awaitMatch(CODE));
      // Same nonce and authorizer, but a later expiry: the new device signs what it was shown.
      PairingChallenge altered = PairingChallenge.of(real.userId(), real.authorizerPublicKey(), real.nonce(),
          real.expiresAt().plusSeconds(3600), real.addresses());
      assertThat(cfost.run("--db", b, "device", "join", altered.encode()).fails(1))
          .startsWith("cfost: the authorizing device refused the pairing: ").contains("signature");

      // A bad response does not end the pairing (anyone on the LAN can send one): it is ignored.
      assertThat(pair.awaitMatch(Pattern.compile("^(ignored a pairing response .*)$"))).contains("signature");
      pair.kill();
    }
    assertThat(devices(a)).hasSize(1);
  }

  @Test
  void helpListsTheUserAndDeviceCommands() {
    cfost = CfostProcess.inThisJvm(dir);
    assertThat(cfost.run("--help").ok()).contains("login", "device");
    assertThat(cfost.run("device", "--help").ok()).contains("list", "rename", "revoke", "pair", "join", "approve");
  }
}
