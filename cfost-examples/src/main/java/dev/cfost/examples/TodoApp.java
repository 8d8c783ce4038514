package dev.cfost.examples;

import dev.cfost.Cfost;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.identity.Pairing;
import dev.cfost.identity.PairingChallenge;
import dev.cfost.identity.PairingResponse;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A to-do list on two devices of one user, through the public API only: the user and the first device,
 * a second device paired by code, peer-to-peer sync over TLS while they share a network, then sync
 * through a sync server while they are apart, with a conflicting edit resolved the same way on both.
 *
 * <p>Run it: {@code java -cp ... dev.cfost.examples.TodoApp} starts a sync server on loopback in this
 * process; {@code TodoApp http://HOST:8787} uses a running one ({@code cfost server}). Everything else
 * lives in a temporary folder. The README's code is taken from here; the build compiles it and a test
 * runs it.
 */
public final class TodoApp {
  private static final String TABLE_DDL = "CREATE TABLE IF NOT EXISTS todo(id TEXT PRIMARY KEY NOT NULL, title TEXT,"
      + " done INTEGER NOT NULL DEFAULT 0)";

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("cfost-todo");
    CfostServer ownServer = args.length > 0 ? null : CfostServer.start(ServerConfig.builder()
        .listen("127.0.0.1:0").dataDir(dir.resolve("server")).build());
    URI url = args.length > 0 ? URI.create(args[0]) : URI.create("http://127.0.0.1:" + ownServer.port());
    List<AutoCloseable> open = new ArrayList<>();
    try {
      Cfost laptop = app(dir.resolve("laptop.db"), open);
      Cfost phone = app(dir.resolve("phone.db"), open);

      // The user and the first device, once, on the laptop.
      String alice = Users.open(laptop).register("alice", "alice@example.org", "correct horse".toCharArray());
      DeviceKeys laptopKeys = DeviceKeys.forDatabase(laptop);
      Devices.open(laptop).add(alice, laptopKeys.publicKey(), "laptop", null);
      Devices.open(laptop).bindSite(laptopKeys.deviceId(), laptop.siteId());

      // Pairing: the laptop shows a one-time code (challenge.qrCode().toTerminal() draws it as a QR code),
      // the phone answers it with its own key, and the laptop approves the answer.
      PairingChallenge challenge = Pairing.open(laptop, laptopKeys).createChallenge(alice, List.of());
      PairingChallenge scanned = PairingChallenge.decode(challenge.encode()); // on the phone
      DeviceKeys phoneKeys = DeviceKeys.forDatabase(phone);
      PairingResponse answer = PairingResponse.create(scanned, phoneKeys, phone.siteId(), "phone");
      Pairing.open(laptop, laptopKeys).approve(PairingResponse.decode(answer.encode())); // on the laptop
      SyncTrust laptopTrust = SyncTrust.forUser(laptop, alice);
      SyncTrust phoneTrust = SyncTrust.forUser(phone, phoneKeys, scanned.userId(), scanned.authorizerId(),
          scanned.serverAnchor());
      System.out.println("paired: phone " + phoneKeys.deviceId() + " joined alice's devices");

      // Same network: peer to peer over TLS; each side admits only alice's devices.
      sql(laptop, "INSERT INTO todo(id, title) VALUES ('t1', 'buy milk')");
      Peer laptopLan = Peer.create(laptop, laptopTrust.applyTo(PeerOptions.builder()
          .transport(Transports.tcp(laptopTrust.tlsIdentity(), new InetSocketAddress("127.0.0.1", 0), false))
          .discovery(false)).build());
      open.add(0, laptopLan);
      PeerAddress at = laptopLan.start().get(0);
      Peer phoneLan = Peer.create(phone, phoneTrust.applyTo(PeerOptions.builder()
          .transport(Transports.tcp(phoneTrust.tlsIdentity(), null, false)).discovery(false).peer(at)).build());
      open.add(0, phoneLan);
      phoneLan.start();
      await("the phone has the laptop's to-do", () -> titles(phone).equals(List.of("t1 buy milk")));
      System.out.println("peer to peer: phone has " + titles(phone));
      phoneLan.close();
      laptopLan.close();

      // Apart: both edit offline, then sync through the server, which relays what the devices sealed.
      sql(laptop, "UPDATE todo SET title = 'buy oat milk' WHERE id = 't1'");
      sql(phone, "INSERT INTO todo(id, title) VALUES ('t2', 'call mum')");
      sql(phone, "UPDATE todo SET done = 1 WHERE id = 't1'");
      ServerClient laptopServer = ServerClient.builder(url).tokenFile(ServerClient.tokenFileOf(laptop.path())).build();
      try {
        laptopServer.register("alice", "alice@example.org", "correct horse".toCharArray());
      } catch (ServerException e) {
        if (!"account_exists".equals(e.code())) {
          throw e;
        }
        // a running server given by URL keeps the account of an earlier run: log in to it
      }
      laptopServer.login("alice", "correct horse".toCharArray());
      ServerClient phoneServer = ServerClient.builder(url).tokenFile(ServerClient.tokenFileOf(phone.path())).build();
      phoneServer.login("alice", "correct horse".toCharArray());
      Peer laptopViaServer = viaServer(laptop, laptopTrust, laptopKeys, alice, laptopServer);
      open.add(0, laptopViaServer);
      // The server learns the phone from the laptop's device list: let that arrive before the phone connects
      // (a phone connecting earlier is refused, device_not_authorized, and retries with backoff).
      await("the server has the laptop's changes",
          () -> laptopViaServer.progress().stream().anyMatch(p -> p.caughtUp() && p.delivered()));
      open.add(0, viaServer(phone, phoneTrust, phoneKeys, alice, phoneServer));
      await("both devices converge through the server",
          () -> titles(laptop).size() == 2 && titles(laptop).equals(titles(phone)));
      // Column by column: the laptop's title and the phone's done flag both survive.
      System.out.println("through " + url + ": both devices have " + titles(phone));
    } finally {
      for (AutoCloseable c : open) {
        c.close();
      }
      if (ownServer != null) {
        ownServer.close();
      }
    }
  }

  /** The server is the transport's one peer; what it relays is checked against the devices' seals. */
  private static Peer viaServer(Cfost db, SyncTrust trust, DeviceKeys keys, String user, ServerClient server)
      throws java.io.IOException {
    Peer peer = Peer.create(db, trust.applyToServer(PeerOptions.builder()
        .transport(server.transport(db, keys, user)).discovery(true).discoveryInterval(200)).build());
    peer.addListener(new PeerListener() {
      @Override
      public void onError(String peerId, Throwable error) {
        System.err.println(db.path().getFileName() + ": sync with the server: " + error.getMessage()); // retried
      }
    });
    peer.start();
    return peer;
  }

  private static Cfost app(Path file, List<AutoCloseable> open) {
    Cfost db = Cfost.open(file);
    open.add(db);
    sql(db, TABLE_DDL);
    db.replicate("todo");
    return db;
  }

  private static void sql(Cfost db, String statement) {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute(statement); // plain SQL: the engine captures it
    } catch (SQLException e) {
      throw new IllegalStateException(statement + ": " + e.getMessage(), e);
    }
  }

  private static List<String> titles(Cfost db) {
    List<String> out = new ArrayList<>();
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT id, title, done FROM todo ORDER BY id")) {
      while (r.next()) {
        out.add(r.getString(1) + " " + r.getString(2) + (r.getInt(3) == 1 ? " (done)" : ""));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  private static void await(String what, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("gave up after 120 s waiting until " + what);
      }
      Thread.sleep(50);
    }
  }

  private TodoApp() {}
}
