package dev.cfost.net.internal;

import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import dev.cfost.net.Peer;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.PeerOptions;
import dev.cfost.net.SyncProgress;
import dev.cfost.net.TlsIdentity;
import dev.cfost.net.Transports;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** Replicas, listening peers on 127.0.0.1 and attackers for the attack tests; everything closed after each. */
abstract class AttackFixture {
  @TempDir Path dir;
  final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  <T extends AutoCloseable> T closing(T c) {
    open.add(0, c);
    return c;
  }

  Cfost replica(String name) {
    Cfost db = closing(Cfost.open(CfostOptions.builder(dir.resolve(name + ".db")).captureInterval(Duration.ofMillis(5)).build()));
    sql(db, "CREATE TABLE IF NOT EXISTS todo(id TEXT PRIMARY KEY NOT NULL, title TEXT, owner TEXT)");
    db.replicate("todo");
    return db;
  }

  static KeyPair key() throws Exception {
    return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
  }

  /** Options for a peer of {@code db} with its own key, listening on 127.0.0.1 when {@code listen}. */
  static PeerOptions.Builder options(KeyPair key, boolean listen) throws Exception {
    return PeerOptions.builder()
        .transport(Transports.tcp(TlsIdentity.forKeys(key), listen ? new InetSocketAddress("127.0.0.1", 0) : null, false))
        .discovery(false).backoff(20, 200);
  }

  PeerAddress listen(Peer p) throws Exception {
    closing(p);
    return p.start().get(0);
  }

  RawPeer attacker(PeerAddress to, KeyPair key) throws Exception {
    return closing(new RawPeer(to, key));
  }

  static SyncProgress progressOf(Peer p, String site) {
    return p.progress().stream().filter(x -> x.peerId().equals(site)).findFirst().orElse(null);
  }

  static void sql(Cfost db, String... statements) {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  static long count(Cfost db, String where) {
    try (Connection c = db.connect(); Statement s = c.createStatement();
        var rs = s.executeQuery("SELECT count(*) FROM todo WHERE " + where)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  static void await(String what, int seconds, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + seconds + " s waiting for: " + what);
      }
      Thread.sleep(10);
    }
  }
}
