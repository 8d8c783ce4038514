package dev.cfost.net.internal;

import dev.cfost.net.SyncMessage;
import dev.cfost.Cfost;
import dev.cfost.Change;
import dev.cfost.Values;
import dev.cfost.net.BatchSealer;
import java.io.IOException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's reader thread: sends this side's {@code hello}, receives and decodes every frame, checks the
 * peer's {@code hello}, and hands batches and {@code eose} to the merger, requests and acknowledgements to
 * the sender. It never writes to the connection itself (the writer does), so it never blocks on a full
 * socket buffer.
 */
final class SessionReader {
  private static final Logger log = LoggerFactory.getLogger(SessionReader.class);

  private final Session session;
  private final PeerEngine peer;
  private final Cfost db;

  SessionReader(Session session) {
    this.session = session;
    this.peer = session.peer;
    this.db = session.peer.db;
  }

  void run() {
    try {
      session.send(new SyncMessage.Hello(Session.PROTOCOL, peer.topic.hex(), Values.hex(db.siteId()), peer.deviceId,
          db.schemaVersion(), List.of("changes", "live")));
      while (session.isOpen()) {
        byte[] frame = session.conn.receive();
        if (frame == null) {
          session.close("the peer closed the connection");
          return;
        }
        session.heard();
        handle(MessageCodec.decode(frame), frame.length);
      }
    } catch (Exception | Error e) { // an Error too: a silently dead thread would leave the session hanging
      session.fail(e);
    } finally {
      session.close("closed");
    }
  }

  private void handle(SyncMessage m, int frameBytes) throws ProtocolException, IOException, InterruptedException {
    if (session.remoteSite == null && !(m instanceof SyncMessage.Hello) && !(m instanceof SyncMessage.Error)) {
      throw new ProtocolException(ProtocolException.PROTOCOL_VIOLATION, "expected hello first, got " + Session.type(m));
    }
    if (m instanceof SyncMessage.Hello h) {
      onHello(h);
    } else if (m instanceof SyncMessage.Request r) {
      session.sender.onRequest(r.cursor());
    } else if (m instanceof SyncMessage.Changes c) {
      // Checked here; what the check keeps (the seals) the merger writes before the batch's merge transaction
      // begins, so this thread checks the next batches while a merge holds SQLite's write lock.
      checkSeals(c, frameBytes); // merged in order by the merger thread
    } else if (m instanceof SyncMessage.Eose) {
      session.merger.add(m, frameBytes);
    } else if (m instanceof SyncMessage.Received r) {
      session.sender.onReceived(r.cursor());
    } else if (m instanceof SyncMessage.Ack a) {
      session.sender.onAck(a.cursor());
    } else if (m instanceof SyncMessage.Ping p) {
      session.send(new SyncMessage.Pong(p.id()));
    } else if (m instanceof SyncMessage.Error e) {
      throw new Session.RemoteError(new dev.cfost.net.SyncException(e.code(), "the peer ended the session: " + e.message()));
    }
  }

  private void onHello(SyncMessage.Hello h) throws ProtocolException, IOException {
    if (session.remoteSite != null) {
      throw new ProtocolException(ProtocolException.PROTOCOL_VIOLATION, "a second hello");
    }
    if (h.protocol() != Session.PROTOCOL) {
      throw new ProtocolException(ProtocolException.UNSUPPORTED_VERSION,
          "protocol version " + h.protocol() + " is not supported; this side speaks " + Session.PROTOCOL);
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
      String refusal = peer.options.authorizer.refusal(session.conn.peerPublicKey(), h.deviceId(), site.clone());
      if (refusal != null) {
        log.warn("refused device {} at {}: {}", h.deviceId(), session.conn.remote(), refusal);
        throw new ProtocolException(ProtocolException.UNAUTHORIZED, refusal);
      }
    }
    session.remoteSiteBytes = site;
    session.remoteDevice = h.deviceId();
    session.remoteSite = h.siteId();
    session.remoteSchema = h.schemaVersion();
    if (!peer.register(session)) {
      if (peer.isStopped()) { // the peer closed during this hello: no refusal to report, nothing to keep
        session.close("stopped");
        return;
      }
      throw new ProtocolException(ProtocolException.DUPLICATE_SESSION, "another session with this peer is kept");
    }
    session.authorized();
    int local = db.schemaVersion();
    if (session.remoteSchema > local) {
      peer.events.outdated(session.remoteSite, session.remoteSchema, local);
    }
    dev.cfost.Cursor cursor = db.peerCursor(site);
    session.send(new SyncMessage.Request(cursor));
    peer.events.syncStarted(session.remoteSite);
    session.merger.start(cursor);
    session.newThread(session.sender::run, "sender").start();
  }

  /**
   * With a sealer, refuses the whole batch unless its seals cover every change (docs/SECURITY.md); queues
   * the batch with the changes to merge now, and what the check left to keep. The ones the sealer holds
   * (their signer is not known yet) leave it, but the cursor still moves past them: the sealer keeps them.
   */
  private void checkSeals(SyncMessage.Changes c, int frameBytes) throws ProtocolException, InterruptedException {
    if (peer.options.sealer == null) {
      session.merger.add(c, frameBytes);
      return;
    }
    BatchSealer.Checked checked;
    try {
      checked = peer.options.sealer.check(session.remoteDevice, session.remoteSiteBytes, c.changes(), c.seals());
    } catch (dev.cfost.net.SyncException e) {
      throw new ProtocolException(e.code(), e.detail());
    }
    List<Change> now = checked.changes();
    SyncMessage.Changes batch = now.size() == c.changes().size() ? c
        : new SyncMessage.Changes(c.from(), c.cursor(), now, c.remaining(), c.seals());
    session.merger.add(batch, checked.keep(), frameBytes);
  }
}
