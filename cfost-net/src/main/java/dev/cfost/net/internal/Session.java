package dev.cfost.net.internal;

import dev.cfost.net.SyncMessage;
import dev.cfost.net.Connection;
import dev.cfost.net.FrameTooLargeException;
import dev.cfost.net.SyncException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
 * <p>Threads, one class each: {@link SessionReader} receives and decodes every message;
 * {@link SessionMerger} merges batches in order; {@link SessionSender} reads and sends batches;
 * {@link SessionWriter} is the only one that writes to the connection. This class holds what they share:
 * the peer's identity (set once by the reader at hello), the closed flag and the progress counters.
 */
final class Session {
  private static final Logger log = LoggerFactory.getLogger(Session.class);
  static final int PROTOCOL = 1;

  final PeerEngine peer;
  final Connection conn;
  final boolean outbound;
  final SessionWriter writer;
  final SessionReader reader;
  final SessionMerger merger;
  final SessionSender sender;

  // Set once by the reader thread on hello, read by others after.
  volatile String remoteSite;
  volatile byte[] remoteSiteBytes;
  volatile String remoteDevice;
  volatile int remoteSchema;
  /** Guarded by this, so that nothing is queued for the writer after close. */
  private boolean closed;
  private volatile boolean open = true;
  private volatile long lastReceivedAt = System.nanoTime();
  /** An accepted session counted by the peer until it passes hello or ends; guarded by this. */
  boolean countsAsUnauthorized;
  /** Every thread this session started, guarded by itself: the peer's stop waits for them. */
  private final List<Thread> threads = new ArrayList<>();

  // Progress, written by one thread each.
  volatile long remainingToReceive = -1;
  volatile long sent;
  volatile long received;
  volatile boolean peerCaughtUp;

  Session(PeerEngine peer, Connection conn, boolean outbound) {
    this.peer = peer;
    this.conn = conn;
    this.outbound = outbound;
    this.writer = new SessionWriter(this);
    this.reader = new SessionReader(this);
    this.merger = new SessionMerger(this);
    this.sender = new SessionSender(this);
  }

  void start() {
    newThread(writer::run, "writer").start();
    newThread(reader::run, "reader").start();
  }

  /**
   * A thread of this session, recorded before it starts so that {@link PeerEngine#stop} can wait for it;
   * only the peer's threads and this session's reader (for the merger and the sender) create them.
   */
  Thread newThread(Runnable body, String role) {
    Thread t = new Thread(body, "cfost-session-" + conn.remote() + "-" + role);
    t.setDaemon(true);
    synchronized (threads) {
      threads.add(t);
    }
    return t;
  }

  private List<Thread> threads() {
    synchronized (threads) {
      return List.copyOf(threads);
    }
  }

  /** True once the session closed and every thread it started has ended. */
  boolean ended() {
    return !open && threads().stream().noneMatch(Thread::isAlive);
  }

  /**
   * Waits until every thread of this session (also one the reader starts meanwhile) has ended, or until
   * {@code deadlineNanos}; the calling thread itself is never waited for. True if they all ended.
   */
  boolean awaitThreads(long deadlineNanos) throws InterruptedException {
    while (true) {
      Thread alive = threads().stream().filter(t -> t.isAlive() && t != Thread.currentThread()).findFirst().orElse(null);
      if (alive == null) {
        return true;
      }
      long leftMillis = (deadlineNanos - System.nanoTime()) / 1_000_000;
      if (leftMillis <= 0) {
        return false;
      }
      alive.join(leftMillis);
    }
  }

  /** Interrupts the threads still running: they overran the peer's stop. Returns their names. */
  List<String> interruptThreads() {
    List<String> names = new ArrayList<>();
    for (Thread t : threads()) {
      if (t.isAlive() && t != Thread.currentThread()) {
        t.interrupt();
        names.add(t.getName());
      }
    }
    return names;
  }

  boolean isOpen() {
    return open;
  }

  /** The reader received a frame. */
  void heard() {
    lastReceivedAt = System.nanoTime();
  }

  /** Ends the session after a failure on one of its threads, telling the peer why when that helps. */
  void fail(Throwable e) {
    if (!outbound && remoteSite == null && (e instanceof ProtocolException || e instanceof RemoteError
        || e instanceof FrameTooLargeException)) {
      // An accepted connection that never passed hello: anyone on the LAN can make these by the thousand.
      // No listener event and at most one log line per 100 (their text is the stranger's), so that a flood
      // fills neither the daemon's log nor the listener queue.
      String code = e instanceof ProtocolException pe ? pe.code
          : e instanceof RemoteError re ? "error from the peer: " + re.error.code() : ProtocolException.FRAME_TOO_LARGE;
      SyncException refusal = null;
      if (e instanceof ProtocolException pe) {
        trySend(new SyncMessage.Error(pe.code, pe.getMessage()));
        refusal = new SyncException(pe.code, shortened(pe.getMessage()));
      } else if (e instanceof FrameTooLargeException) {
        trySend(new SyncMessage.Error(ProtocolException.FRAME_TOO_LARGE, e.getMessage()));
        refusal = new SyncException(ProtocolException.FRAME_TOO_LARGE, shortened(e.getMessage()));
      }
      // This side's refusals (wrong topic, unauthorized) are worth an event, a few per minute at most; a
      // stranger's own error text never is.
      peer.refusedBeforeHello(conn.remote(), code);
      if (refusal != null && peer.strangerEventAllowed()) {
        peer.error(null, refusal);
      }
      close(code);
      return;
    }
    String reason;
    if (e instanceof ProtocolException pe) {
      reason = pe.code + ": " + pe.getMessage();
      log.warn("session with {} ended: {}", describe(), reason);
      trySend(new SyncMessage.Error(pe.code, pe.getMessage()));
      peer.error(remoteSite, new SyncException(pe.code, pe.getMessage()));
    } else if (e instanceof RemoteError re) {
      reason = re.getMessage();
      log.warn("session with {} ended by the peer: {}", describe(), reason);
      peer.error(remoteSite, re.error);
    } else if (e instanceof FrameTooLargeException) {
      reason = ProtocolException.FRAME_TOO_LARGE + ": " + e.getMessage();
      log.warn("session with {} ended: {}", describe(), reason);
      trySend(new SyncMessage.Error(ProtocolException.FRAME_TOO_LARGE, e.getMessage()));
      peer.error(remoteSite, new SyncException(ProtocolException.FRAME_TOO_LARGE, e.getMessage()));
    } else if (e instanceof IOException || e instanceof java.io.UncheckedIOException || e instanceof InterruptedException
        || e instanceof SessionMerger.Closed) {
      reason = open ? "connection lost: " + e.getMessage() : "closed";
      if (open) {
        log.info("session with {}: {}", describe(), reason);
      }
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    } else {
      reason = "internal error: " + e;
      log.error("session with {} failed", describe(), e);
      trySend(new SyncMessage.Error(ProtocolException.INTERNAL, String.valueOf(e.getMessage())));
      peer.error(remoteSite, e);
    }
    close(reason);
  }

