package dev.cfost.net.internal;

import dev.cfost.net.SyncMessage;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import dev.cfost.Cursor;
import dev.cfost.Values;
import dev.cfost.net.Peer;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.SyncProgress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Flow control against a peer that asks for everything and never reads, over TLS on 127.0.0.1. */
class FlowControlTest extends AttackFixture {
  @Test
  void unsolicitedReceivedMessagesDoNotOpenTheWindow() throws Exception {
    Cfost a = replica("a");
    sql(a, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)"
        + " INSERT INTO todo SELECT 'r' || i, 'some title ' || i, 'ann' FROM n");
    Peer pa = Peer.create(a, options(key(), true).maxBatchChanges(100).window(4).build());
    PeerAddress at = listen(pa);
    String site = "0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d";

    RawPeer greedy = attacker(at, key());
    greedy.send(new SyncMessage.Hello(Session.PROTOCOL, dev.cfost.net.Topic.of(a.databaseId()).hex(), site,
        "greedy", 0, List.of("changes", "live")));
    greedy.send(new SyncMessage.Request(Cursor.START));
    // Never reads again; claims to have taken batches it never read, and acknowledges what was never sent.
    for (int i = 0; i < 2_000; i++) {
      greedy.send(new SyncMessage.Received(Cursor.since(i)));
      greedy.send(new SyncMessage.Ack(Cursor.since(1_000_000 + i)));
    }
    Thread.sleep(3_000);
    SyncProgress p = progressOf(pa, site);
    assertThat(p).isNotNull();
    // 40,000 changes are there to send; the window is 4 batches of at most 100 changes.
    assertThat(p.changesSent()).as("changes a queued for a peer that reads nothing").isLessThanOrEqualTo(400);
    assertThat(Values.hex(a.siteId())).isNotEqualTo(site);
  }
}
