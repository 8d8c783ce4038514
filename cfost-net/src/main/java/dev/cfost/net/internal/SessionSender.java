package dev.cfost.net.internal;

import dev.cfost.net.SyncMessage;
import dev.cfost.Cfost;
import dev.cfost.Change;
import dev.cfost.ChangeBatch;
import dev.cfost.Cursor;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's sender thread: serves the peer's {@code request} with batches until caught up, then
 * {@code eose}, then live batches after each local commit. Keeps at most {@code window} batches that the
 * peer has not yet taken ({@code received}).
 *
 * <p>State is guarded by this object's monitor: the reader thread reports {@code request},
 * {@code received} and {@code ack}; committing threads mark it dirty.
 */
final class SessionSender {
  private static final Logger log = LoggerFactory.getLogger(SessionSender.class);
  /**
   * A live commit within this long of the previous live batch is part of a burst and waits the debounce
   * for more; a commit after a pause goes at once (an app writing every 20 ms must not pay 2 ms each).
   */
  private static final long BURST_NANOS = 5_000_000L;
  /**
   * A skip (this side's own merges of the peer's batches, see {@link #ownMergeDone}) is told to the peer as an
   * empty batch once its merges pause this long, or at the latest this long after the skip began: the peer
   * then saves the cursor past them, and a later session does not read them back to send.
   */
  static final long SKIP_QUIET_NANOS = 200_000_000L;
  static final long SKIP_LATEST_NANOS = 2_000_000_000L;

  private final Session session;
  private final PeerEngine peer;
  private final Cfost db;

  private Cursor requested;
  private boolean restart;
  private Cursor sendCursor;
  /** Where to read next when it differs from sendCursor: past this side's own merges of the peer's batches. */
  private Cursor skipTo;
  /** When the pending skip began, and when it last moved (System.nanoTime). */
  private long skipSince;
  private long skipMoved;
  /**
   * This side's own merges of the peer's batches that could not be skipped (the sender was catching up, or
   * reading): db_versions whose cells the peer sent, left out of reads until a read passes them.
   */
  private final java.util.TreeSet<Long> ownVersions = new java.util.TreeSet<>();
  private static final int MAX_OWN_VERSIONS = 10_000;
  /**
   * The db_version of this session's merge committed and not yet judged (0: none): set on the committing
   * thread under the engine's lock, so no read sees the commit before this is set; a read that holds it
   * waits for the merger's judgement ({@link #ownMergeDone}) and is done again.
   */
  private long pendingOwnMerge;
  private Cursor lastFrameCursor;
  private Cursor ackedCursor;
  private long lastLiveSendAt;
  private boolean caughtUp;
  private boolean dirty;
  /** The end cursors of the batches sent and not yet {@code received}, in order: at most the window. */
  private final ArrayDeque<Cursor> inFlight = new ArrayDeque<>();
  /** The end cursors of the batches sent and not yet acknowledged, in order (bounded: the oldest go). */
  private final ArrayDeque<Cursor> unacked = new ArrayDeque<>();
  private static final int MAX_UNACKED = 10_000;
  private boolean eoseSent;
  /**
   * Where a read with nothing to send moved the stream while batches before it were unacknowledged: the
   * peer holds everything up to there once it acknowledges the last of them (recorded then, not before).
   */
  private Cursor advancedPastUnacked;
  /**
   * How many records of what the peer holds were decided, each numbered under this monitor: the reader (an
   * ack) and the sender (a read with nothing to send) record outside it, and the later decision must win.
   */
  private long recordsDecided;
  private final Object recordLock = new Object();
  private long recordsMade; // guarded by recordLock

  SessionSender(Session session) {
    this.session = session;
    this.peer = session.peer;
    this.db = session.peer.db;
  }

