package dev.cfost.net.internal;

import dev.cfost.net.SyncMessage;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import dev.cfost.Cursor;
import dev.cfost.Values;
import dev.cfost.net.Peer;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.PeerAuthorizer;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** A peer claiming another device's site id (docs/SECURITY.md), over TLS on 127.0.0.1. */
class SiteClaimTest extends AttackFixture {
  @Test
  void aHelloClaimingASiteBoundToAnotherDeviceIsRefused() throws Exception {
    Cfost a = replica("a");
    KeyPair kc = key();
    byte[] siteB = Values.unhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
    byte[] siteC = Values.unhex("0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c");
    Map<String, byte[]> bound = new ConcurrentHashMap<>(); // device id -> site
    bound.put("device-b", siteB);
    bound.put("device-c", siteC);
    String keyC = Values.hex(kc.getPublic().getEncoded());
    PeerAuthorizer authorizer = new PeerAuthorizer() {
      @Override
      public String refusal(PublicKey key, String deviceId) {
        return key != null && Values.hex(key.getEncoded()).equals(keyC) && deviceId.equals("device-c") ? null
            : "device " + deviceId + " is not authorized";
      }

      // Not an @Override before the fix: there the session never asks.
      public String refusal(PublicKey key, String deviceId, byte[] site) {
        String refusal = refusal(key, deviceId);
        if (refusal != null) {
          return refusal;
        }
        return Arrays.equals(bound.get(deviceId), site) ? null
            : "device " + deviceId + " announces site " + Values.hex(site) + ", which is not its own";
      }
    };
    PeerAddress at = listen(Peer.create(a, options(key(), true).authorizer(authorizer).build()));

    // The authorized device c claims b's site: it would learn a's cursor for b and could move it.
    RawPeer c = attacker(at, kc);
    c.send(new SyncMessage.Hello(Session.PROTOCOL, dev.cfost.net.Topic.of(a.databaseId()).hex(), Values.hex(siteB),
        "device-c", 0, List.of("changes", "live")));
    SyncMessage.Error refused = c.await(SyncMessage.Error.class, 10_000);
    assertThat(refused).as("a refuses the hello").isNotNull();
    assertThat(refused.code()).isEqualTo("unauthorized");
    assertThat(refused.message()).contains("not its own");
    assertThat(c.closedWithin(5_000)).isTrue();
  }

  @Test
  void anEoseDoesNotMoveTheCursorPastWhatWasMerged() throws Exception {
    Cfost a = replica("a");
    byte[] siteB = Values.unhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
    PeerAddress at = listen(Peer.create(a, options(key(), true).build()));
    Cursor before = a.peerCursor(siteB);

    // Without identities anyone may claim b's site; it must not make a skip b's changes.
    RawPeer fake = attacker(at, key());
    fake.send(new SyncMessage.Hello(Session.PROTOCOL, dev.cfost.net.Topic.of(a.databaseId()).hex(), Values.hex(siteB),
        "fake", 0, List.of("changes", "live")));
    SyncMessage.Request asked = fake.await(SyncMessage.Request.class, 10_000);
    assertThat(asked).isNotNull();
    assertThat(asked.cursor()).isEqualTo(before);
    fake.send(new SyncMessage.Eose(before, Cursor.since(1_000_000)));
    fake.send(new SyncMessage.Ping(1));
    assertThat(fake.await(SyncMessage.Pong.class, 5_000)).isNotNull();
    Thread.sleep(500); // the merger handles eose after the reader queued it
    fake.close();
    assertThat(a.peerCursor(siteB)).as("a's cursor for b").isEqualTo(before);
  }
}
