package dev.cfost.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import dev.cfost.net.Peer;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.PeerListener;
import dev.cfost.net.PeerOptions;
import dev.cfost.net.Transports;
import java.net.InetSocketAddress;
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
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two devices of one user sync over TCP + TLS 1.3 on 127.0.0.1, wired with public API only: each
 * database's {@link SyncTrust} gives the transport its TLS identity and the peer its authorizer and
 * sealer. The second device was just paired: it knows only the device that paired it.
 */
class TrustedSyncIT {
  @TempDir Path dir;
  final List<AutoCloseable> open = new ArrayList<>();
  Cfost laptop;
  Cfost phone;
  String alice;
  DeviceKeys phoneKeys;

  @BeforeEach
  void aUserWithALaptopAndANewlyPairedPhone() {
    laptop = replica("laptop.db");
    phone = replica("phone.db");
    alice = Users.open(laptop, new Argon2Params(1024, 1, 1))
        .register("alice", "alice@example.org", "correct horse".toCharArray());
    DeviceKeys laptopKeys = DeviceKeys.forDatabase(laptop);
    phoneKeys = DeviceKeys.forDatabase(phone);
    Devices devices = Devices.open(laptop);
    devices.add(alice, laptopKeys.publicKey(), "laptop", null);
    devices.bindSite(laptopKeys.deviceId(), laptop.siteId());
    // What pairing records on the authorizing device (Pairing.approve): the phone's key and site.
    devices.add(alice, phoneKeys.publicKey(), "phone", laptopKeys.deviceId());
    devices.bindSite(phoneKeys.deviceId(), phone.siteId());
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable x : open) {
      x.close();
    }
  }

  @Test
  void devicesOfOneUserConvergeOverTlsAndARevokedOneIsCutOff() throws Exception {
    sql(laptop, "INSERT INTO todo VALUES ('l1', 'milk')");
    sql(phone, "INSERT INTO todo VALUES ('p1', 'bread')");
    PeerAddress atLaptop = start(laptop, SyncTrust.forUser(laptop, alice), null, new LinkedBlockingQueue<>());
    BlockingQueue<String> phoneEvents = new LinkedBlockingQueue<>();
    start(phone, SyncTrust.forUser(phone, phoneKeys, alice, DeviceKeys.forDatabase(laptop).deviceId()), atLaptop,
        phoneEvents);

    await("both rows on both devices", () -> dump(laptop).equals(List.of("l1|milk", "p1|bread"))
        && dump(phone).equals(List.of("l1|milk", "p1|bread")));
    await("the phone knows it is authorized", () -> Devices.open(phone).isAuthorized(phoneKeys.deviceId(), alice));
    sql(phone, "UPDATE todo SET title = 'oat milk' WHERE id = 'l1'");
    await("a live edit of the phone, verified against its seal, reaches the laptop",
        () -> dump(laptop).contains("l1|oat milk"));

    Devices.open(laptop).revoke(phoneKeys.deviceId());
    await("the revoked phone is cut off", () -> phoneEvents.stream().anyMatch(e -> e.contains("not an authorized")));
    sql(laptop, "INSERT INTO todo VALUES ('l2', 'secret')");
    Thread.sleep(500);
    assertThat(dump(phone)).doesNotContain("l2|secret");
  }

  @Test
  void aDeviceThatIsNotTheUsersGetsNothing() throws Exception {
    sql(laptop, "INSERT INTO todo VALUES ('l1', 'milk')");
    PeerAddress atLaptop = start(laptop, SyncTrust.forUser(laptop, alice), null, new LinkedBlockingQueue<>());
    Cfost stranger = replica("stranger.db");
    BlockingQueue<String> events = new LinkedBlockingQueue<>();
    start(stranger, SyncTrust.forUser(stranger, alice), atLaptop, events);

    await("the stranger is refused", () -> events.stream().anyMatch(e -> e.contains("not an authorized")));
    assertThat(dump(stranger)).isEmpty();
  }

  /** Starts a peer of {@code db}: listening on 127.0.0.1 if {@code target} is null, else dialling it. */
  private PeerAddress start(Cfost db, SyncTrust trust, PeerAddress target, BlockingQueue<String> events)
      throws Exception {
    InetSocketAddress listen = target == null ? new InetSocketAddress("127.0.0.1", 0) : null;
    PeerOptions.Builder options = trust.applyTo(PeerOptions.builder()
        .transport(Transports.tcp(trust.tlsIdentity(), listen, false)).discovery(false)
        .backoff(20, 500).keepAlive(500, 5_000));
    if (target != null) {
      options.peer(target);
    }
    Peer peer = Peer.create(db, options.build());
    open.add(0, peer);
    peer.addListener(new PeerListener() {
      @Override
      public void onDisconnect(String peerId, String reason) {
        events.add("disconnect: " + reason);
      }

      @Override
      public void onError(String peerId, Throwable error) {
        events.add("error: " + error.getMessage());
      }
    });
    List<PeerAddress> at = peer.start();
    return at.isEmpty() ? null : at.get(0);
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

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(10);
    }
  }
}