  /** The peer asked for the stream from {@code cursor}: (re)start there. */
  void onRequest(Cursor cursor) {
    boolean first;
    long decided;
    synchronized (this) {
      first = requested == null;
      decided = ++recordsDecided;
      requested = cursor;
      restart = true;
      notifyAll();
    }
    if (first) {
      // A session's first request carries the cursor the peer persisted for this side (PROTOCOL.md,
      // Session, step 2): the peer holds everything up to it, also what an ack cut short by a crash
      // never told this side. Later requests carry the merger's cursor, which may not be committed yet.
      record(decided, cursor);
    }
  }

  /**
   * The peer took a batch off the wire. Only the oldest batch in flight can be taken next; anything else
   * (a stale one from before a restart, a duplicate, or a lie to open the window) is ignored.
   */
  synchronized void onReceived(Cursor cursor) {
    if (cursor.equals(inFlight.peek())) {
      inFlight.poll();
      notifyAll();
    } else {
      log.debug("ignored 'received' of {} from {}: not the next batch in flight", cursor, session.describe());
    }
  }

  /** The peer persisted the stream up to {@code cursor}: ignored unless it ends a batch sent and not yet acknowledged. */
  void onAck(Cursor cursor) {
    long decided;
    synchronized (this) {
      if (!unacked.contains(cursor)) {
        log.debug("ignored 'ack' of {} from {}: no such batch is waiting for one", cursor, session.describe());
        return;
      }
      while (!cursor.equals(unacked.poll())) {
        // an ack covers every batch up to its cursor
      }
      ackedCursor = cursor;
      if (unacked.isEmpty() && advancedPastUnacked != null) {
        cursor = advancedPastUnacked; // the peer holds every batch, and nothing was pending for it after them
        advancedPastUnacked = null;
      }
      decided = ++recordsDecided;
      notifyAll();
    }
    record(decided, cursor);
  }

  /**
   * Records that the peer holds the stream up to {@code cursor}, unless a decision made after this one was
   * recorded first: an ack handled while a read with nothing to send was finishing would otherwise put the
   * record back behind what that read recorded.
   */
  private void record(long decided, Cursor cursor) {
    synchronized (recordLock) {
      if (decided < recordsMade) {
        return;
      }
      recordsMade = decided;
      peer.acked(session.remoteSite, cursor);
    }
  }

  /** Wakes the thread, to notice that the session closed. */
  synchronized void wake() {
    notifyAll();
  }

  /** True when the sender is caught up, nothing is unacknowledged and no local commit is pending. */
  synchronized boolean delivered() {
    return requested != null && !restart && caughtUp && inFlight.isEmpty() && !dirty && eoseSent && skipTo == null
        && pendingOwnMerge == 0 && (lastFrameCursor == null || lastFrameCursor.equals(ackedCursor));
  }

  /** Wakes the sender: there are new local commits. */
  synchronized void markDirty() {
    dirty = true;
    notifyAll();
  }

  /** This session's merger committed db_version {@code dbVersion} (on the committing thread, at commit). */
  synchronized void ownMergeCommitted(long dbVersion) {
    pendingOwnMerge = dbVersion;
  }

  /**
   * The merger's judgement of its merge ({@code onlyThePeers}: {@link dev.cfost.MergeResult#otherWrites} was
   * false; false too if the merge failed). A commit that holds only what the peer sent is not sent back:
   * those rows may hold other sites' changes, which the filter keeps (a device pushed back all it pulled
   * through a server). If the sender is caught up just before it, its next read starts after it
   * ({@link #skipTo}; a read under way that holds it waited for this and is done again); otherwise its reads
   * leave that commit's cells out ({@link #ownVersions}). The peer
   * learns the new cursor with the next batch, or with an empty batch once such merges pause
   * ({@link #SKIP_QUIET_NANOS}), which it saves.
   */
  synchronized void ownMergeDone(boolean onlyThePeers) {
    long dbVersion = pendingOwnMerge;
    if (dbVersion == 0) {
      return; // the merge committed no change
    }
    pendingOwnMerge = 0;
    notifyAll(); // a read that waits for this judgement (run)
    if (!onlyThePeers) {
      markDirty();
      return;
    }
    Cursor at = skipTo != null ? skipTo : sendCursor;
    if (caughtUp && !dirty && !restart && at != null && at.equals(Cursor.since(dbVersion - 1))) {
      long now = System.nanoTime();
      if (skipTo == null) {
        skipSince = now;
      }
      skipTo = Cursor.since(dbVersion);
      skipMoved = now;
      notifyAll(); // the sender waits for the skip's pause (run)
    } else {
      if (ownVersions.size() < MAX_OWN_VERSIONS) {
        ownVersions.add(dbVersion); // beyond the bound they are sent back: the peer merges them as no-ops
      }
      markDirty();
    }
  }

