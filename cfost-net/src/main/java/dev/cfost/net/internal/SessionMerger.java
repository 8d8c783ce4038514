package dev.cfost.net.internal;

import dev.cfost.net.SyncMessage;
import dev.cfost.Cfost;
import dev.cfost.Change;
import dev.cfost.ChangeBatch;
import dev.cfost.ClockDriftException;
import dev.cfost.Cursor;
import dev.cfost.InvalidChangeException;
import dev.cfost.MergeResult;
import dev.cfost.net.BatchSealer;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A session's merger thread: merges the batches the reader queued, in order, each only if it continues
 * the cursor this side holds for the peer, and saves that cursor in the same transaction. While catching
 * up it merges consecutive batches in one transaction (bounded by time and size, see
 * {@link dev.cfost.net.PeerOptions.Builder#catchUpTransaction}), then acknowledges the last one.
 * With a sealer, it first keeps the seals that the reader's check left to keep ({@link
 * BatchSealer.Checked#keep}) of the batches queued so far, each in a transaction of its own, then merges
 * those batches: the reader checks the next ones meanwhile and never waits for SQLite's write lock.
 *
 * <p>Receiver state is only touched by the merger thread; {@link #start} hands it the persisted cursor
 * before the thread starts.
 */
final class SessionMerger {
  /** How long a catch-up transaction waits for the next batch before it commits. */
  private static final long NEXT_BATCH_WAIT_MILLIS = 50;
  private static final SyncMessage STOP = new SyncMessage.Pong(Long.MIN_VALUE);

  /** A batch or eose from the reader, with what its seal check left to keep ({@link BatchSealer.Checked#keep}). */
  private record Queued(SyncMessage message, Runnable keep, int bytes) {}

  private final Session session;
  private final PeerEngine peer;
  private final Cfost db;
  /**
   * Batches and eose from the reader, at most this many frame bytes (one larger frame goes alone): a
   * peer that sends faster than this side merges finds the reader waiting, so its socket fills.
   */
  static final long MAX_INBOX_BYTES = 16L << 20;
  private final ByteBoundedQueue<Queued> inbox = new ByteBoundedQueue<>(MAX_INBOX_BYTES);
  /**
   * Taken from the inbox, in order, their seals kept, not handled yet (merger thread only); their bytes
   * still count in the inbox's bound until they leave this.
   */
  private final ArrayDeque<Queued> kept = new ArrayDeque<>();
  private volatile Thread thread;

  // Only used by the merger thread.
  private Cursor expected;
  private Cursor lastReRequest;
  private long lastReRequestAt;
  private boolean eoseSeen;
  /**
   * While the merger merges the peer's batches (not released held changes, which may have come from another
   * peer, nor anything a listener on this thread commits).
   */
  private boolean mergingPeersBatches;

  SessionMerger(Session session) {
    this.session = session;
    this.peer = session.peer;
    this.db = session.peer.db;
  }

  /** Starts the thread, continuing the stream from {@code cursor} (set before the thread starts). */
  void start(Cursor cursor) {
    expected = cursor;
    Thread t = session.newThread(this::run, "merger");
    thread = t;
    t.start();
  }

  /** Queues a batch or an eose, in the order received; waits while the inbox is full. */
  void add(SyncMessage m, int frameBytes) throws InterruptedException {
    add(m, BatchSealer.Checked.NOTHING, frameBytes);
  }

  /**
   * Queues a batch with what its seal check left to keep, which this thread runs before the transaction
   * that merges the batch begins (a write lock of its own: inside that transaction it would wait forever).
   */
  void add(SyncMessage m, Runnable keep, int frameBytes) throws InterruptedException {
    inbox.put(new Queued(m, keep, frameBytes), frameBytes);
  }

  /** Ends the thread and drops what is queued: nothing received on a closed session is merged. */
  void stop() {
    inbox.close();
    inbox.clear();
    inbox.add(new Queued(STOP, BatchSealer.Checked.NOTHING, 0), 0);
  }

  /** True if a commit is this merger's merge of the peer's batches (see SessionSender#ownMergeDone). */
  boolean isOwnMerge() {
    return Thread.currentThread() == thread && mergingPeersBatches;
  }

  private void run() {
    try {
      mergeReleased(); // held changes a previous run verified but did not get to merge
      SyncMessage next = null;
      while (session.isOpen()) {
        SyncMessage m = next != null ? next : nextMessage();
        next = null;
        if (m == STOP) {
          return;
        }
        if (m instanceof SyncMessage.Eose e) {
          onEose(e);
        } else if (m instanceof SyncMessage.Changes c) {
          next = onChanges(c);
        }
      }
    } catch (Exception | Error e) { // an Error too: a silently dead thread would leave the session hanging
      session.fail(e);
    }
  }

  /** The next message in order: one taken and kept before, or the reader's next, its seals kept now. */
  private SyncMessage nextMessage() throws InterruptedException {
    SyncMessage m = nextKept();
    return m != null ? m : keep(inbox.take());
  }

  private SyncMessage nextKept() {
    Queued q = kept.poll();
    if (q == null) {
      return null;
    }
    inbox.release(q.bytes());
    return q.message();
  }

  private static SyncMessage keep(Queued q) {
    q.keep().run();
    return q.message();
  }

  /**
   * Takes what the reader queued meanwhile and keeps its seals, so that those batches can join the next
   * merge transaction: their seals are then written before it, in the order received (they are durable with
   * its commit, which waits for the disk), and the reader never waits for it.
   */
  private void takeWaiting() {
    for (Queued q = inbox.pollHeld(); q != null; q = inbox.pollHeld()) {
      kept.addLast(q);
      keep(q);
    }
  }

  /**
   * Merges {@code first} and, while catching up, the batches that follow it, in one transaction with
   * the cursor; returns a message taken from the inbox that did not belong to it, if any.
   */
  private SyncMessage onChanges(SyncMessage.Changes first) throws ProtocolException, IOException {
    if (!first.from().equals(expected)) {
      askAgain();
      return null;
    }
    if (peer.options.sealer != null && first.remaining() != 0) {
      takeWaiting();
    }
    Incoming batches = new Incoming(first);
    MergeResult result = null;
    mergingPeersBatches = true;
    try {
      result = merge(() -> db.mergeFromPeer(session.remoteSiteBytes, batches,
          session.remoteSchema > db.schemaVersion()));
    } finally {
      mergingPeersBatches = false;
      // Its commit woke no sender of this session (PeerEngine#start): a commit of the peer's changes alone is
      // not sent back, one with other writes (a local write captured with it, say) is read and sent.
      session.ownMergeDone(result != null && !result.otherWrites());
    }
    expected = batches.last.cursor();
    session.received += batches.changes; // counted once merged: a refused batch was not received
    session.send(new SyncMessage.Ack(expected));
    if (result.applied() > 0) {
      peer.events.change(session.remoteSite, batches.tables);
    }
    mergeReleased();
    return batches.stashed;
  }

  /**
   * Merges the held changes that the sealer can verify now (a merge may have brought the device row
   * their seals need), then tells it they are merged. Not counted as this session's own merge: they may
   * have come from another peer, and this peer may not have them.
   */
  private void mergeReleased() throws ProtocolException {
    BatchSealer sealer = peer.options.sealer;
    if (sealer == null) {
      return;
    }
    for (List<Change> ready = sealer.releasable(); !ready.isEmpty(); ready = sealer.releasable()) {
      List<Change> merging = ready;
      // Verified changes of authorized devices: as in mergeFromPeer, those for tables or columns unknown
      // here (their definition may come later) are kept aside, not refused.
      MergeResult result = merge(() -> db.mergeAll(merging.iterator(), true));
      sealer.released(ready);
      if (result.applied() > 0) {
        Set<String> tables = new LinkedHashSet<>();
        ready.forEach(x -> tables.add(x.table()));
        peer.events.change(session.remoteSite, tables);
      }
    }
  }

  /** Runs a merge, turning the engine's refusals into the session's error codes. */
  private static MergeResult merge(java.util.function.Supplier<MergeResult> merge) throws ProtocolException {
    try {
      return merge.get();
    } catch (InvalidChangeException e) {
      throw new ProtocolException(ProtocolException.INVALID_CHANGE, e.getMessage());
    } catch (ClockDriftException e) {
      throw new ProtocolException(ProtocolException.CLOCK_DRIFT, e.getMessage());
    } catch (Refused e) {
      throw new ProtocolException(ProtocolException.UNAUTHORIZED, e.getMessage());
    }
  }

  /**
   * The batches of one merge transaction: the first, then, while the peer says more is coming and the
   * transaction is within its time and size, each next batch that continues the last one.
   */
  private final class Incoming implements java.util.Iterator<ChangeBatch> {
    private final long started = System.nanoTime();
    private SyncMessage.Changes pending;
    SyncMessage.Changes last;
    SyncMessage stashed;
    int changes;
    final Set<String> tables = new LinkedHashSet<>();

    Incoming(SyncMessage.Changes first) {
      this.pending = first;
    }

    @Override
    public boolean hasNext() {
      if (pending != null) {
        return true;
      }
      if (stashed != null || last.remaining() == 0 || changes >= peer.options.catchUpTxChanges
          || System.nanoTime() - started >= peer.options.catchUpTxMillis * 1_000_000L) {
        return false;
      }
      SyncMessage m;
      if (peer.options.sealer != null) {
        // A batch's seals are kept before the transaction that merges it: take only the batches kept before.
        m = nextKept();
      } else {
        try {
          Queued q = inbox.poll(NEXT_BATCH_WAIT_MILLIS, TimeUnit.MILLISECONDS); // nothing to keep without a sealer
          m = q == null ? null : q.message();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new Closed();
        }
      }
      if (m instanceof SyncMessage.Changes c && c.from().equals(last.cursor())) {
        pending = c;
        return true;
      }
      stashed = m;
      return false;
    }

    @Override
    public ChangeBatch next() {
      if (!hasNext()) {
        throw new java.util.NoSuchElementException();
      }
      // Inside the merge transaction, which holds SQLite's write lock: a revocation committed before it is
      // seen here, and none can commit until it ends. The reader checked the seals when the batch came,
      // possibly long before (the inbox holds up to 16 MiB), so the peer is checked again for each batch.
      if (!session.isOpen()) {
        throw new Closed(); // ended meanwhile (a re-check on another thread, say): nothing more is merged
      }
      String refusal = session.refusalNow();
      if (refusal != null) {
        throw new Refused(refusal);
      }
      SyncMessage.Changes c = pending;
      pending = null;
      last = c;
      changes += c.changes().size();
      String table = null;
      for (Change x : c.changes()) {
        if (!x.table().equals(table)) { // a batch's changes come table by table, mostly
          table = x.table();
          tables.add(table);
        }
      }
      session.remainingToReceive = c.remaining();
      try {
        session.send(new SyncMessage.Received(c.cursor()));
      } catch (IOException e) {
        throw new Closed();
      }
      return new ChangeBatch(c.changes(), c.cursor(), false);
    }
  }

  /** The authorizer refused the peer during a merge: its transaction rolls back, the session ends. */
  static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Refused(String refusal) {
      super(refusal, null, false, false);
    }
  }

  /** The session closed while a merge was waiting: its transaction rolls back. */
  static final class Closed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Closed() {
      super("session closed", null, false, false);
    }
  }

  private void onEose(SyncMessage.Eose e) throws IOException {
    if (!e.from().equals(expected)) {
      askAgain();
      return;
    }
    // Followed, not checked: an eose may legitimately move past changes the sender does not send this side
    // (its own, or filtered out), so it is taken as the sender's claim; the next batch continues from it and
    // saves it. Only the device bound to the peer's site can claim it with identities (docs/SECURITY.md).
    expected = e.cursor();
    if (!eoseSeen) {
      eoseSeen = true;
      session.peerCaughtUp = true;
      peer.events.eose(session.remoteSite);
    }
  }

  /** Asks for the stream again from the persisted cursor, at most every 200 ms for the same cursor. */
  private void askAgain() throws IOException {
    long now = System.nanoTime();
    if (expected.equals(lastReRequest) && now - lastReRequestAt < 200_000_000L) {
      return;
    }
    lastReRequest = expected;
    lastReRequestAt = now;
    session.send(new SyncMessage.Request(expected));
  }
}
