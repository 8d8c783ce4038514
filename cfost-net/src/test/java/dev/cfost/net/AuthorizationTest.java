package dev.cfost.net;

import static dev.cfost.net.Nodes.await;
import static dev.cfost.net.Nodes.dump;
import static dev.cfost.net.Nodes.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Device keys in TLS certificates: only authorized devices sync, a revocation applies at the next connect. */
class AuthorizationTest {
  @TempDir Path dir;
  final List<AutoCloseable> open = new ArrayList<>();
  final Set<String> authorized = ConcurrentHashMap.newKeySet();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  static KeyPair deviceKey() throws Exception {
    return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
  }

  static String id(java.security.PublicKey k) {
    return Base64.getEncoder().encodeToString(k.getEncoded());
  }

  private Peer peer(Cfost db, KeyPair key, boolean listen, PeerAddress target, BlockingQueue<Throwable> errors)
      throws Exception {
    PeerOptions.Builder b = PeerOptions.builder()
        .transport(Transports.tcp(TlsIdentity.forKeys(key), listen ? new InetSocketAddress("127.0.0.1", 0) : null, false))
        .discovery(false).backoff(20, 200)
        .authorizer((peerKey, deviceId) -> peerKey == null ? "the peer proved no key"
            : authorized.contains(id(peerKey)) ? null : "device " + deviceId + " is not authorized for this user");
    if (target != null) {
      b.peer(target);
    }
    Peer p = Peer.create(db, b.build());
    p.addListener(new PeerListener() {
      @Override
      public void onError(String peerId, Throwable error) {
        errors.add(error);
      }
    });
    open.add(0, p);
    return p;
  }

  @Test
  void onlyAuthorizedDevicesSyncAndARevokedOneIsRefusedAtItsNextConnect() throws Exception {
    KeyPair ka = deviceKey();
    KeyPair kb = deviceKey();
    KeyPair kc = deviceKey();
    authorized.add(id(ka.getPublic()));
    authorized.add(id(kb.getPublic()));
    Cfost a = Nodes.replica(dir.resolve("a.db"));
    Cfost b = Nodes.replica(dir.resolve("b.db"));
    Cfost c = Nodes.replica(dir.resolve("c.db"));
    open.add(a);
    open.add(b);
    open.add(c);
    BlockingQueue<Throwable> errorsA = new LinkedBlockingQueue<>();
    PeerAddress addrA = peer(a, ka, true, null, errorsA).start().get(0);

    sql(b, "INSERT INTO todo VALUES ('from-b', 'authorized', 'b')");
    Peer pb = peer(b, kb, false, addrA, new LinkedBlockingQueue<>());
    pb.start();
    await("the authorized device's row arrives", 15, () -> dump(a).contains("from-b|authorized|b"));

    // An unknown device: refused by a, which logs it (a refusal before hello raises no event on a: see
    // StrangerFloodTest); c learns why.
    sql(c, "INSERT INTO todo VALUES ('from-c', 'intruder', 'c')");
    BlockingQueue<Throwable> errorsC = new LinkedBlockingQueue<>();
    peer(c, kc, false, addrA, errorsC).start();
    Throwable told = errorsC.poll(15, TimeUnit.SECONDS);
    assertThat(told).isNotNull();
    assertThat(told.getMessage()).contains("unauthorized").contains("not authorized for this user");
    assertThat(dump(a)).doesNotContain("from-c|intruder|c");

    // Revoke b: its next session is refused and its new rows stay out.
    authorized.remove(id(kb.getPublic()));
    pb.close();
    open.remove(pb);
    sql(b, "INSERT INTO todo VALUES ('after-revoke', 'x', 'b')");
    BlockingQueue<Throwable> errorsB = new LinkedBlockingQueue<>();
    peer(b, kb, false, addrA, errorsB).start();
    Throwable revoked = errorsB.poll(15, TimeUnit.SECONDS);
    assertThat(revoked).isNotNull();
    assertThat(revoked.getMessage()).contains("not authorized");
    assertThat(dump(a)).doesNotContain("after-revoke|x|b");
  }
}