  /**
   * After a read up to {@code next}: the own merges to leave out of it, or null if the read may hold a merge
   * not judged yet (then it waited for the judgement, and the read is to be done again).
   */
  private synchronized java.util.Set<Long> ownMergesIn(Cursor next) throws InterruptedException {
    if (pendingOwnMerge != 0 && pendingOwnMerge <= next.db()) {
      while (pendingOwnMerge != 0 && pendingOwnMerge <= next.db() && session.isOpen()) {
        wait(100);
      }
      return null;
    }
    // All of them up to the read's end: a row's older cells come with its newer ones, so any may be in it.
    java.util.SortedSet<Long> upTo = ownVersions.headSet(next.db(), true);
    return upTo.isEmpty() ? java.util.Set.of() : new java.util.HashSet<>(upTo);
  }

  /**
   * {@code batch} without the cells of this side's own merges of the peer's batches, {@code own} (their
   * db_version names the commit that last wrote them, which wrote only what the peer sent); null if it
   * holds none.
   */
  private static ChangeBatch withoutOwnMerges(ChangeBatch batch, java.util.Set<Long> own) {
    if (own.isEmpty() || batch.changes().isEmpty()) {
      return null;
    }
    List<Change> kept = new java.util.ArrayList<>(batch.changes().size());
    for (Change c : batch.changes()) {
      if (!own.contains(c.dbVersion())) {
        kept.add(c);
      }
    }
    return kept.size() == batch.changes().size() ? null : new ChangeBatch(kept, batch.next(), batch.caughtUp());
  }

  /**
   * A new request restarts the stream before a skip was told: the merges it skipped are left out of the reads
   * instead (they are consecutive db_versions after the stream's cursor, see {@link #ownMergeDone}).
   */
  private void keepSkippedAsOwnVersions() {
    if (skipTo != null && sendCursor != null) {
      for (long v = sendCursor.db() + 1; v <= skipTo.db() && ownVersions.size() < MAX_OWN_VERSIONS; v++) {
        ownVersions.add(v);
      }
    }
    skipTo = null;
  }

  /** A batch up to {@code cursor} is queued: it is in flight until {@code received}, unacknowledged until its ack. */
  private void sent(Cursor cursor) {
    advancedPastUnacked = null; // the ack of this batch covers it
    inFlight.add(cursor);
    unacked.add(cursor);
    if (unacked.size() > MAX_UNACKED) {
      unacked.poll(); // a later ack still covers it
    }
    lastFrameCursor = cursor;
  }

  /** True when the pending skip is to be told to the peer now. */
  private boolean skipDue() {
    return skipTo != null && System.nanoTime() - skipDueAt() >= 0;
  }

  private long skipDueAt() {
    return Math.min(skipMoved + SKIP_QUIET_NANOS, skipSince + SKIP_LATEST_NANOS);
  }

  /** The rows a batch touches: the engine hands out a row's changes one after another, once per batch. */
  private static long distinctRows(ChangeBatch batch) {
    long rows = 0;
    Change previous = null;
    for (Change c : batch.changes()) {
      if (previous == null || !previous.sameRow(c)) {
        rows++;
      }
      previous = c;
    }
    return rows;
  }

  /** With a sealer, the batch as the sealer signs it (and the changes it can vouch for). */
  private SyncMessage.Changes sealed(SyncMessage.Changes m) {
    if (peer.options.sealer == null) {
      return m;
    }
    dev.cfost.SealedChanges s = peer.options.sealer.seal(m.changes());
    return new SyncMessage.Changes(m.from(), m.cursor(), s.changes(), m.remaining(), s.seals());
  }

