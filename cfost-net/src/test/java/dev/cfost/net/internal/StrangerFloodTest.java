package dev.cfost.net.internal;

import dev.cfost.net.SyncMessage;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import dev.cfost.net.Peer;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.PeerListener;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Strangers on the LAN who never pass hello cannot push their text into the listeners (the CLI daemon's
 * log is one) nor grow the listener queue: their error frames raise no event, and this side's refusals
 * raise a few a minute at most.
 */
class StrangerFloodTest extends AttackFixture {
  @Test
  void connectionsRefusedBeforeHelloRaiseFewListenerEventsAndNeverTheStrangersText() throws Exception {
    Cfost a = replica("a");
    Peer p = Peer.create(a, options(key(), true).authorizer((k, id) -> "nobody is authorized").build());
    AtomicLong events = new AtomicLong();
    p.addListener(new PeerListener() {
      @Override
      public void onError(String peerId, Throwable e) {
        events.incrementAndGet();
      }
    });
    PeerAddress at = listen(p);
    String junk = "\u0001".repeat(10_000);
    for (int i = 0; i < 50; i++) {
      try (RawPeer r = new RawPeer(at)) {
        r.send(new SyncMessage.Error("x", junk)); // an error frame instead of hello
        assertThat(r.closedWithin(5_000)).as("connection " + i + " closed").isTrue();
      }
    }
    Thread.sleep(300); // listeners run on their own thread
    assertThat(events.get()).as("listener events carrying strangers' text").isZero();
    for (int i = 0; i < 50; i++) {
      try (RawPeer r = new RawPeer(at)) {
        r.send(new SyncMessage.Ping(1)); // anything but hello first: this side's own refusal
        assertThat(r.closedWithin(5_000)).isTrue();
      }
    }
    Thread.sleep(300);
    assertThat(events.get()).as("events for this side's refusals before hello, a few a minute at most")
        .isBetween(1L, (long) PeerEngine.STRANGER_EVENTS_PER_MINUTE * 2);
  }
}
