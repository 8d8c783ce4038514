package dev.cfost.net;

import static dev.cfost.net.Nodes.await;
import static dev.cfost.net.Nodes.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import dev.cfost.ChangeFilter;
import dev.cfost.Cursor;
import dev.cfost.Values;
import java.util.List;
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

  /**
   * Found by {@link PeerCrashIT} (a record ahead of the receiver's persisted cursor, in both directions):
   * a sender caught up on batches the peer had not acknowledged yet, whose next read found only the peer's
   * own changes (nothing to send), recorded the peer as holding everything up to there, the unacknowledged
   * batches included. The peer here takes no batch at all: its record must claim nothing until it acks.
   */
  @Test
  void aReadWithNothingToSendRecordsNoMoreThanThePeerAcknowledged() throws Exception {
    try (MemoryNetwork net = new MemoryNetwork(11); Cfost a = Nodes.replica(dir.resolve("a.db"));
        Cfost b = Nodes.replica(dir.resolve("b.db"))) {
      sql(a, "INSERT INTO todo VALUES ('1', 'one', 'ann'), ('2', 'two', 'ann')");
      PeerBook book = PeerBook.of(a);
      String bSite = Values.hex(b.siteId());
      Muffled deaf = new Muffled(true, false);
      try (Peer pa = peer(net, "a", a, null); Peer pb = muffledPeer(net, b, deaf, pa.start().get(0))) {
        pb.start();
        await("a sent its rows to b, which took none of them", 10, () -> deaf.received(SyncMessage.Changes.class) > 0);

        // One of b's own changes reaches a by another way: a's stream to b has nothing new, but moved on.
        sql(b, "INSERT INTO todo VALUES ('b1', 'from b', 'bob')");
        a.mergeAll(b.changes(Cursor.START, 100).changes().iterator());
        Cursor past = Cursor.since(a.changes(Cursor.START, 100).next().complete());
        await("a's read found nothing to send and told b so", 10, () -> deaf.sawEoseTo(past));
        // A later write of a's own: once b's side sees it sent from there, a has recorded what it records.
        sql(a, "INSERT INTO todo VALUES ('3', 'three', 'ann')");
        await("a sent its next write from past b's change", 10, () -> deaf.sawChangesFrom(past));
        long owed = a.changes(Cursor.START, 1000, ChangeFilter.ALL.excludingSite(b.siteId())).changes().size();
        assertThat(book.pendingFor(bSite)).as("a's record of b, which acknowledged nothing: %s", book.ackedBy(bSite))
            .isEqualTo(owed);

        // Once b listens, a's next batch does not continue b's cursor: b asks again from it and takes all.
        deaf.deaf = false;
        sql(a, "INSERT INTO todo VALUES ('4', 'four', 'ann')");
        await("b takes a's rows once it listens, and a's record follows its acks", 10,
            () -> Nodes.count(b) == 5 && book.pendingFor(bSite) == 0);
      }
    }
  }

  /**
   * What peer b's connections do with its frames: its own batches never leave (its rows reach a by the
   * test's hand, so that a merges them outside the session) and, as told, it drops every batch and eose it
   * receives ({@link #deaf}) or holds back the acks it sends until {@link #releaseAcks}. It notes what it
   * received.
   */
  private static final class Muffled implements TappedTransport.Tap {
    private final List<SyncMessage> received = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<Runnable> heldAcks = new java.util.ArrayList<>();
    volatile boolean deaf;
    private boolean holdAcks;

    Muffled(boolean deaf, boolean holdAcks) {
      this.deaf = deaf;
      this.holdAcks = holdAcks;
    }

    long received(Class<?> type) {
      return received.stream().filter(type::isInstance).count();
    }

    boolean sawEoseTo(Cursor to) {
      return received.stream().anyMatch(m -> m instanceof SyncMessage.Eose e && e.cursor().equals(to));
    }

    boolean sawChangesFrom(Cursor from) {
      return received.stream().anyMatch(m -> m instanceof SyncMessage.Changes c && c.from().equals(from));
    }

    /** Sends the acks held back, in order, and every later one at once. */
    void releaseAcks() {
      List<Runnable> held;
      synchronized (heldAcks) {
        holdAcks = false;
        held = List.copyOf(heldAcks);
        heldAcks.clear();
      }
      held.forEach(Runnable::run);
    }

    @Override
    public boolean sending(Connection connection, byte[] frame) {
      SyncMessage m = SyncMessage.decode(frame);
      if (m instanceof SyncMessage.Changes) {
        return false;
      }
      synchronized (heldAcks) {
        if (holdAcks && m instanceof SyncMessage.Ack) {
          heldAcks.add(() -> {
            try {
              connection.send(frame);
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          });
          return false;
        }
      }
      return true;
    }

    @Override
    public boolean received(byte[] frame) {
      SyncMessage m = SyncMessage.decode(frame);
      received.add(m);
      return !deaf || !(m instanceof SyncMessage.Changes || m instanceof SyncMessage.Eose);
    }
  }

  /**
   * The other half: the peer acknowledges the batches later, and then the record moves past the changes
   * the read found nothing to send in, which the peer never acknowledges (it is not sent them).
   */
  @Test
  void aReadWithNothingToSendIsRecordedOnceThePeerAcknowledgesWhatWasSentBefore() throws Exception {
    try (MemoryNetwork net = new MemoryNetwork(13); Cfost a = Nodes.replica(dir.resolve("a.db"));
        Cfost b = Nodes.replica(dir.resolve("b.db"))) {
      sql(a, "INSERT INTO todo VALUES ('1', 'one', 'ann'), ('2', 'two', 'ann')");
      PeerBook book = PeerBook.of(a);
      String bSite = Values.hex(b.siteId());
      Muffled slow = new Muffled(false, true);
      try (Peer pa = peer(net, "a", a, null); Peer pb = muffledPeer(net, b, slow, pa.start().get(0))) {
        pb.start();
        await("b merged a's rows, its ack held back", 10, () -> Nodes.count(b) == 2);

        sql(b, "INSERT INTO todo VALUES ('b1', 'from b', 'bob')");
        a.mergeAll(b.changes(Cursor.START, 100).changes().iterator());
        Cursor past = Cursor.since(a.changes(Cursor.START, 100).next().complete());
        await("a's read found nothing to send and told b so", 10, () -> slow.sawEoseTo(past));
        assertThat(book.ackedBy(bSite)).as("a's record of b before b's ack").isEqualTo(Cursor.START);

        slow.releaseAcks();
        await("a's record, once b acknowledged the batch, is where its stream to b is", 10,
            () -> book.ackedBy(bSite).equals(past));
      }
    }
  }

  private static Peer muffledPeer(MemoryNetwork net, Cfost db, Muffled tap, PeerAddress dial) {
    return Peer.create(db, PeerOptions.builder().transport(new TappedTransport(Transports.memory(net, "b"), tap))
        .discovery(false).backoff(20, 200).peer(dial).build());
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