  void run() {
    long remainingRows = -1;
    int limit = peer.options.maxBatchChanges;
    boolean sentEose = false;
    try {
      while (session.isOpen()) {
        Cursor from;
        Cursor readFrom;
        boolean live;
        Cursor skipped; // where a pending skip ends, when this read starts there (live)
        boolean woken; // by a local commit
        Cursor told = null; // where a skip told without a read ends, and where its empty batch starts
        Cursor toldFrom = null;
        synchronized (this) {
          while (session.isOpen() && !restart && (requested == null || inFlight.size() >= peer.options.window
              || (caughtUp && !dirty && !skipDue()))) {
            // Waiting only for a skip's pause: until it falls due. Waiting for a request or for room in the
            // window: a due skip must not make this a busy loop.
            boolean forSkip = skipTo != null && requested != null && inFlight.size() < peer.options.window;
            wait(forSkip ? Math.min(1_000, Math.max(1, (skipDueAt() - System.nanoTime()) / 1_000_000)) : 1_000);
          }
          if (!session.isOpen()) {
            return;
          }
          if (restart) {
            restart = false;
            keepSkippedAsOwnVersions();
            sendCursor = requested;
            caughtUp = false;
            inFlight.clear();
            unacked.clear();
            advancedPastUnacked = null;
            sentEose = false;
            eoseSent = false;
            remainingRows = -1;
            lastFrameCursor = null;
          }
          if (caughtUp && !dirty && skipTo != null && skipDue()) {
            // Only this side's merges of the peer's batches since the stream's cursor, and nothing else to send:
            // told without a read, which could wait a whole catch-up merge for the engine.
            toldFrom = sendCursor;
            told = skipTo;
            skipTo = null;
            if (!told.equals(toldFrom)) {
              sent(told);
              sendCursor = told;
            }
          }
          woken = dirty;
          dirty = false;
          from = sendCursor;
          readFrom = skipTo != null ? skipTo : from;
          live = caughtUp;
          skipped = live && skipTo != null && !skipTo.equals(from) ? skipTo : null;
        }
        if (told != null) {
          if (!told.equals(toldFrom) && session.reauthorize()) {
            session.sendBatch(MessageCodec.encode(new SyncMessage.Changes(toldFrom, told, List.of(), 0)), 0);
          }
          continue;
        }
        if (live && peer.options.liveDebounceMillis > 0 && System.nanoTime() - lastLiveSendAt < BURST_NANOS) {
          Thread.sleep(peer.options.liveDebounceMillis); // a burst of commits: let more join this batch
        }
        // Read, and read again with a smaller limit while the encoded batch is over the byte limit (a
        // batch always holds whole rows, so one large row may still go alone).
        ChangeBatch batch;
        byte[] frame;
        long rowsRead = 0;
        boolean judgedMeanwhile = false;
        while (true) {
          batch = db.changes(readFrom, limit, peer.filterFor(session.remoteSiteBytes));
          java.util.Set<Long> own = ownMergesIn(batch.next());
          if (own == null) {
            judgedMeanwhile = true; // it may hold a merge of the peer's batches judged only now
            frame = null;
            break;
          }
          rowsRead = distinctRows(batch);
          ChangeBatch withoutOwn = withoutOwnMerges(batch, own);
          // Own merges in the range read, with nothing else to send: an empty batch past them, which the peer
          // saves (their cells may also be all of the peer's own site, which the filter left out already).
          boolean leftOutOwn = withoutOwn != null || !own.isEmpty();
          if (withoutOwn != null) {
            batch = withoutOwn;
          }
          if (remainingRows < 0) {
            remainingRows = db.rowsAfter(readFrom, peer.filterFor(session.remoteSiteBytes)); // once per request: an index count
          }
          long remaining = batch.caughtUp() ? 0 : Math.max(0, remainingRows - rowsRead);
          frame = batch.changes().isEmpty() ? null
              : MessageCodec.encode(sealed(new SyncMessage.Changes(from, batch.next(), batch.changes(), remaining)));
          if (frame == null && leftOutOwn && !batch.next().equals(from)) {
            // Only this side's merges of the peer's batches: an empty batch past them, which the peer saves
            // (an eose would move its cursor for this session only, and a later session would send them back).
            frame = MessageCodec.encode(new SyncMessage.Changes(from, batch.next(), List.of(), remaining));
            break;
          }
          if (frame == null && skipped != null) {
            // Nothing new after the skip: an empty live batch up to it, which the peer saves as it merges it
            // (an eose would move its cursor for this session only). Not caught up if the stream moved on past
            // it (rows the filter left out): read again from the skip.
            batch = new ChangeBatch(List.of(), skipped, skipped.equals(batch.next()));
            frame = MessageCodec.encode(new SyncMessage.Changes(from, skipped, List.of(), 0));
            break;
          }
          if (frame == null || frame.length <= peer.options.maxBatchBytes || batch.changes().size() <= 1) {
            break;
          }
          limit = Math.max(1, batch.changes().size() / 2);
        }
        if (frame != null && frame.length <= peer.options.maxBatchBytes / 2) {
          limit = Math.min(peer.options.maxBatchChanges, limit * 2);
        }
        synchronized (this) {
          if (restart || !from.equals(sendCursor)) {
            continue; // a new request arrived meanwhile; this batch is stale
          }
          if (judgedMeanwhile) {
            // Read again from where the skip now starts, if it moved past that merge; a local commit that woke
            // this read is still to send.
            dirty |= woken;
            continue;
          }
          remainingRows = batch.caughtUp() ? 0 : Math.max(0, remainingRows - rowsRead);
          if (frame != null) {
            sent(batch.next());
            if (caughtUp) {
              lastLiveSendAt = System.nanoTime();
            }
          }
          sendCursor = batch.next();
          if (readFrom.equals(skipTo)) {
            skipTo = null; // used; one that moved on during the read (past merges it does not hold) stays
          }
          ownVersions.headSet(batch.next().complete(), true).clear(); // read past
          caughtUp = batch.caughtUp();
        }
        if (frame != null) {
          // Counted as it is queued, not after: once queued the peer may take it, finish and close,
          // and a count added after the session ended would be lost (the peer's totals miss a batch).
          if (!session.reauthorize()) {
            return; // revoked since the last check: not one more batch
          }
          session.sendBatch(frame, batch.changes().size());
          if (batch.caughtUp() && !sentEose) {
            // Once per stream: after it, a live batch's cursor is the receiver's, and an eose would repeat it.
            session.send(new SyncMessage.Eose(batch.next(), batch.next()));
          }
        } else if (batch.caughtUp() && !batch.next().equals(from)) {
          session.send(new SyncMessage.Eose(from, batch.next()));
          // Nothing was pending for the peer from 'from' to here: it holds all up to here once it holds all
          // up to 'from', that is, once it has acknowledged every batch sent (PeerCrashIT saw a record run
          // ahead of the peer's persisted cursor when this was recorded over unacknowledged batches).
          boolean holdsAll;
          long decided;
          synchronized (this) {
            holdsAll = unacked.isEmpty();
            if (!holdsAll) {
              advancedPastUnacked = batch.next();
            }
            decided = ++recordsDecided;
          }
          if (holdsAll) {
            record(decided, batch.next());
          }
        } else if (batch.caughtUp() && !sentEose) {
          session.send(new SyncMessage.Eose(from, from));
        }
        if (batch.caughtUp()) {
          sentEose = true;
          synchronized (this) {
            eoseSent = true;
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      session.close("connection lost while sending: " + e.getMessage());
    } catch (RuntimeException e) {
      log.error("sending to {} failed", session.describe(), e);
      peer.error(session.remoteSite, e);
      session.trySend(new SyncMessage.Error(ProtocolException.INTERNAL, String.valueOf(e.getMessage())));
      session.close("internal error: " + e);
    }
  }
}