  private static String shortened(String text) {
    return text == null || text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }

  /** The peer passed hello: it no longer counts as unauthorized, and may send large frames. */
  void authorized() {
    conn.authorized();
    leaveUnauthorized();
  }

  private void leaveUnauthorized() {
    synchronized (this) {
      if (!countsAsUnauthorized) {
        return;
      }
      countsAsUnauthorized = false;
    }
    peer.leftUnauthorized();
  }

  /** Called by the peer's timer: a session that has not said hello by now is closed. */
  void helloDeadline() {
    if (remoteSite == null && isOpen()) {
      String why = "no hello within " + peer.options.helloTimeoutMillis + " ms";
      log.info("session with {} ended: {}", describe(), why);
      trySend(new SyncMessage.Error(ProtocolException.TIMEOUT, why));
      close(why);
    }
  }

  /** Why the authorizer refuses this session's peer now, or null (also when there is no authorizer). */
  String refusalNow() {
    dev.cfost.net.PeerAuthorizer authorizer = peer.options.authorizer;
    byte[] site = remoteSiteBytes;
    if (authorizer == null || site == null) {
      return null;
    }
    return authorizer.refusal(conn.peerPublicKey(), remoteDevice, site.clone());
  }

  /** Ends the session if the authorizer no longer admits its peer (a revocation); true if it still does. */
  boolean reauthorize() {
    if (!isOpen() || remoteSite == null) {
      return true;
    }
    String refusal = refusalNow();
    if (refusal == null) {
      return true;
    }
    log.warn("ending the session with device {} at {}: {}", remoteDevice, conn.remote(), refusal);
    fail(new ProtocolException(ProtocolException.UNAUTHORIZED, refusal));
    return false;
  }

  // ---- the sender's view ----

  boolean delivered() {
    return sender.delivered();
  }

  void markDirty() {
    sender.markDirty();
  }

  void ownMergeCommitted(long dbVersion) {
    sender.ownMergeCommitted(dbVersion);
  }

  void ownMergeDone(boolean onlyThePeers) {
    sender.ownMergeDone(onlyThePeers);
  }

  boolean isOwnMerge() {
    return merger.isOwnMerge();
  }

  // ---- housekeeping ----

  /** Called by the peer's timer: pings, and closes a session that has been silent too long. */
  void tick(long pingId) {
    long silentNanos = System.nanoTime() - lastReceivedAt;
    if (silentNanos > peer.options.timeoutMillis * 1_000_000L) {
      trySend(new SyncMessage.Error(ProtocolException.TIMEOUT, "no message for " + peer.options.timeoutMillis + " ms"));
      close("timed out");
      return;
    }
    trySend(new SyncMessage.Ping(pingId));
  }

  /** Queues a control message; fails if the peer has left too much unread (see {@link SessionWriter}). */
  void send(SyncMessage m) throws IOException {
    byte[] frame = MessageCodec.encode(m);
    synchronized (this) {
      if (closed) {
        throw new IOException("session closed");
      }
      writer.enqueueControl(frame);
    }
  }

  /**
   * Queues a batch of {@code changes} changes once the outbox has room for it, counting them as it is
   * queued (counted later, a peer that merged it and closed first would leave it out of the totals).
   */
  void sendBatch(byte[] frame, int changes) throws IOException, InterruptedException {
    if (!writer.awaitRoom(frame.length)) {
      throw new IOException("session closed");
    }
    synchronized (this) {
      if (closed) {
        throw new IOException("session closed");
      }
      sent += changes;
      writer.enqueueBatch(frame);
    }
  }

  void trySend(SyncMessage m) {
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
      open = false;
    }
    leaveUnauthorized();
    sender.wake();
    writer.end();
    merger.stop();
    CompletableFuture.delayedExecutor(2, TimeUnit.SECONDS).execute(conn::close);
    peer.unregister(this, reason);
  }

  String describe() {
    return (remoteSite == null ? "?" : remoteSite.substring(0, 8)) + "@" + conn.remote();
  }

  /** The peer sent {@code error}. */
  static final class RemoteError extends IOException {
    private static final long serialVersionUID = 1L;
    final transient SyncException error;

    RemoteError(SyncException error) {
      super(error.getMessage());
      this.error = error;
    }
  }

  static String type(SyncMessage m) {
    return m.getClass().getSimpleName().toLowerCase();
  }
}
