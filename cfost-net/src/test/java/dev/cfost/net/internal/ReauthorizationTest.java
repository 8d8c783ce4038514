package dev.cfost.net.internal;

import dev.cfost.net.SyncMessage;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import dev.cfost.ChangeBatch;
import dev.cfost.Cursor;
import dev.cfost.Values;
import dev.cfost.net.Peer;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.PeerAuthorizer;
import dev.cfost.net.PeerListener;
import dev.cfost.net.SyncProgress;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A revocation ends a live session, over TLS on 127.0.0.1 with device keys in the certificates. */
class ReauthorizationTest extends AttackFixture {
  final Set<String> authorized = ConcurrentHashMap.newKeySet();
  final PeerAuthorizer authorizer = (key, deviceId) -> key != null && authorized.contains(id(key)) ? null
      : "device " + deviceId + " is not authorized for this user";

  static String id(java.security.PublicKey k) {
    return Base64.getEncoder().encodeToString(k.getEncoded());
  }

  @Test
  void aDeviceRevokedWhileConnectedGetsNoNewChangeAndIsDisconnected() throws Exception {
    KeyPair ka = key();
    KeyPair kb = key();
    authorized.add(id(ka.getPublic()));
    authorized.add(id(kb.getPublic()));
    Cfost a = replica("a");
    Cfost b = replica("b");
    BlockingQueue<Throwable> errorsA = new LinkedBlockingQueue<>();
    Peer pa = Peer.create(a, options(ka, true).authorizer(authorizer).build());
    pa.addListener(new PeerListener() {
      @Override
      public void onError(String peerId, Throwable error) {
        errorsA.add(error);
      }
    });
    PeerAddress at = listen(pa);
    sql(a, "INSERT INTO todo VALUES ('before', 'x', 'a')");
    Peer pb = closing(Peer.create(b, options(kb, false).authorizer(authorizer).peer(at).build()));
    pb.start();
    await("b has a's row", 15, () -> count(b, "id = 'before'") == 1);
    String siteB = Values.hex(b.siteId());
    await("a has delivered to b", 15, () -> {
      SyncProgress p = progressOf(pa, siteB);
      return p != null && p.connected() && p.delivered();
    });

    // b is revoked (the stolen device stays connected and writes nothing), then a writes.
    authorized.remove(id(kb.getPublic()));
    sql(a, "INSERT INTO todo VALUES ('after', 'secret', 'a')");
    Throwable refused = errorsA.poll(15, TimeUnit.SECONDS);
    assertThat(refused).as("a reports ending b's session").isNotNull();
    assertThat(refused.getMessage()).contains("unauthorized");
    await("a ended b's session", 15, () -> !progressOf(pa, siteB).connected());
    Thread.sleep(500);
    assertThat(count(b, "id = 'after'")).as("rows b received after its revocation").isZero();
  }

  @Test
  void aRevokedDeviceThatSendsAndReceivesNothingIsDisconnectedByThePeriodicCheck() throws Exception {
    KeyPair ka = key();
    KeyPair kb = key();
    authorized.add(id(ka.getPublic()));
    authorized.add(id(kb.getPublic()));
    Cfost a = replica("a");
    Cfost b = replica("b");
    Peer pa = Peer.create(a, options(ka, true).authorizer(authorizer).reauthorizeEvery(300).build());
    PeerAddress at = listen(pa);
    Peer pb = closing(Peer.create(b, options(kb, false).authorizer(authorizer).peer(at).build()));
    pb.start();
    String siteB = Values.hex(b.siteId());
    await("b is connected", 15, () -> {
      SyncProgress p = progressOf(pa, siteB);
      return p != null && p.connected();
    });
    authorized.remove(id(kb.getPublic())); // nothing is written anywhere after this
    await("a ended b's session", 5, () -> !progressOf(pa, siteB).connected());
  }

  @Test
  void batchesQueuedBeforeARevocationAreNotMergedAfterIt() throws Exception {
    KeyPair ka = key();
    KeyPair kb = key();
    authorized.add(id(ka.getPublic()));
    authorized.add(id(kb.getPublic()));
    Cfost a = replica("a");
    Cfost b = replica("b"); // only makes b's changes; b's side of the session is a raw peer
    for (int i = 0; i < 3; i++) {
      sql(b, "INSERT INTO todo VALUES ('queued" + i + "', 'x', 'b')");
    }
    b.capture();
    PeerAddress at = listen(Peer.create(a, options(ka, true).authorizer(authorizer).build()));
    RawPeer pb = attacker(at, kb);
    byte[] siteB = b.siteId();
    pb.send(new SyncMessage.Hello(Session.PROTOCOL, dev.cfost.net.Topic.of(a.databaseId()).hex(), Values.hex(siteB),
        "device-b", 0, List.of("changes", "live")));
    SyncMessage.Request asked = pb.await(SyncMessage.Request.class, 10_000);
    assertThat(asked).as("a accepts b's hello").isNotNull();
    Cursor before = a.peerCursor(siteB);
    List<ChangeBatch> batches = new ArrayList<>();
    for (Cursor c = asked.cursor(); ; ) {
      ChangeBatch batch = b.changes(c, 2);
      if (batch.changes().isEmpty()) {
        break;
      }
      batches.add(batch);
      c = batch.next();
    }
    assertThat(batches).hasSizeGreaterThan(1);

    // An application transaction holds SQLite's write lock: the batches are checked and queued, not merged.
    try (java.sql.Connection lock = a.connect(); java.sql.Statement s = lock.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
      Cursor from = asked.cursor();
      for (int i = 0; i < batches.size(); i++) {
        ChangeBatch batch = batches.get(i);
        pb.send(new SyncMessage.Changes(from, batch.next(), batch.changes(), batches.size() - 1 - i));
        from = batch.next();
      }
      pb.send(new SyncMessage.Ping(7));
      assertThat(pb.await(SyncMessage.Pong.class, 5_000)).as("a's reader took the batches").isNotNull();
      Thread.sleep(300); // the merger waits for the write lock
      // b is revoked: in the test the authorizer's set is the device list. Nothing is committed here, so
      // no re-check after a commit races the merger: only the merge itself can notice.
      authorized.remove(id(kb.getPublic()));
      s.execute("ROLLBACK");
    }
    SyncMessage.Error refused = pb.await(SyncMessage.Error.class, 10_000);
    assertThat(refused).as("a ends b's session").isNotNull();
    assertThat(refused.code()).isEqualTo("unauthorized");
    Thread.sleep(300);
    assertThat(count(a, "id LIKE 'queued%'")).as("b's rows merged after its revocation").isZero();
    assertThat(a.peerCursor(siteB)).isEqualTo(before);
  }
}
