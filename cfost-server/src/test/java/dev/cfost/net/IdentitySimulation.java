package dev.cfost.net;

import dev.cfost.Cfost;
import dev.cfost.CfostException;
import dev.cfost.CfostOptions;
import dev.cfost.Change;
import dev.cfost.ChangeBatch;
import dev.cfost.Cursor;
import dev.cfost.identity.Argon2Params;
import dev.cfost.identity.DeviceId;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.identity.Pairing;
import dev.cfost.identity.PairingChallenge;
import dev.cfost.identity.PairingResponse;
import dev.cfost.identity.ServerClient;
import dev.cfost.identity.ServerException;
import dev.cfost.identity.SyncTrust;
import dev.cfost.identity.Users;
import dev.cfost.server.CfostServer;
import dev.cfost.server.ServerConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.PublicKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One user's devices, paired and revoked during a seeded schedule, syncing on a faulty {@link MemoryNetwork}
 * (d0, d1, d2) and through a real in-process {@link CfostServer} (d0, d3, d4: d3 and d4 never meet the
 * others on the LAN), with the server closed and started again on its data directory. Trust is the
 * library's: {@link SyncTrust#forUser} for every device, {@link SyncTrust#applyTo} on the LAN and
 * {@link SyncTrust#applyToServer} towards the server, pairing through {@link Pairing}. At the end every
 * device that was not revoked must hold exactly the {@link MergeModel}'s rows, and none may hold a value a
 * revoked device wrote after its revocation. docs/RELIABILITY.md states the schedule and why the model is
 * sound.
 *
 * <p>Only the thread that calls {@link #run} and {@link #settle} drives it.
 */
final class IdentitySimulation implements AutoCloseable {
  static final String TABLE = "item";
  private static final List<String> COLUMNS = List.of("title", "n");
  private static final int KEYS = 40;
  private static final String PASSWORD = "correct horse battery staple";
  private static final Argon2Params FAST_ARGON = new Argon2Params(256, 1, 1);
  /** Protocol errors that neither a faulty network, a restarting server nor a revocation justifies. */
  private static final Set<String> DEFECT_CODES = Set.of("invalid_change", "clock_drift", "internal",
      "malformed_frame", "unknown_message", "frame_too_large", "bad_signature");

  private final long seed;
  private final Random random;
  private final Path dir;
  private final MemoryNetwork net;
  private final Map<String, PublicKey> keysByNode = new ConcurrentHashMap<>();
  private final MergeModel model = new MergeModel();
  private final Device[] devices = new Device[5];
  /** The values revoked devices wrote after their revocation, as the dumps show them. */
  private final Set<String> writtenWhenRevoked = ConcurrentHashMap.newKeySet();
  private CfostServer server;
  private int serverPort;
  private String userId;
  /** What the schedule did, by kind, in order of first use. */
  final Map<String, Long> counts = new LinkedHashMap<>();
  /** Errors devices reported, by protocol code or exception class. */
  final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
  /** Errors that nothing injected explains, with the device that reported them. */
  final List<String> defects = new CopyOnWriteArrayList<>();
  private long step;

  /** One device: its file and keys, and its engine and peers while it is up. */
  private final class Device {
    final int index;
    final String name;
    final boolean lan;
    final boolean viaServer;
    final Path file;
    DeviceKeys keys;
    DeviceId pairedWith; // null for the first device
    DeviceId serverAnchor;
    boolean paired;
    boolean revoked;
    boolean muted; // revoked, and not all others know yet: it does not write
    Cfost db;
    Connection app;
    Peer lanPeer;
    Peer serverPeer;
    ServerClient client;
    byte[] site;
    Cursor read = Cursor.START;
    int downFor = -1;

    Device(int index, boolean lan, boolean viaServer) {
      this.index = index;
      this.name = "d" + index;
      this.lan = lan;
      this.viaServer = viaServer;
      this.file = dir.resolve(name + ".db");
    }

    boolean up() {
      return db != null;
    }

    boolean counts() {
      return paired && !revoked;
    }
  }

  IdentitySimulation(long seed, Path dir) throws IOException {
    this.seed = seed;
    this.random = new Random(seed);
    this.dir = dir;
    this.net = new MemoryNetwork(seed);
    devices[0] = new Device(0, true, true);
    devices[1] = new Device(1, true, false);
    devices[2] = new Device(2, true, false);
    devices[3] = new Device(3, false, true);
    devices[4] = new Device(4, false, true);
    startServer("127.0.0.1:0");
    serverPort = server.port();
    Device first = devices[0];
    createDatabase(first);
    userId = Users.open(first.db, new Argon2Params(1024, 1, 1))
        .register("alice", "alice@example.org", PASSWORD.toCharArray());
    Devices list = Devices.open(first.db);
    list.add(userId, first.keys.publicKey(), "first", null);
    list.bindSite(first.keys.deviceId(), first.db.siteId());
    ServerClient.builder(serverUri()).timeout(Duration.ofSeconds(5)).build()
        .register("alice", "alice@example.org", PASSWORD.toCharArray());
    first.paired = true;
    first.db.close();
    first.db = null;
    open(first);
  }

  /** Runs {@code operations} steps: pairings in the first half, revocations and server restarts later. */
  void run(int operations) throws Exception {
    List<Integer> toPair = new ArrayList<>(List.of(1, 2, 3, 4));
    Collections.shuffle(toPair, random);
    for (int i = 0; i < operations; i++) {
      step++;
      for (Device d : devices) {
        if (d.downFor > 0) {
          d.downFor--;
        } else if (d.downFor == 0) {
          open(d);
        }
      }
      unmuteWhereAllKnow();
      if (operations >= 5_000 && step % (operations / 10) == 0) {
        System.out.printf("identity simulation seed %d: %d of %d operations, %s%n", seed, step, operations, counts);
      }
      long tenth = Math.max(1, operations / 10);
      if (step % tenth == 0 && step / tenth <= 4) {
        pair(devices[toPair.get((int) (step / tenth) - 1)]);
      } else if (step == 6 * tenth || operations >= 2_000 && step == 8 * tenth) {
        revokeOne();
      } else if (step == operations / 3 || step == 2 * operations / 3) {
        restartServer();
      } else {
        randomStep();
      }
    }
  }

  private void randomStep() throws Exception {
    int roll = random.nextInt(100);
    if (roll < 60) {
      write();
    } else if (roll < 66) {
      String a = "d" + random.nextInt(3);
      String b = "d" + random.nextInt(3);
      if (!a.equals(b)) {
        net.partition(a, b);
        count("partitions");
      }
    } else if (roll < 70) {
      net.heal();
      count("heals");
    } else if (roll < 74) {
      long max = random.nextInt(4) == 0 ? 0 : random.nextInt(25);
      net.latency(0, max).loss(random.nextInt(3) == 0 ? 0 : random.nextDouble() * 0.02)
          .duplicates(random.nextDouble() * 0.1).reordering(random.nextDouble() * 0.1);
      count("fault rates changed");
    } else if (roll < 77) {
      List<Device> up = Arrays.stream(devices).filter(Device::up).toList();
      if (up.size() > 1) {
        Device d = up.get(random.nextInt(up.size()));
        close(d);
        d.downFor = random.nextInt(4) == 0 ? 0 : random.nextInt(40);
        count("device restarts");
      }
    } else {
      Thread.sleep(1 + random.nextInt(8));
      count("pauses");
    }
  }

  private void write() throws SQLException {
    List<Device> writers = Arrays.stream(devices).filter(d -> d.up() && d.paired && !d.muted).toList();
    if (writers.isEmpty()) {
      return;
    }
    Device d = writers.get(random.nextInt(writers.size()));
    String key = "k" + random.nextInt(KEYS);
    String col = COLUMNS.get(random.nextInt(COLUMNS.size()));
    Object value = random.nextInt(5) == 0 ? (Object) (step * 10 + d.index) : d.name + "-" + step;
    int kind = random.nextInt(100);
    String sql = kind < 40 ? "INSERT INTO " + TABLE + "(id, " + col + ") VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET "
        + col + " = excluded." + col
        : kind < 85 ? "UPDATE " + TABLE + " SET " + col + " = ? WHERE id = ?" : "DELETE FROM " + TABLE + " WHERE id = ?";
    try (PreparedStatement s = d.app.prepareStatement(sql)) {
      if (kind < 40) {
        s.setString(1, key);
        s.setObject(2, value);
      } else if (kind < 85) {
        s.setObject(1, value);
        s.setString(2, key);
      } else {
        s.setString(1, key);
      }
      s.executeUpdate();
    }
    count(kind < 40 ? "writes: upserts" : kind < 85 ? "writes: updates" : "writes: deletes");
    if (d.revoked) {
      writtenWhenRevoked.add(MergeModel.typed(value));
      count("writes by revoked devices");
    } else {
      observe(d);
    }
  }

  /** Folds the device's own new changes to the table into the model. */
  private void observe(Device d) {
    ChangeBatch batch;
    do {
      batch = d.db.changes(d.read, 10_000);
      for (Change c : batch.changes()) {
        if (c.table().equals(TABLE) && Arrays.equals(c.siteId(), d.site)) {
          model.apply(c);
        }
      }
      d.read = batch.next();
    } while (!batch.caughtUp());
  }

  /** The real pairing steps, the codes carried as their string forms (what the QR codes hold). */
  private void pair(Device d) throws IOException {
    Device first = devices[0];
    if (!first.up()) {
      open(first);
    }
    createDatabase(d);
    Pairing pairing = Pairing.open(first.db, first.keys);
    PairingChallenge challenge = PairingChallenge.decode(pairing.createChallenge(userId, List.of()).encode());
    PairingResponse response = PairingResponse.create(challenge, d.keys, d.db.siteId(), "device " + d.name);
    pairing.approve(PairingResponse.decode(response.encode()), challenge);
    d.pairedWith = challenge.authorizerId();
    d.serverAnchor = challenge.serverAnchor();
    d.paired = true;
    d.db.close();
    d.db = null;
    open(d);
    count("pairings");
  }

  /**
   * Revokes a random paired device other than the first, on the first, once everything written so far is
   * everywhere: a revoked device's changes are refused and left out by relays, also those made before
   * (docs/SECURITY.md), so only changes that arrived before the revocation may count in the model. The
   * revoked device then stays silent until every other device knows (else one that does not yet would
   * still take its writes). The server may learn later: what it takes from the revoked device meanwhile,
   * the devices refuse, and it leaves out once it knows.
   */
  private void revokeOne() throws Exception {
    List<Device> candidates = Arrays.stream(devices).filter(d -> d.index > 0 && d.counts()).toList();
    if (candidates.isEmpty()) {
      return;
    }
    String difference = settle(120);
    if (difference != null) {
      defects.add("before a revocation at step " + step + ": " + difference);
      return;
    }
    Device victim = candidates.get(random.nextInt(candidates.size()));
    Devices.open(devices[0].db).revoke(victim.keys.deviceId());
    victim.revoked = true;
    victim.muted = true;
    count("revocations");
    count(victim.viaServer ? "revoked: a device of the server" : "revoked: a LAN device");
  }

  private void unmuteWhereAllKnow() {
    for (Device victim : devices) {
      if (!victim.muted) {
        continue;
      }
      boolean allKnow = Arrays.stream(devices).filter(Device::counts)
          .allMatch(d -> d.up() && !Devices.open(d.db).isAuthorized(victim.keys.deviceId(), userId));
      if (allKnow) {
        victim.muted = false;
        count("revoked devices writing again");
      }
    }
  }

  private void restartServer() throws IOException {
    server.close();
    startServer("127.0.0.1:" + serverPort);
    count("server restarts");
  }

  private void startServer(String listen) throws IOException {
    server = CfostServer.start(ServerConfig.builder().listen(listen).dataDir(dir.resolve("server"))
        .argon2(FAST_ARGON).build());
  }

  private URI serverUri() {
    return URI.create("http://127.0.0.1:" + serverPort);
  }

  private void createDatabase(Device d) {
    d.db = Cfost.open(CfostOptions.builder(d.file).captureInterval(Duration.ofMillis(5)).build());
    d.keys = DeviceKeys.forDatabase(d.db);
    ensureTables(d.db);
  }

  private static void ensureTables(Cfost db) {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + "(id TEXT PRIMARY KEY NOT NULL, title TEXT, n)");
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
    db.replicate(TABLE);
    Users.open(db, FAST_ARGON);
    Devices.open(db);
  }

  private void open(Device d) throws IOException {
    d.db = Cfost.open(CfostOptions.builder(d.file).captureInterval(Duration.ofMillis(5)).build());
    d.app = d.db.connect();
    d.site = d.db.siteId();
    ensureTables(d.db);
    keysByNode.put(d.name, d.keys.tlsKeyPair().getPublic());
    SyncTrust trust = SyncTrust.forUser(d.db, d.keys, userId, d.pairedWith, d.serverAnchor);
    if (d.lan) {
      PeerOptions.Builder options = PeerOptions.builder()
          .transport(new KeyedMemoryTransport(net.transport(d.name), keysByNode)).discovery(false)
          .backoff(10, 200).keepAlive(300, 3_000).maxBatchChanges(1 + random.nextInt(60));
      for (int other = d.index + 1; other < 3; other++) {
        options.peer(new PeerAddress("d" + other, 0));
      }
      d.lanPeer = listen(d, Peer.create(d.db, trust.applyTo(options).build()));
    }
    if (d.viaServer) {
      if (d.client == null) {
        d.client = ServerClient.builder(serverUri()).tokenFile(ServerClient.tokenFileOf(d.file))
            .timeout(Duration.ofSeconds(5)).build();
        d.client.login("alice", PASSWORD.toCharArray());
      }
      d.serverPeer = listen(d, Peer.create(d.db, trust.applyToServer(PeerOptions.builder()
          .transport(d.client.transport(d.db, d.keys, userId)).discovery(true).discoveryInterval(100)
          .backoff(20, 500).maxBatchChanges(1 + random.nextInt(60))).build()));
    }
    d.downFor = -1;
  }

  private Peer listen(Device d, Peer peer) throws IOException {
    peer.addListener(new PeerListener() {
      @Override
      public void onError(String peerId, Throwable error) {
        String kind = error instanceof SyncException e ? e.code()
            : error instanceof ServerException e ? "server: " + e.code() : error.getClass().getSimpleName();
        errors.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
        // The server's answers (unreachable while it restarts, a refused token) are counted, not defects.
        if (DEFECT_CODES.contains(kind) || error instanceof CfostException && !(error instanceof SyncException)
            && !(error instanceof ServerException)) {
          defects.add(d.name + " from " + peerId + ": " + error);
        }
      }
    });
    peer.start();
    return peer;
  }

  private void close(Device d) {
    try {
      d.app.close();
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
    if (d.lanPeer != null) {
      d.lanPeer.close();
    }
    if (d.serverPeer != null) {
      d.serverPeer.close();
    }
    d.db.close();
    d.lanPeer = null;
    d.serverPeer = null;
    d.db = null;
  }

  /**
   * Opens every paired device, heals the network, stops loss, and waits up to {@code seconds} until every
   * device that counts holds exactly the model's rows and none holds a value written by a revoked device
   * after its revocation. Returns the first difference if they do not.
   */
  String settle(int seconds) throws Exception {
    for (Device d : devices) {
      if (d.paired && !d.up()) {
        open(d);
      }
    }
    net.heal();
    net.latency(0, 2).loss(0).duplicates(0.02).reordering(0.02);
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (true) {
      Map<String, String> expected = model.expected(COLUMNS);
      String difference = null;
      for (Device d : devices) {
        if (!d.counts()) {
          continue;
        }
        Map<String, String> actual = dump(d.db);
        for (String row : actual.values()) {
          for (String cell : row.split("\\|")) {
            if (writtenWhenRevoked.contains(cell)) {
              return d.name + " holds " + cell + ", which a revoked device wrote after its revocation";
            }
          }
        }
        if (!actual.equals(expected) && difference == null) {
          difference = d.name + " differs from the model: " + firstDifference(expected, actual);
        }
      }
      if (difference == null) {
        return null;
      }
      if (System.nanoTime() > deadline) {
        return difference;
      }
      Thread.sleep(100);
    }
  }

  private static String firstDifference(Map<String, String> expected, Map<String, String> actual) {
    Set<String> keys = new TreeSet<>(expected.keySet());
    keys.addAll(actual.keySet());
    long differences = keys.stream().filter(k -> !Objects.equals(expected.get(k), actual.get(k))).count();
    String first = keys.stream().filter(k -> !Objects.equals(expected.get(k), actual.get(k)))
        .findFirst().map(k -> "expected " + expected.get(k) + ", found " + actual.get(k)).orElse("");
    return differences + " rows, first: " + first;
  }

  private static Map<String, String> dump(Cfost db) throws SQLException {
    Map<String, String> rows = new TreeMap<>();
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, typeof(title), title, typeof(n), n FROM " + TABLE)) {
      while (rs.next()) {
        StringBuilder line = new StringBuilder(rs.getString(1));
        for (int i = 0; i < COLUMNS.size(); i++) {
          String type = rs.getString(2 + 2 * i);
          line.append('|').append(type).append(':').append(type.equals("null") ? "" : rs.getString(3 + 2 * i));
        }
        rows.put(rs.getString(1), line.toString());
      }
    }
    return rows;
  }

  int rowsExpected() {
    return model.expected(COLUMNS).size();
  }

  long changesModelled() {
    return model.applied();
  }

  private void count(String what) {
    counts.merge(what, 1L, Long::sum);
  }

  @Override
  public void close() {
    for (Device d : devices) {
      if (d.up()) {
        close(d);
      }
    }
    server.close();
    net.close();
  }
}
