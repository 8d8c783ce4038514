package dev.cfost.identity;

import dev.cfost.SealedChanges;
import dev.cfost.Seal;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import dev.cfost.Change;
import dev.cfost.ChangeBatch;
import dev.cfost.Cursor;
import dev.cfost.identity.internal.SqlChangeSeals;
import dev.cfost.net.BatchSealer;
import dev.cfost.net.MemoryNetwork;
import dev.cfost.net.Peer;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.PeerListener;
import dev.cfost.net.PeerOptions;
import dev.cfost.net.SyncException;
import dev.cfost.net.Transports;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three devices of one user in a line, A - B - C, over the in-memory network: C gets A's changes only
 * through B, verifies them against A's seal, and refuses every batch that B altered or signed for A.
 */
class SealedRelayTest {
  @TempDir Path dir;
  final List<AutoCloseable> open = new ArrayList<>();
  final DeviceKeys ka = DeviceKeys.generate();
  final DeviceKeys kb = DeviceKeys.generate();
  final DeviceKeys kc = DeviceKeys.generate();
  MemoryNetwork net;
  Cfost a;
  Cfost b;
  Cfost c;
  String alice;

  @BeforeEach
  void threeDevicesOfOneUser() {
    net = new MemoryNetwork(7);
    a = replica("a.db");
    b = replica("b.db");
    c = replica("c.db");
    alice = Users.open(a, new Argon2Params(1024, 1, 1)).register("alice", "alice@example.org", "correct horse".toCharArray());
    Devices devices = Devices.open(a);
    devices.add(alice, ka.publicKey(), "a", null);
    devices.add(alice, kb.publicKey(), "b", ka.deviceId());
    devices.add(alice, kc.publicKey(), "c", ka.deviceId());
    devices.bindSite(ka.deviceId(), a.siteId());
    devices.bindSite(kb.deviceId(), b.siteId());
    devices.bindSite(kc.deviceId(), c.siteId());
    // The device list reaches b and c before they sync (as pairing and a first sync would bring it).
    takeDeviceListOfA(b);
    takeDeviceListOfA(c);
  }

