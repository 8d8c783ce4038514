package dev.cfost.net.internal;

import dev.cfost.net.SyncMessage;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import dev.cfost.net.Peer;
import dev.cfost.net.PeerAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a connection that has not said hello may cost, over TLS on 127.0.0.1. */
class UnauthorizedLimitsTest extends AttackFixture {
  @Test
  void aHugeFrameBeforeHelloIsRefusedAtOnce() throws Exception {
    Cfost a = replica("a");
    PeerAddress at = listen(Peer.create(a, options(key(), true).build()));
    RawPeer attacker = attacker(at, key());
    attacker.out.writeInt(64 << 20);
    attacker.out.flush();
    SyncMessage.Error refused = attacker.await(SyncMessage.Error.class, 5_000);
    assertThat(refused).isNotNull();
    assertThat(refused.code()).isEqualTo("frame_too_large");
    assertThat(refused.message()).contains("65536");
    assertThat(attacker.closedWithin(5_000)).isTrue();
  }

  @Test
  void aConnectionThatNeverSaysHelloIsClosedAtTheDeadline() throws Exception {
    Cfost a = replica("a");
    PeerAddress at = listen(Peer.create(a, options(key(), true).unauthorizedLimits(10_000, 500, 32).build()));
    RawPeer silent = attacker(at, key());
    long t0 = System.nanoTime();
    assertThat(silent.closedWithin(10_000)).isTrue();
    assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(300L, 5_000L);
  }

  @Test
  void connectionsBeyondTheCapOfUnauthorizedOnesAreClosedAtOnce() throws Exception {
    Cfost a = replica("a");
    PeerAddress at = listen(Peer.create(a, options(key(), true).unauthorizedLimits(10_000, 30_000, 3).build()));
    List<RawPeer> waiting = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      waiting.add(attacker(at, key()));
    }
    Thread.sleep(500); // the three are sessions now, waiting for their hello
    RawPeer extra = attacker(at, key());
    List<Boolean> closed = new ArrayList<>();
    for (RawPeer w : waiting) {
      closed.add(w.closedWithin(300));
    }
    closed.add(extra.closedWithin(5_000));
    assertThat(closed).as("which were closed").containsExactly(false, false, false, true);
  }
}
