package dev.cfost.server.internal;

import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.Seal;
import dev.cfost.Values;
import dev.cfost.identity.ChangeSeals;
import dev.cfost.identity.internal.DigestKey;
import dev.cfost.net.SyncException;
import dev.cfost.net.SyncMessage;
import dev.cfost.net.Topic;
import dev.cfost.server.ApplyResult;
import dev.cfost.server.StoredChanges;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's side of one device's sync session (docs/PROTOCOL.md), over WebSocket or SSE: it merges
 * the device's batches into the store ({@link SyncService#receive}) and streams the database to the device
 * from the cursor the device asks for, live once caught up.
 *
 * <p>Threading: {@link #onFrame} runs on the transport's thread, one frame at a time (the next frame is
 * not read before it returns: a merge holds the device back); {@link #pump} runs on the service's
 * executor, woken by commits, and holds the session's lock while it reads and sends; both take the lock
 * to change the stream's state; while a frame's batch is being merged the pump waits for it, to skip the
 * device's own changes (ownBatchDone). {@link #stop} (the server is stopping) waits for the frame being handled,
 * so that a batch being merged is committed and acknowledged before the connection closes.
 */
final class SyncSession {
  static final int WINDOW = 16;
  static final int BATCH_CHANGES = 2000;
  static final long BATCH_BYTES = 1L << 20;
  private static final Logger LOG = LoggerFactory.getLogger(SyncSession.class);

  /** Where the session's messages go: a WebSocket, or an SSE stream. */
  interface Outbox {
    /** Queues one message; false if the connection is closed or the client is too slow to read. */
    default boolean send(SyncMessage m) {
      return send(m, new EncodedMessage(SyncMessage.encode(m)));
    }

    /** Queues {@code m}, already encoded (shared by the sessions a page goes to). */
    boolean send(SyncMessage m, EncodedMessage encoded);

    /** Closes the connection with an error code and reason. */
    void close(String code, String reason);

    String transport();
  }

  final SyncService service;
  final String userId;
  final String databaseId;
  final String deviceId;
  final Outbox out;
  private final boolean windowed;
  private final AtomicBoolean pumpQueued = new AtomicBoolean();
  /** Runs {@link #pump} soon: on the service's executor, or on an SSE stream's own thread. */
  private volatile Runnable waker;
  private volatile boolean closed;
  private volatile String closeReason = "client_closed";
  /** Held while a frame is handled; {@link #stop} takes it to let that frame finish. */
  private final ReentrantLock handling = new ReentrantLock();
  private volatile boolean stopping;
  volatile long lastHeard = System.nanoTime();

  // Stream state, guarded by this.
  private byte[] deviceSite;
  private boolean helloSeen;
  private boolean requested;
  private long position; // where the next read starts
  private Cursor lastSent; // the device's cursor for this stream: the end of the last batch or eose sent
  private boolean eoseSent;
  private final ArrayDeque<Cursor> inFlight = new ArrayDeque<>();
  private final ArrayDeque<Cursor> unacked = new ArrayDeque<>();
  private Cursor lastRequested;
  private long lastRequestedAt;
  /** A batch of this session's device is being merged: the pump waits for it (a few ms) to skip it. */
  private boolean mergingOwnBatch;
  private boolean wokenWhileMerging;
  // The device's stream as its eose moved it in this session, and the saved cursor that move began at:
  // touched by the message thread only (handle).
  private Cursor eoseCursor;
  private Cursor eoseHeld;

  SyncSession(SyncService service, String userId, String databaseId, String deviceId, Outbox out, boolean windowed) {
    this.service = service;
    this.userId = userId;
    this.databaseId = databaseId;
    this.deviceId = deviceId;
    this.out = out;
    this.windowed = windowed;
  }

  /** Sends the server's hello; the device's hello comes next (WebSocket). */
  void open() {
    out.send(hello());
  }

  /**
   * For SSE, where the device's hello is implied by its token: sends the server's hello and the cursor it
   * holds for the device's stream, and starts streaming after {@code resumeFrom} (null: after what the
   * device acknowledged).
   *
   * @param site the device's site id, whose changes are not sent back; null to send everything
   */
  void openImplied(byte[] site, Cursor resumeFrom) {
    synchronized (this) {
      deviceSite = site;
      helloSeen = true;
    }
    out.send(hello());
    out.send(new SyncMessage.Request(service.store.receivedCursor(userId, databaseId, deviceId)));
    startStream(resumeFrom);
  }

  private SyncMessage.Hello hello() {
    return new SyncMessage.Hello(1, Topic.of(databaseId).hex(), Values.hex(service.serverSite(userId, databaseId)),
        "server", 0, List.of("changes", "live"));
  }

  /** One frame from the device. */
  void onFrame(byte[] frame) {
    lastHeard = System.nanoTime();
    handling.lock();
    try {
      if (closed || stopping) {
        return;
      }
      handle(SyncMessage.decode(frame));
    } catch (SyncException e) {
      fail(e.code(), e.detail());
    } catch (RuntimeException e) {
      LOG.error("event=sync_failed user={} device={} database={}", userId, deviceId, databaseId, e);
      fail("internal", "the server failed to handle the message");
    } finally {
      handling.unlock();
    }
  }

  /** The server is stopping: frames not yet handled are dropped (the device sends them again later). */
  void refuseFrames() {
    stopping = true;
  }

  /**
   * The server is stopping: handles no more frames, lets the one being handled finish (a batch being
   * merged is committed and acknowledged) until {@code deadlineNanos} at most, then closes the connection
   * with {@code code} and {@code reason}.
   */
  void stop(String code, String reason, long deadlineNanos) {
    refuseFrames();
    boolean idle = false;
    try {
      idle = handling.tryLock(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      end(code, reason);
    } finally {
      if (idle) {
        handling.unlock();
      }
    }
  }

  private void handle(SyncMessage m) {
    if (!(m instanceof SyncMessage.Hello) && !helloSeen()) {
      throw new SyncException("protocol_violation", "the first message must be hello");
    }
    if (m instanceof SyncMessage.Hello h) {
      hello(h);
    } else if (m instanceof SyncMessage.Request r) {
      startStream(r.cursor());
    } else if (m instanceof SyncMessage.Changes c) {
      if (service.stopping()) {
        return; // not merged, not acknowledged: the device sends it again to the next server
      }
      out.send(new SyncMessage.Received(c.cursor()));
      synchronized (this) {
        mergingOwnBatch = true;
      }
      // A batch that continues the device's eose continues the cursor that eose began at.
      Cursor from = c.from().equals(eoseCursor) ? eoseHeld : c.from();
      eoseCursor = null; // stored, the saved cursor is past it; refused, the device starts again from ours
      ApplyResult result = null;
      try {
        result = service.receive(userId, databaseId, deviceId, c.changes(), c.seals(), from, c.cursor());
      } finally {
        ownBatchDone(result);
      }
      if (!result.stored()) {
        requestAgain(result.held()); // a duplicate, or one after a lost one: resume from ours
        return;
      }
      out.send(new SyncMessage.Ack(c.cursor()));
    } else if (m instanceof SyncMessage.Received r) {
      boolean opened = false;
      synchronized (this) {
        if (!inFlight.isEmpty() && inFlight.peekFirst().equals(r.cursor())) {
          opened = inFlight.size() >= WINDOW;
          inFlight.removeFirst();
        }
      }
      if (opened) {
        wake(); // the pump stopped at the full window; otherwise it stopped caught up, and a commit wakes it
      }
    } else if (m instanceof SyncMessage.Ack a) {
      acked(a.cursor());
    } else if (m instanceof SyncMessage.Ping p) {
      out.send(new SyncMessage.Pong(p.id()));
    } else if (m instanceof SyncMessage.Error e) {
      LOG.info("event=device_error user={} device={} database={} code={} message={}", userId, deviceId, databaseId,
          e.code(), WireChecks.printable(e.message()));
      close();
    } else if (m instanceof SyncMessage.Eose e) {
      followEose(e);
    } else if (!(m instanceof SyncMessage.Pong)) {
      throw new SyncException("protocol_violation", "unexpected message");
    }
  }

  /**
   * The device's batch, merging since {@link #mergingOwnBatch} was set, is done ({@code result} null: it
   * failed). If it was stored, it took the positions after {@code result.previous()} up to
   * {@code result.position()}, and nothing else did: a stream that was to read next just after them moves
   * past them instead of reading back what the device sent only to leave it all out (a device pushing its
   * history would otherwise have each of its batches read again). Then the pump runs if it was woken
   * meanwhile (by this commit, at least), and tells the device the new cursor.
   */
  private void ownBatchDone(ApplyResult result) {
    boolean woken;
    synchronized (this) {
      mergingOwnBatch = false;
      if (result != null && result.stored() && requested && result.previous() >= 0 && position == result.previous()) {
        position = result.position();
      }
      woken = wokenWhileMerging;
      wokenWhileMerging = false;
    }
    if (woken) {
      wake();
    }
  }

  /**
   * The device is caught up with its own stream, which its eose may move past what it does not send the
   * server (rows its filter leaves out): followed for this session as a peer follows it (PROTOCOL.md, Session,
   * step 5), so that the device's next batch, which continues it, is stored rather than answered with a
   * request to send it all again. Saved with that batch, never alone (docs/SECURITY.md).
   */
  private void followEose(SyncMessage.Eose e) {
    if (e.from().equals(e.cursor())) {
      return;
    }
    if (e.from().equals(eoseCursor)) {
      eoseCursor = e.cursor();
    } else if (e.from().equals(service.store.receivedCursor(userId, databaseId, deviceId))) {
      eoseHeld = e.from();
      eoseCursor = e.cursor();
    }
  }

  /** Asks the device to resume from {@code held}, at most every 200 ms for the same cursor. */
  private void requestAgain(Cursor held) {
    long now = System.nanoTime();
    synchronized (this) {
      if (held.equals(lastRequested) && now - lastRequestedAt < 200_000_000L) {
        return;
      }
      lastRequested = held;
      lastRequestedAt = now;
    }
    out.send(new SyncMessage.Request(held));
  }

  private synchronized boolean helloSeen() {
    return helloSeen;
  }

  private void hello(SyncMessage.Hello h) {
    synchronized (this) {
      if (helloSeen) {
        throw new SyncException("protocol_violation", "a second hello");
      }
    }
    if (h.protocol() != 1) {
      throw new SyncException("unsupported_version", "this server speaks protocol 1, not " + h.protocol());
    }
    if (!Topic.of(databaseId).hex().equals(h.topic())) {
      throw new SyncException("wrong_topic", "the hello's topic is not the one of database '" + databaseId + "'");
    }
    if (!deviceId.equals(h.deviceId())) {
      throw new SyncException("unauthorized", "the hello names device " + WireChecks.printable(h.deviceId())
          + ", but the token is device " + deviceId + "'s");
    }
    byte[] site;
    try {
      site = Values.unhex(h.siteId());
    } catch (RuntimeException e) {
      throw new SyncException("protocol_violation", "the hello's site_id is not hex");
    }
    if (site.length != 16) {
      throw new SyncException("protocol_violation", "the hello's site_id must have 16 bytes");
    }
    java.util.Map<String, String> sites = service.devices.sites(userId, databaseId);
    String owner = sites.get(Values.hex(site));
    if (owner != null && !owner.equals(deviceId)) {
      throw new SyncException("unauthorized", "site " + Values.hex(site) + " is device " + owner + "'s, not "
          + deviceId + "'s");
    }
    for (java.util.Map.Entry<String, String> e : sites.entrySet()) {
      if (e.getValue().equals(deviceId) && !e.getKey().equals(Values.hex(site))) {
        throw new SyncException("unauthorized", "device " + deviceId + " announces site " + Values.hex(site)
            + ", which is not its own (" + e.getKey() + ")");
      }
    }
    synchronized (this) {
      deviceSite = site;
      helloSeen = true;
    }
    out.send(new SyncMessage.Request(service.store.receivedCursor(userId, databaseId, deviceId)));
  }

  /** (Re)starts the stream to the device after {@code from} (null: after what it acknowledged). */
  private void startStream(Cursor from) {
    long start = from == null ? service.store.acknowledged(userId, databaseId, deviceId) : from.complete();
    long head = service.store.head(userId, databaseId);
    if (start > head) {
      // The device has seen positions this store never handed out: the server's data was restored or lost.
      // Stream everything again; the batch still continues the device's cursor, which then moves back.
      LOG.warn("event=cursor_ahead user={} device={} database={} cursor={} head={}", userId, deviceId, databaseId,
          start, head);
      start = 0;
    }
    synchronized (this) {
      position = Math.max(0, start);
      lastSent = from == null ? Cursor.since(position) : from;
      requested = true;
      eoseSent = false;
      inFlight.clear();
      unacked.clear();
    }
    wake();
  }

  private void acked(Cursor cursor) {
    boolean known;
    synchronized (this) {
      known = unacked.contains(cursor);
      while (known && !unacked.isEmpty()) {
        if (unacked.removeFirst().equals(cursor)) {
          break;
        }
      }
    }
    if (known) {
      service.store.acknowledge(userId, databaseId, deviceId, cursor.complete());
    }
  }

  /** For SSE: {@code waker} runs the pump on the stream's own thread instead of the executor. */
  void pumpWith(Runnable waker) {
    this.waker = waker;
  }

  /** Something was committed, or the window opened: send what is new, on the service's executor. */
  void wake() {
    Runnable w = waker;
    if (w != null) {
      w.run();
      return;
    }
    if (!closed && pumpQueued.compareAndSet(false, true)) {
      service.executor.execute(() -> {
        pumpQueued.set(false);
        try {
          pump();
        } catch (RuntimeException e) {
          LOG.error("event=stream_failed user={} device={} database={}", userId, deviceId, databaseId, e);
          fail("internal", "the server failed to read the stream");
        }
      });
    }
  }

  /**
   * Sends batches while the window has room, then {@code eose} once caught up. Once caught up, a live batch
   * that reaches the head as read is not followed by another read or an {@code eose}: the device's cursor
   * is the batch's, and the next commit wakes the pump (docs/PROTOCOL.md, Session, 5).
   */
  synchronized void pump() {
    if (mergingOwnBatch) {
      wokenWhileMerging = true; // run once the batch is done (ownBatchDone), past it if nothing came between
      return;
    }
    while (!closed && requested && (!windowed || inFlight.size() < WINDOW)) {
      SyncService.Page read = service.page(userId, databaseId, position);
      StoredChanges page = read.changes();
      List<Change> send = new ArrayList<>(page.changes().size());
      long end = position;
      long bytes = 0;
      for (Change c : page.changes()) {
        if (bytes >= BATCH_BYTES) {
          break;
        }
        end = c.dbVersion();
        bytes += 96 + c.pk().length + c.table().length() + c.cid().length() + valueBytes(c.val());
        if (deviceSite == null || !Arrays.equals(deviceSite, c.siteId())) {
          send.add(c);
        }
      }
      if (bytes < BATCH_BYTES) {
        end = page.position(); // the whole page was taken, sentinels left out included
      }
      if (end == position) {
        if (!eoseSent || !lastSent.equals(Cursor.since(position))) {
          Cursor to = Cursor.since(position);
          out.send(new SyncMessage.Eose(lastSent, to));
          lastSent = to;
          eoseSent = true;
        }
        return;
      }
      position = end;
      if (send.isEmpty()) {
        continue; // only the device's own changes: the next batch or eose covers the range
      }
      Cursor to = Cursor.since(end);
      long remaining = Math.max(0, read.head() - end);
      boolean whole = send.size() == page.changes().size();
      List<Seal> seals = whole ? page.seals() : sealsFor(send, page.seals());
      SyncMessage.Changes batch = new SyncMessage.Changes(lastSent, to, send, remaining, seals);
      // The whole page from its own position is the same message for every session caught up there.
      boolean shared = whole && end == page.position() && lastSent.equals(Cursor.since(read.position()));
      if (!(shared ? out.send(batch, read.encoded(batch)) : out.send(batch))) {
        return;
      }
      service.metrics.batchOut();
      service.metrics.changesOut(send.size());
      lastSent = to;
      if (windowed) {
        inFlight.addLast(to);
      }
      unacked.addLast(to);
      while (unacked.size() > 4 * WINDOW) {
        unacked.removeFirst(); // an ack covers every batch before it; old ones need no exact match
      }
      if (eoseSent && remaining == 0) {
        return; // live, and nothing was after this batch when it was read: a commit since wakes the pump
      }
    }
  }

  private static List<Seal> sealsFor(List<Change> changes, List<Seal> seals) {
    Set<DigestKey> digests = new HashSet<>();
    for (Change c : changes) {
      digests.add(DigestKey.of(ChangeSeals.digest(c)));
    }
    List<Seal> out = new ArrayList<>();
    for (Seal s : seals) {
      for (byte[] d : s.digests()) {
        if (digests.contains(DigestKey.of(d))) {
          out.add(s);
          break;
        }
      }
    }
    return out;
  }

  private static long valueBytes(Object v) {
    if (v instanceof byte[] b) {
      return 2L * b.length; // hex on the wire
    }
    return v instanceof String s ? s.length() : 8;
  }

  /** Ends the session with an error sent to the device. */
  void fail(String code, String message) {
    if (closed) {
      return;
    }
    closeReason = code;
    LOG.info("event=session_refused user={} device={} database={} code={} message={}", userId, deviceId, databaseId,
        code, message);
    service.metrics.error(code);
    out.send(new SyncMessage.Error(code, message));
    out.close(code, message);
    close();
  }

  /** Closes the connection with {@code code} (no error message first: the server is stopping, say). */
  void end(String code, String reason) {
    if (!closed) {
      closeReason = code;
      out.close(code, reason);
      close();
    }
  }

  /**
   * Forgets the session (the connection is closed or closing), and ends an SSE stream's wait so that its
   * request returns now (a server that stops waits for every request in flight). Idempotent.
   */
  void close() {
    if (!closed) {
      closed = true;
      service.unregister(this);
      Runnable w = waker;
      if (w != null) {
        w.run(); // an SSE stream's thread sees it now, not at its next keep-alive (15 s)
      }
    }
  }

  /** Why the session ended, as a fixed word for metrics: an error code, or {@code client_closed}. */
  String closeReason() {
    return closeReason;
  }

  boolean closed() {
    return closed;
  }

  synchronized byte[] deviceSite() {
    return deviceSite;
  }
}
