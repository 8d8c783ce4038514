package dev.cfost.net.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import dev.cfost.Cursor;
import dev.cfost.net.Peer;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.SyncMessage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The stream a peer sends once caught up, read frame by frame over TLS on 127.0.0.1. */
class LiveStreamTest extends AttackFixture {
  @Test
  void liveBatchesAfterTheEoseComeAloneEachContinuingTheLast() throws Exception {
    Cfost a = replica("a");
    sql(a, "INSERT INTO todo VALUES ('r1', 'milk', 'ann')");
    Peer pa = Peer.create(a, options(key(), true).build());
    PeerAddress at = listen(pa);
    RawPeer b = attacker(at, key());
    b.send(new SyncMessage.Hello(Session.PROTOCOL, dev.cfost.net.Topic.of(a.databaseId()).hex(),
        "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "b", 0, List.of("changes", "live")));
    b.send(new SyncMessage.Request(Cursor.START));
    Cursor at0 = Cursor.START;
    while (true) {
      SyncMessage m = b.receive(10_000);
      assertThat(m).as("the stored events, then an eose").isNotNull();
      if (m instanceof SyncMessage.Changes c) {
        assertThat(c.from()).isEqualTo(at0);
        at0 = c.cursor();
        b.send(new SyncMessage.Received(c.cursor()));
      } else if (m instanceof SyncMessage.Eose e) {
        assertThat(e.from()).isEqualTo(at0);
        at0 = e.cursor();
        break;
      }
    }
    for (int round = 0; round < 3; round++) {
      sql(a, "INSERT INTO todo VALUES ('live" + round + "', 'eggs', 'ann')");
      SyncMessage m = nextSyncMessage(b, 10_000);
      assertThat(m).as("round %d", round).isInstanceOf(SyncMessage.Changes.class);
      SyncMessage.Changes live = (SyncMessage.Changes) m;
      assertThat(live.from()).isEqualTo(at0);
      assertThat(live.remaining()).isZero();
      b.send(new SyncMessage.Received(live.cursor()));
      at0 = live.cursor();
      assertThat(nextSyncMessage(b, 300)).as("nothing after a live batch (no eose) in round %d", round).isNull();
    }
  }

  /** The next message that is not a ping (keep-alives come on their own schedule), or null after {@code millis}. */
  private static SyncMessage nextSyncMessage(RawPeer p, int millis) throws Exception {
    long deadline = System.nanoTime() + millis * 1_000_000L;
    while (System.nanoTime() < deadline) {
      SyncMessage m = p.receive((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000L));
      if (!(m instanceof SyncMessage.Ping)) {
        return m;
      }
    }
    return null;
  }
}
