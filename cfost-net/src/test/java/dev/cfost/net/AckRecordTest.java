package dev.cfost.net;

import static dev.cfost.net.Nodes.await;
import static dev.cfost.net.Nodes.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import dev.cfost.Cursor;
import dev.cfost.Values;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A sender's record of what a peer acknowledged ({@link PeerBook#ackedBy}) against crashes. */
class AckRecordTest {
  @TempDir Path dir;

  /**
   * Found by {@link PeerCrashIT}: a sender killed after the peer's ack arrived and before it was recorded
   * kept reporting those changes as pending for the peer, which had them, until it had something new to
   * send: a session that had nothing to send recorded nothing.
   */
  @Test
  void aPeersFirstRequestRecordsWhatItHoldsAlsoWhenACrashLostTheLastAck() throws Exception {
    try (MemoryNetwork net = new MemoryNetwork(7); Cfost a = Nodes.replica(dir.resolve("a.db"));
        Cfost b = Nodes.replica(dir.resolve("b.db"))) {
      sql(a, "INSERT INTO todo VALUES ('1', 'one', 'ann'), ('2', 'two', 'ann'), ('3', 'three', 'ann')");
      PeerBook book = PeerBook.of(a);
      String bSite = Values.hex(b.siteId());
      try (Peer pa = peer(net, "a", a, null); Peer pb = peer(net, "b", b, pa.start().get(0))) {
        pb.start();
        await("b holds a's rows and a recorded b's ack", 10, () -> Nodes.count(b) == 3 && book.pendingFor(bSite) == 0);
      }
      // What a crash between b's ack arriving and a recording it leaves: a record behind what b holds.
      book.acked(bSite, Cursor.START, System.currentTimeMillis());
      assertThat(book.pendingFor(bSite)).as("pending for b with the record lost").isPositive();

      try (Peer pa = peer(net, "a-again", a, null); Peer pb = peer(net, "b-again", b, pa.start().get(0))) {
        pb.start();
        await("a's record catches up with what b holds, with nothing new to send", 10,
            () -> book.pendingFor(bSite) == 0);
      }
      assertThat(book.ackedBy(bSite)).isEqualTo(b.peerCursor(a.siteId()));
    }
  }

  private static Peer peer(MemoryNetwork net, String name, Cfost db, PeerAddress dial) {
    PeerOptions.Builder options = PeerOptions.builder().transport(Transports.memory(net, name)).discovery(false)
        .backoff(20, 200).peerBook(PeerBook.of(db));
    if (dial != null) {
      options.peer(dial);
    }
    return Peer.create(db, options.build());
  }
}
