package dev.cfost.net.internal;

import dev.cfost.Cfost;
import dev.cfost.Change;
import dev.cfost.ChangeBatch;
import dev.cfost.ClockDriftException;
import dev.cfost.Cursor;
import dev.cfost.InvalidChangeException;
import dev.cfost.MergeResult;
import dev.cfost.Values;
import dev.cfost.net.BatchSealer;
import dev.cfost.net.Connection;
import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sync session over one connection, the same on both sides.
 *
 * <p>Both sides send {@code hello}; each then sends {@code request} with the cursor it persisted for the
 * other and serves the other's request: batches of changes until caught up, {@code eose}, then live
 * batches after each local commit. Each batch names the cursor it continues ({@code from}); the receiver
 * merges a batch only if it continues its own cursor, persists the new cursor, then acknowledges it. A
 * batch that does not continue (a duplicate, or one after a lost one) is ignored and the receiver asks
 * again from its cursor, so a session recovers from anything a transport does short of corrupting data.
 *
 * <p>Flow control: the sender keeps at most {@code window} batches that the receiver has not yet taken
 * ({@code received}); acknowledgements ({@code ack}) say what the receiver has persisted. While catching
 * up, the receiver merges consecutive batches in one transaction (bounded by time and size, see
 * {@link dev.cfost.net.PeerOptions.Builder#catchUpTransaction}) and saves the cursor in the same
 * transaction, then acknowledges the last one.
 *
 * <p>Threads: a reader thread ({@link #runReader}) receives and decodes every message and hands batches
 * and {@code eose} to the merger thread ({@link #runMerger}) in order; a sender thread
 * ({@link #runSender}) reads and sends batches; a writer thread writes frames. Fields shared by them are
 * guarded by {@code this}.
 */
final class Session {
  private static final Logger log = LoggerFactory.getLogger(Session.class);
  static final int PROTOCOL = 1;

  private final PeerEngine peer;
  final Connection conn;
  final boolean outbound;
  private final Cfost db;
  /** Frames waiting for the writer thread; bounded in practice by the batch window. */
  private final java.util.concurrent.LinkedBlockingQueue<byte[]> outbox = new java.util.concurrent.LinkedBlockingQueue<>();
  private static final byte[] END = new byte[0];
  /** Batches and eose for the merger thread, at most {@code window} batches in practice. */
  private final java.util.concurrent.LinkedBlockingQueue<Message> inbox = new java.util.concurrent.LinkedBlockingQueue<>();
  private static final Message STOP = new Message.Pong(Long.MIN_VALUE);
  /** How long a catch-up transaction waits for the next batch before it commits. */
  private static final long NEXT_BATCH_WAIT_MILLIS = 50;
  /**
   * A live commit within this long of the previous live batch is part of a burst and waits the debounce
   * for more; a commit after a pause goes at once (an app writing every 20 ms must not pay 2 ms each).
   */
  private static final long BURST_NANOS = 5_000_000L;

  // Set once by the reader thread on hello, read by others after.
  volatile String remoteSite;
  volatile byte[] remoteSiteBytes;
  volatile String remoteDevice;
  volatile int remoteSchema;
  private volatile boolean closed;

  // Receiver state, only used by the merger thread (set up by the reader before it starts).
  private volatile Thread merger;
  private Cursor expected;
  private Cursor lastReRequest;
  private long lastReRequestAt;
  private boolean eoseSeen;
  /** While the merger merges released held changes, which may have come from another peer. */
  private boolean releasing;

  // Sender state, guarded by this.
  private Cursor requested;
  private boolean restart;
  private Cursor sendCursor;
  /** Where to read next when it differs from sendCursor: past this side's own merges of the peer's batches. */
  private Cursor skipTo;
  private Cursor lastFrameCursor;
  private Cursor ackedCursor;
  private long lastLiveSendAt;
  private boolean caughtUp;
  private boolean dirty;
  private int inFlight;
  private boolean eoseSentFlag;
  private long lastReceivedAt = System.nanoTime();
  volatile boolean peerCaughtUp;

  // Progress, written by one thread each.
  volatile long remainingToReceive = -1;
  volatile long sent;
  volatile long received;

  Session(PeerEngine peer, Connection conn, boolean outbound) {
    this.peer = peer;
    this.conn = conn;
    this.outbound = outbound;
    this.db = peer.db;
  }

  void start() {
    Thread writer = new Thread(this::runWriter, "cfost-session-" + conn.remote() + "-writer");
    writer.setDaemon(true);
    writer.start();
    Thread reader = new Thread(this::runReader, "cfost-session-" + conn.remote() + "-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Writes queued frames. Only this thread writes to the connection, so the reader never blocks on a
   * full socket buffer and two peers sending big batches to each other cannot deadlock.
   */
  private void runWriter() {
    try {
      while (true) {
        byte[] frame = outbox.take();
        if (frame == END) {
          break;
        }
        conn.send(frame);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      if (!closed) {
        log.info("session with {}: sending failed: {}", describe(), e.getMessage());
      }
    }
    conn.close();
    close("connection lost while sending");
  }

  boolean isOpen() {
    return !closed;
  }

  // ---- receiving ----

  private void runReader() {
    try {
      send(new Message.Hello(PROTOCOL, peer.topic.hex(), Values.hex(db.siteId()), peer.deviceId,
          db.schemaVersion(), List.of("changes", "live")));
      while (!closed) {
        byte[] frame = conn.receive();
        if (frame == null) {
          close("the peer closed the connection");
          return;
        }
        synchronized (this) {
          lastReceivedAt = System.nanoTime();
        }
        handle(MessageCodec.decode(frame));
      }
    } catch (Exception | Error e) { // an Error too: a silently dead thread would leave the session hanging
      fail(e);
    } finally {
      close("closed");
    }
  }

  /** Ends the session after a failure on one of its threads, telling the peer why when that helps. */
  private void fail(Throwable e) {
    String reason;
    if (e instanceof ProtocolException pe) {
      reason = pe.code + ": " + pe.getMessage();
      log.warn("session with {} ended: {}", describe(), reason);
      trySend(new Message.Error(pe.code, pe.getMessage()));
      peer.error(remoteSite, new dev.cfost.net.SyncException(pe.code, pe.getMessage()));
    } else if (e instanceof RemoteError re) {
      reason = re.getMessage();
      log.warn("session with {} ended by the peer: {}", describe(), reason);
      peer.error(remoteSite, re.error);
    } else if (e instanceof dev.cfost.net.FrameTooLargeException) {
      reason = ProtocolException.FRAME_TOO_LARGE + ": " + e.getMessage();
      log.warn("session with {} ended: {}", describe(), reason);
      trySend(new Message.Error(ProtocolException.FRAME_TOO_LARGE, e.getMessage()));
      peer.error(remoteSite, new dev.cfost.net.SyncException(ProtocolException.FRAME_TOO_LARGE, e.getMessage()));
    } else if (e instanceof IOException || e instanceof java.io.UncheckedIOException || e instanceof InterruptedException
        || e instanceof Closed) {
      reason = closed ? "closed" : "connection lost: " + e.getMessage();
      if (!closed) {
        log.info("session with {}: {}", describe(), reason);
      }
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    } else {
      reason = "internal error: " + e;
      log.error("session with {} failed", describe(), e);
      trySend(new Message.Error(ProtocolException.INTERNAL, String.valueOf(e.getMessage())));
      peer.error(remoteSite, e);
    }
    close(reason);
  }

  private void handle(Message m) throws ProtocolException, IOException {
    if (remoteSite == null && !(m instanceof Message.Hello) && !(m instanceof Message.Error)) {
      throw new ProtocolException(ProtocolException.PROTOCOL_VIOLATION, "expected hello first, got " + type(m));
    }
    if (m instanceof Message.Hello h) {
      onHello(h);
    } else if (m instanceof Message.Request r) {
      synchronized (this) {
        requested = r.cursor();
        restart = true;
        notifyAll();
      }
    } else if (m instanceof Message.Changes c) {
      // Checked here, before the batch can join a merge transaction: the sealer stores seals through a
      // connection of its own, which waits while a transaction is open (inside one it would wait forever).
      inbox.add(verifySeals(c)); // merged in order by the merger thread
    } else if (m instanceof Message.Eose) {
      inbox.add(m);
    } else if (m instanceof Message.Received) {
      synchronized (this) {
        inFlight = Math.max(0, inFlight - 1);
        notifyAll();
      }
    } else if (m instanceof Message.Ack a) {
      synchronized (this) {
        ackedCursor = a.cursor();
        notifyAll();
      }
      peer.acked(remoteSite, a.cursor());
    } else if (m instanceof Message.Ping p) {
      send(new Message.Pong(p.id()));
    } else if (m instanceof Message.Error e) {
      throw new RemoteError(new dev.cfost.net.SyncException(e.code(), "the peer ended the session: " + e.message()));
    }
  }

  private void onHello(Message.Hello h) throws ProtocolException, IOException {
    if (remoteSite != null) {
      throw new ProtocolException(ProtocolException.PROTOCOL_VIOLATION, "a second hello");
    }
    if (h.protocol() != PROTOCOL) {
      throw new ProtocolException(ProtocolException.UNSUPPORTED_VERSION,
          "protocol version " + h.protocol() + " is not supported; this side speaks " + PROTOCOL);
    }
    if (!peer.topic.hex().equals(h.topic())) {
      throw new ProtocolException(ProtocolException.WRONG_TOPIC,
          "the peer syncs another topic (a different database id)"); // never echo this side's topic
    }
    byte[] site;
    try {
      site = Values.unhex(h.siteId());
    } catch (IllegalArgumentException e) {
      site = new byte[0];
    }
    if (site.length != 16) {
      throw new ProtocolException(ProtocolException.MALFORMED_FRAME, "hello: site_id must be 16 bytes of hex");
    }
    if (h.siteId().equals(Values.hex(db.siteId()))) {
      throw new ProtocolException(ProtocolException.SELF_CONNECTION, "connected to itself");
    }
    if (peer.options.authorizer != null) {
      String refusal = peer.options.authorizer.refusal(conn.peerPublicKey(), h.deviceId());
      if (refusal != null) {
        log.warn("refused device {} at {}: {}", h.deviceId(), conn.remote(), refusal);
        throw new ProtocolException(ProtocolException.UNAUTHORIZED, refusal);
      }
    }
    remoteSiteBytes = site;
    remoteDevice = h.deviceId();
    remoteSite = h.siteId();
    remoteSchema = h.schemaVersion();
    if (!peer.register(this)) {
      throw new ProtocolException(ProtocolException.DUPLICATE_SESSION, "another session with this peer is kept");
    }
    int local = db.schemaVersion();
    if (remoteSchema > local) {
      peer.events.outdated(remoteSite, remoteSchema, local);
    }
    expected = db.peerCursor(site);
    send(new Message.Request(expected));
    peer.events.syncStarted(remoteSite);
    merger = new Thread(this::runMerger, "cfost-session-" + conn.remote() + "-merger");
    merger.setDaemon(true);
    merger.start();
    Thread sender = new Thread(this::runSender, "cfost-session-" + conn.remote() + "-sender");
    sender.setDaemon(true);
    sender.start();
  }

  // ---- merging ----

  private void runMerger() {
    try {
      mergeReleased(); // held changes a previous run verified but did not get to merge
      Message next = null;
      while (!closed) {
        Message m = next != null ? next : inbox.take();
        next = null;
        if (m == STOP) {
          return;
        }
        if (m instanceof Message.Eose e) {
          onEose(e);
        } else if (m instanceof Message.Changes c) {
          next = onChanges(c);
        }
      }
    } catch (Exception | Error e) { // an Error too: a silently dead thread would leave the session hanging
      fail(e);
    }
  }

  /** True if a merge commit was made by this session's merger thread (its events need no resend). */
  boolean isOwnMerge() {
    return Thread.currentThread() == merger && !releasing;
  }

  /**
   * Merges {@code first} and, while catching up, the batches that follow it, in one transaction with
   * the cursor; returns a message taken from the inbox that did not belong to it, if any.
   */
  private Message onChanges(Message.Changes first) throws ProtocolException, IOException {
    if (!first.from().equals(expected)) {
      askAgain();
      return null;
    }
    Incoming batches = new Incoming(first);
    MergeResult result = merge(() -> db.mergeFromPeer(remoteSiteBytes, batches, remoteSchema > db.schemaVersion()));
    expected = batches.last.cursor();
    send(new Message.Ack(expected));
    if (result.applied() > 0) {
      peer.events.change(remoteSite, batches.tables);
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
      MergeResult result;
      releasing = true;
      try {
        result = merge(() -> db.mergeAll(merging.iterator(), remoteSchema > db.schemaVersion()));
      } finally {
        releasing = false;
      }
      sealer.released(ready);
      if (result.applied() > 0) {
        Set<String> tables = new LinkedHashSet<>();
        ready.forEach(x -> tables.add(x.table()));
        peer.events.change(remoteSite, tables);
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
    }
  }

  /**
   * The batches of one merge transaction: the first, then, while the peer says more is coming and the
   * transaction is within its time and size, each next batch that continues the last one.
   */
  private final class Incoming implements java.util.Iterator<ChangeBatch> {
    private final long started = System.nanoTime();
    private Message.Changes pending;
    Message.Changes last;
    Message stashed;
    private int changes;
    final Set<String> tables = new LinkedHashSet<>();

    Incoming(Message.Changes first) {
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
      Message m;
      try {
        // With a sealer the next batch's check waits for this transaction: take only batches already here.
        m = inbox.poll(peer.options.sealer != null ? 0 : NEXT_BATCH_WAIT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new Closed();
      }
      if (m instanceof Message.Changes c && c.from().equals(last.cursor())) {
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
      Message.Changes c = pending;
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
      received += c.changes().size();
      remainingToReceive = c.remaining();
      try {
        send(new Message.Received(c.cursor()));
      } catch (IOException e) {
        throw new Closed();
      }
      return new ChangeBatch(c.changes(), c.cursor(), false);
    }
  }

  /** The session closed while a merge was waiting: its transaction rolls back. */
  private static final class Closed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Closed() {
      super("session closed", null, false, false);
    }
  }

  private void onEose(Message.Eose e) throws IOException {
    if (!e.from().equals(expected)) {
      askAgain();
      return;
    }
    if (!e.cursor().equals(expected)) {
      db.savePeerCursor(remoteSiteBytes, e.cursor());
      expected = e.cursor();
    }
    if (!eoseSeen) {
      eoseSeen = true;
      peerCaughtUp = true;
      peer.events.eose(remoteSite);
    }
  }

  /**
   * With a sealer, refuses the whole batch unless its seals cover every change (docs/SECURITY.md);
   * returns the batch with the changes to merge now. The ones the sealer holds (their signer is not
   * known yet) leave it, but the cursor still moves past them: the sealer keeps them.
   */
  private Message.Changes verifySeals(Message.Changes c) throws ProtocolException {
    if (peer.options.sealer == null) {
      return c;
    }
    List<Change> now;
    try {
      now = peer.options.sealer.verify(remoteDevice, c.changes(), c.seals());
    } catch (dev.cfost.net.SyncException e) {
      throw new ProtocolException(e.code(), e.detail());
    }
    return now.size() == c.changes().size() ? c : new Message.Changes(c.from(), c.cursor(), now, c.remaining(), c.seals());
  }

  /** With a sealer, the batch as the sealer signs it (and the changes it can vouch for). */
  private Message.Changes sealed(Message.Changes m) {
    if (peer.options.sealer == null) {
      return m;
    }
    dev.cfost.SealedChanges s = peer.options.sealer.seal(m.changes());
    return new Message.Changes(m.from(), m.cursor(), s.changes(), m.remaining(), s.seals());
  }

  /** Asks for the stream again from the persisted cursor, at most every 200 ms for the same cursor. */
  private void askAgain() throws IOException {
    long now = System.nanoTime();
    if (expected.equals(lastReRequest) && now - lastReRequestAt < 200_000_000L) {
      return;
    }
    lastReRequest = expected;
    lastReRequestAt = now;
    send(new Message.Request(expected));
  }

  // ---- sending ----

  /** True when the sender is caught up, nothing is unacknowledged and no local commit is pending. */
  synchronized boolean delivered() {
    return requested != null && !restart && caughtUp && inFlight == 0 && !dirty && eoseSentFlag
        && (lastFrameCursor == null || lastFrameCursor.equals(ackedCursor));
  }

  /** Wakes the sender: there are new local commits. */
  synchronized void markDirty() {
    dirty = true;
    notifyAll();
  }

  /**
   * This session's merger committed db_version {@code dbVersion}, holding only what the peer sent: if
   * the sender was caught up just before it, the next read starts after it instead of reading those
   * rows again only to filter them all out (no echo). The peer learns the new cursor with the next batch
   * or eose; until then nothing is sent, so the merge wakes nobody.
   */
  synchronized void skipOwnMerge(long dbVersion) {
    Cursor at = skipTo != null ? skipTo : sendCursor;
    if (caughtUp && !dirty && !restart && at != null && at.equals(Cursor.since(dbVersion - 1))) {
      skipTo = Cursor.since(dbVersion);
    } else {
      markDirty();
    }
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

  private void runSender() {
    long remainingRows = -1;
    int limit = peer.options.maxBatchChanges;
    boolean eoseSent = false;
    try {
      while (!closed) {
        Cursor from;
        Cursor readFrom;
        synchronized (this) {
          while (!closed && !restart && (requested == null || inFlight >= peer.options.window
              || (caughtUp && !dirty))) {
            wait(1_000);
          }
          if (closed) {
            return;
          }
          if (restart) {
            restart = false;
            sendCursor = requested;
            caughtUp = false;
            inFlight = 0;
            eoseSent = false;
            eoseSentFlag = false;
            remainingRows = -1;
            skipTo = null;
            lastFrameCursor = null;
          }
          dirty = false;
          from = sendCursor;
          readFrom = skipTo != null ? skipTo : from;
        }
        if (caughtUp && peer.options.liveDebounceMillis > 0 && System.nanoTime() - lastLiveSendAt < BURST_NANOS) {
          Thread.sleep(peer.options.liveDebounceMillis); // a burst of commits: let more join this batch
        }
        // Read, and read again with a smaller limit while the encoded batch is over the byte limit (a
        // batch always holds whole rows, so one large row may still go alone).
        ChangeBatch batch;
        byte[] frame;
        while (true) {
          batch = db.changes(readFrom, limit, peer.filterFor(remoteSiteBytes));
          if (remainingRows < 0) {
            remainingRows = db.rowsAfter(readFrom, peer.filterFor(remoteSiteBytes)); // once per request: an index count
          }
          long remaining = batch.caughtUp() ? 0 : Math.max(0, remainingRows - distinctRows(batch));
          frame = batch.changes().isEmpty() ? null
              : MessageCodec.encode(sealed(new Message.Changes(from, batch.next(), batch.changes(), remaining)));
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
          remainingRows = batch.caughtUp() ? 0 : Math.max(0, remainingRows - distinctRows(batch));
          if (frame != null) {
            inFlight++;
            lastFrameCursor = batch.next();
            if (caughtUp) {
              lastLiveSendAt = System.nanoTime();
            }
          }
          if (readFrom.equals(skipTo)) {
            skipTo = null; // used; a skip that moved on meanwhile (an own merge during the read) stays
          }
          sendCursor = batch.next();
          caughtUp = batch.caughtUp();
        }
        if (frame != null) {
          sendFrame(frame);
          sent += batch.changes().size();
          if (batch.caughtUp()) {
            send(new Message.Eose(batch.next(), batch.next()));
          }
        } else if (batch.caughtUp() && !batch.next().equals(from)) {
          send(new Message.Eose(from, batch.next()));
          peer.acked(remoteSite, batch.next()); // nothing was pending for the peer up to here
        } else if (batch.caughtUp() && !eoseSent) {
          send(new Message.Eose(from, from));
        }
        if (batch.caughtUp()) {
          eoseSent = true;
          synchronized (this) {
            eoseSentFlag = true;
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      close("connection lost while sending: " + e.getMessage());
    } catch (RuntimeException e) {
      log.error("sending to {} failed", describe(), e);
      peer.error(remoteSite, e);
      trySend(new Message.Error(ProtocolException.INTERNAL, String.valueOf(e.getMessage())));
      close("internal error: " + e);
    }
  }

  // ---- housekeeping ----

  /** Called by the peer's timer: pings, and closes a session that has been silent too long. */
  void tick(long pingId) {
    long silentNanos;
    synchronized (this) {
      silentNanos = System.nanoTime() - lastReceivedAt;
    }
    if (silentNanos > peer.options.timeoutMillis * 1_000_000L) {
      trySend(new Message.Error(ProtocolException.TIMEOUT, "no message for " + peer.options.timeoutMillis + " ms"));
      close("timed out");
      return;
    }
    trySend(new Message.Ping(pingId));
  }

  void send(Message m) throws IOException {
    sendFrame(MessageCodec.encode(m));
  }

  private void sendFrame(byte[] frame) throws IOException {
    if (closed) {
      throw new IOException("session closed");
    }
    outbox.add(frame);
  }

  private void trySend(Message m) {
    try {
      send(m);
    } catch (IOException | RuntimeException e) {
      log.debug("could not send {} to {}: {}", type(m), describe(), e.toString());
    }
  }

  /**
   * Ends the session: frames already queued (an error message, say) are still written, then the
   * connection closes; a peer that does not read gets 2 s before the connection is closed anyway.
   */
  void close(String reason) {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      notifyAll();
    }
    outbox.add(END);
    inbox.add(STOP);
    java.util.concurrent.CompletableFuture.delayedExecutor(2, java.util.concurrent.TimeUnit.SECONDS)
        .execute(conn::close);
    peer.unregister(this, reason);
  }

  String describe() {
    return (remoteSite == null ? "?" : remoteSite.substring(0, 8)) + "@" + conn.remote();
  }

  /** The peer sent {@code error}. */
  private static final class RemoteError extends IOException {
    private static final long serialVersionUID = 1L;
    final transient dev.cfost.net.SyncException error;

    RemoteError(dev.cfost.net.SyncException error) {
      super(error.getMessage());
      this.error = error;
    }
  }

  private static String type(Message m) {
    return m.getClass().getSimpleName().toLowerCase();
  }
}
