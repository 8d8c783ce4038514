package dev.cfost.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import dev.cfost.Change;
import dev.cfost.ChangeBatch;
import dev.cfost.Cursor;
import dev.cfost.Seal;
import dev.cfost.SealedChanges;
import dev.cfost.Values;
import dev.cfost.identity.Argon2Params;
import dev.cfost.identity.ChangeSeals;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.identity.Users;
import dev.cfost.net.SyncMessage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A real device of a user for server tests: a Cfost database with a replicated {@code todo} table, the
 * identity tables and the device's key, and the HTTP steps by which it proves its key to a server.
 */
final class UserDevice implements AutoCloseable {
  final Cfost db;
  final DeviceKeys keys;
  String identityUser;

  private UserDevice(Cfost db) {
    this.db = db;
    this.keys = DeviceKeys.forDatabase(db);
  }

  /** A new database in {@code dir}, with the {@code todo} table replicated. */
  static UserDevice create(Path dir, String name) {
    Cfost db = Cfost.open(CfostOptions.builder(dir.resolve(name + ".db")).captureInterval(Duration.ofMillis(5))
        .build());
    sql(db, "CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT)");
    db.replicate("todo");
    return new UserDevice(db);
  }

  /** Registers a user in this database and adds this device as its first device. */
  UserDevice asFirstDeviceOfANewUser(String userName) {
    identityUser = Users.open(db, new Argon2Params(1024, 1, 1))
        .register(userName, userName + "@example.org", "correct horse".toCharArray());
    Devices devices = Devices.open(db);
    devices.add(identityUser, keys.publicKey(), "first", null);
    devices.bindSite(keys.deviceId(), db.siteId());
    return this;
  }

  /** Records {@code other} as a device of this user, authorized by this device (what pairing writes). */
  void authorize(UserDevice other) {
    Devices devices = Devices.open(db);
    devices.add(identityUser, other.keys.publicKey(), "paired", keys.deviceId());
    devices.bindSite(other.keys.deviceId(), other.db.siteId());
    other.identityUser = identityUser;
  }

  /** Challenge and proof: the device token, or the refusal's answer. */
  HttpTestClient.Answer proveTo(HttpTestClient http, String accessToken, String accountUser) throws Exception {
    return proveTo(http, http, accessToken, accountUser);
  }

  /** Asks {@code challenges} for the challenge and {@code tokens} for the token (two server processes). */
  HttpTestClient.Answer proveTo(HttpTestClient challenges, HttpTestClient tokens, String accessToken,
      String accountUser) throws Exception {
    HttpTestClient.Answer c = challenges.post("/v1/devices/challenge", "", accessToken);
    if (c.status() != 200) {
      return c;
    }
    return prove(tokens, c.text("challenge"), accessToken, accountUser);
  }

  /** Signs {@code challengeHex} and asks {@code http} for a device token with it. */
  HttpTestClient.Answer prove(HttpTestClient http, String challengeHex, String accessToken, String accountUser)
      throws Exception {
    byte[] signature = keys.sign(proofBytes(accountUser, identityUser, Values.unhex(challengeHex)));
    return http.post("/v1/devices/token", HttpTestClient.obj("device_id", keys.deviceId().toString(),
        "public_key", Values.hex(keys.publicKey()), "identity_user", identityUser,
        "challenge", challengeHex, "signature", Values.hex(signature)), accessToken);
  }

  /** docs/SERVER.md, "Devices": what a device signs. */
  static byte[] proofBytes(String accountUser, String identityUser, byte[] challenge) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes("cfost-device-proof-v1\0".getBytes(StandardCharsets.US_ASCII));
    byte[] a = accountUser.getBytes(StandardCharsets.UTF_8);
    out.writeBytes(ByteBuffer.allocate(4).putInt(a.length).array());
    out.writeBytes(a);
    byte[] i = identityUser.getBytes(StandardCharsets.UTF_8);
    out.writeBytes(ByteBuffer.allocate(4).putInt(i.length).array());
    out.writeBytes(i);
    out.writeBytes(challenge);
    return out.toByteArray();
  }

  /** This device's changes after {@code from} as one sealed batch, as the device sends them. */
  SyncMessage.Changes sealedBatch(Cursor from) {
    return sealedBatch(from, 10_000);
  }

  /** The device's changes after {@code from} (about {@code limit}), sealed by its key: the batch it sends. */
  SyncMessage.Changes sealedBatch(Cursor from, int limit) {
    ChangeBatch batch = db.changes(from, limit);
    SealedChanges sealed = ChangeSeals.open(db, keys, identityUser).seal(batch.changes());
    return new SyncMessage.Changes(from, batch.next(), sealed.changes(), batch.caughtUp() ? 0 : -1, sealed.seals());
  }

  /** Checks that every seal is this device's and verifies, and that together they cover {@code changes}. */
  void assertSealed(List<Change> changes, List<Seal> seals) {
    Set<ByteBuffer> covered = new HashSet<>();
    for (Seal s : seals) {
      assertThat(s.deviceId()).isEqualTo(keys.deviceId().toString());
      assertThat(DeviceKeys.verify(keys.publicKey(), ChangeSeals.signedBytes(db.databaseId(), s.digests()),
          s.signature())).as("the seal's signature").isTrue();
      s.digests().forEach(d -> covered.add(ByteBuffer.wrap(d)));
    }
    for (Change c : changes) {
      assertThat(covered).as("the digest of %s", c).contains(ByteBuffer.wrap(ChangeSeals.digest(c)));
    }
  }

  void sql(String statement) {
    sql(db, statement);
  }

  static void sql(Cfost db, String statement) {
    try (Connection conn = db.connect(); Statement s = conn.createStatement()) {
      s.execute(statement);
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  List<String> todos() {
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

  static String text(JsonNode n, String field) {
    return n.get(field).asText();
  }

  @Override
  public void close() {
    db.close();
  }
}