  /** What a first sync with a gives {@code to}: everything a has, the device list included. */
  private void takeDeviceListOfA(Cfost to) {
    Devices.open(to);
    ChangeBatch all = a.changes(to.peerCursor(a.siteId()), 10_000);
    to.merge(all.changes());
    to.savePeerCursor(a.siteId(), all.next());
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable x : open) {
      x.close();
    }
    net.close();
  }

  @Test
  void cVerifiesTheChangesOfARelayedByB() throws Exception {
    sql(a, "INSERT INTO todo VALUES ('from-a', 'milk')");
    sql(b, "INSERT INTO todo VALUES ('from-b', 'bread')");
    BlockingQueue<Throwable> errors = line(UnaryOperator.identity());

    await("a's row reaches c through b", () -> dump(c).contains("from-a|milk") && dump(c).contains("from-b|bread"));
    sql(a, "UPDATE todo SET title = 'oat milk' WHERE id = 'from-a'");
    await("a live edit reaches c through b", () -> dump(c).contains("from-a|oat milk"));
    assertThat(errors).isEmpty();
  }

  @Test
  void cConvergesWhenADevicesDataReachesItBeforeThatDevicesRow() throws Exception {
    // d is paired by a after c last saw the device list, so c does not know d (b does). d's row is
    // written on a (sealed by a, whom c knows), then renamed after d's data arrived: in b's stream it now
    // comes after d's data, so c gets d's data, sealed by d, before it can know d.
    DeviceKeys kd = DeviceKeys.generate();
    Cfost d = replica("d.db");
    Devices onA = Devices.open(a);
    onA.add(alice, kd.publicKey(), "d", ka.deviceId());
    onA.bindSite(kd.deviceId(), d.siteId());
    takeDeviceListOfA(d);
    PeerAddress atA = start(peer("a", a, ka, null, UnaryOperator.identity()));
    PeerAddress atB = start(peer("b", b, kb, atA, UnaryOperator.identity()));
    await("b knows d", () -> deviceName(b, kd).equals("d"));
    start(peer("d", d, kd, atA, UnaryOperator.identity()));
    sql(d, "INSERT INTO todo VALUES ('from-d', 'eggs')");
    await("d's row reaches b", () -> dump(b).contains("from-d|eggs"));
    onA.rename(kd.deviceId(), "d, renamed");
    await("b has d's data and the renamed row", () -> dump(b).contains("from-d|eggs") && deviceName(b, kd).equals("d, renamed"));
    BlockingQueue<Throwable> errors = startC(atB);

    await("c has d's data through b", () -> dump(c).contains("from-d|eggs"));
    assertThat(deviceName(c, kd)).isEqualTo("d, renamed");
    assertThat(errors).isEmpty();
  }

  @Test
  void aBatchThatTheRelayAlteredIsRefusedWholeAndNothingOfItApplied() throws Exception {
    BlockingQueue<Throwable> errors = relayedByB(sealed -> new SealedChanges(sealed.changes().stream()
        .map(x -> isA(x) && x.cid().equals("title") ? withValue(x, "poison") : x).toList(), sealed.seals()));

    Throwable refused = errors.poll(20, TimeUnit.SECONDS);

    assertThat(refused).isInstanceOf(SyncException.class);
    assertThat(((SyncException) refused).code()).isEqualTo("unsigned_change");
    assertThat(refused.getMessage()).contains("'todo'", "'title'", dev.cfost.Values.hex(a.siteId()), "altered");
    assertThat(dump(c)).isEmpty(); // b's own row came in the same batch: refused with it
  }

  @Test
  void aRelaySigningTheChangesOfAWithItsOwnKeyIsRefused() throws Exception {
    BlockingQueue<Throwable> errors = relayedByB(sealed -> {
      List<byte[]> digests = sealed.changes().stream().map(ChangeSeals::digest).toList();
      byte[] signature = kb.sign(SqlChangeSeals.signedBytes(b.databaseId(), digests));
      return new SealedChanges(sealed.changes(), List.of(new Seal(kb.deviceId().toString(), signature, digests)));
    });

    Throwable refused = errors.poll(20, TimeUnit.SECONDS);

    assertThat(refused).isInstanceOf(SyncException.class);
    assertThat(((SyncException) refused).code()).isEqualTo("site_mismatch");
    assertThat(refused.getMessage()).contains(ka.deviceId().toString());
    assertThat(dump(c)).isEmpty();
  }

  /** a's and b's rows, then c joins the line with b's sealer wrapped by {@code hostile}; c's errors. */
  private BlockingQueue<Throwable> relayedByB(UnaryOperator<SealedChanges> hostile) throws Exception {
    sql(a, "INSERT INTO todo VALUES ('from-a', 'milk')");
    sql(b, "INSERT INTO todo VALUES ('from-b', 'bread')");
    return line(hostile);
  }

  /** Starts a, b (connected to a) and c (connected to b only); returns what c's peer reports as errors. */
  private BlockingQueue<Throwable> line(UnaryOperator<SealedChanges> bTampers) throws Exception {
    PeerAddress atA = start(peer("a", a, ka, null, UnaryOperator.identity()));
    PeerAddress atB = start(peer("b", b, kb, atA, bTampers));
    await("b has a's row", () -> dump(b).contains("from-a|milk")); // so b's first batch to c holds both rows
    return startC(atB);
  }

  /** Starts c, connected to b only; returns what c's peer reports as errors. */
  private BlockingQueue<Throwable> startC(PeerAddress atB) throws Exception {
    Peer pc = peer("c", c, kc, atB, UnaryOperator.identity());
    BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
    pc.addListener(new PeerListener() {
      @Override
      public void onError(String peerId, Throwable error) {
        errors.add(error);
      }
    });
    start(pc);
    return errors;
  }

  /** The name {@code db}'s device list gives the device of {@code keys}; empty if it has no such row. */
  private static String deviceName(Cfost db, DeviceKeys keys) {
    try (Connection conn = db.connect();
        java.sql.PreparedStatement ps = conn.prepareStatement("SELECT name FROM identity_devices WHERE device_id = ?")) {
      ps.setString(1, keys.deviceId().toString());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : "";
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  private Peer peer(String name, Cfost db, DeviceKeys keys, PeerAddress target, UnaryOperator<SealedChanges> tamper)
      throws IOException {
    BatchSealer real = SyncTrust.forUser(db, keys, alice, null).sealer().orElseThrow();
    BatchSealer sealer = new BatchSealer() {
      @Override
      public SealedChanges seal(List<Change> outgoing) {
        return tamper.apply(real.seal(outgoing));
      }

      @Override
      public List<Change> verify(String peerDeviceId, List<Change> incoming, List<Seal> seals) {
        return real.verify(peerDeviceId, incoming, seals);
      }

      @Override
      public List<Change> releasable() {
        return real.releasable();
      }

      @Override
      public void released(List<Change> merged) {
        real.released(merged);
      }
    };
    PeerOptions.Builder o = PeerOptions.builder().transport(Transports.memory(net, name)).discovery(false)
        .backoff(20, 500).keepAlive(500, 5_000).deviceId(keys.deviceId().toString()).sealer(sealer);
    if (target != null) {
      o.peer(target);
    }
    Peer p = Peer.create(db, o.build());
    open.add(0, p);
    return p;
  }

  private static PeerAddress start(Peer p) throws Exception {
    List<PeerAddress> at = p.start();
    return at.isEmpty() ? null : at.get(0);
  }

  private boolean isA(Change x) {
    return x.table().equals("todo") && Arrays.equals(x.siteId(), a.siteId());
  }

  private static Change withValue(Change x, Object value) {
    return new Change(x.table(), x.pk(), x.cid(), value, x.colVersion(), x.dbVersion(), x.siteId(), x.cl(), x.seq());
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

  private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(10);
    }
  }
}
