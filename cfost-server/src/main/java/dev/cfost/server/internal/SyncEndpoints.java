package dev.cfost.server.internal;

import dev.cfost.Cursor;
import dev.cfost.Values;
import dev.cfost.net.SyncException;
import dev.cfost.net.SyncMessage;
import dev.cfost.server.ServerDevice;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.websocket.WsContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.websocket.api.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sync endpoints: WebSocket {@code /v1/sync} (one protocol message per text frame, or per binary
 * frame where the client offered the subprotocol {@link #BINARY}), and for clients that cannot hold a
 * WebSocket, the SSE stream {@code GET /v1/sync/events} with {@code POST /v1/sync/messages}
 * (docs/SERVER.md, "Sync").
 *
 * <p>Bounds: a frame or POST body is at most {@link #MAX_MESSAGE_BYTES}; a WebSocket whose unsent
 * messages pass {@link #MAX_QUEUED_BYTES} (a client too slow to read) is closed rather than buffered; at
 * most {@link #MAX_SSE_STREAMS} SSE streams at once (each holds a thread while it writes).
 */
final class SyncEndpoints {
  /** As between peers ({@code Transports.MAX_FRAME_BYTES}): a batch holding one row of large values. */
  static final int MAX_MESSAGE_BYTES = dev.cfost.net.Transports.MAX_FRAME_BYTES;
  static final long MAX_QUEUED_BYTES = 32L << 20; // above the window: 16 batches of about 1 MiB, hex-encoded
  static final int MAX_SSE_STREAMS = 64; // each holds a Jetty thread (of at most 250) while it writes
  /** The subprotocol of text frames: what an older server echoes, as Javalin names the first one offered. */
  static final String TEXT = "cfost-sync";
  /** The subprotocol of binary frames: the same UTF-8 JSON, without Jetty's text decoding. */
  static final String BINARY = "cfost-sync-binary";
  private static final String PROTOCOL_HEADER = "Sec-WebSocket-Protocol";
  private static final String SESSION = "cfost.session";
  private static final String BINARY_CHOSEN = "cfost.binary";
  private static final Logger LOG = LoggerFactory.getLogger(SyncEndpoints.class);

  private final SyncService service;
  private final SyncApi api;
  private final Duration keepAlive;
  private final AtomicInteger sseStreams = new AtomicInteger();

  /** @param keepAlive how long an idle SSE stream waits before a {@code : keep-alive} comment */
  SyncEndpoints(SyncService service, SyncApi api, Duration keepAlive) {
    this.service = service;
    this.api = api;
    this.keepAlive = keepAlive;
  }

  void install(JavalinConfig c) {
    c.jetty.modifyWebSocketServletFactory(f -> {
      f.setMaxTextMessageSize(MAX_MESSAGE_BYTES);
      f.setMaxBinaryMessageSize(1024); // text sessions; a binary session raises its own in connected()
      f.setIdleTimeout(Duration.ofSeconds(60));
    });
    c.routes.wsBeforeUpgrade("/v1/sync", ctx -> {
      try {
        ServerDevice device = api.requireDevice(ctx);
        refuseWhenFull(device, SyncApi.database(ctx.queryParam("database")));
      } catch (ApiException e) {
        HttpApi.refuseUpgrade(ctx, e);
        throw e; // so that Javalin stops before the upgrade
      }
      // Javalin has echoed the first protocol offered, whatever it is: name the one chosen instead.
      String chosen = chooseProtocol(ctx.req().getHeaders(PROTOCOL_HEADER));
      if (chosen != null) {
        ctx.header(PROTOCOL_HEADER, chosen);
        ctx.attribute(BINARY_CHOSEN, chosen.equals(BINARY));
      }
    });
    c.routes.ws("/v1/sync", ws -> {
      ws.onConnect(this::connected);
      ws.onMessage(ctx -> {
        SyncSession s = ctx.attribute(SESSION);
        if (s != null) {
          s.onFrame(ctx.message().getBytes(StandardCharsets.UTF_8));
        }
      });
      ws.onBinaryMessage(ctx -> {
        SyncSession s = ctx.attribute(SESSION);
        if (s != null && s.out instanceof WsOutbox o && o.binary) {
          java.nio.ByteBuffer data = ctx.data();
          byte[] frame = new byte[data.remaining()]; // a copy: Jetty may reuse its buffer once this returns
          data.get(frame);
          s.onFrame(frame);
        } else {
          ctx.closeSession(1003, "malformed_frame: messages are text frames (offer " + BINARY + " for binary)");
        }
      });
      ws.onClose(ctx -> {
        SyncSession s = ctx.attribute(SESSION);
        if (s != null) {
          s.close();
        }
      });
      ws.onError(ctx -> {
        SyncSession s = ctx.attribute(SESSION);
        if (s != null) {
          s.close();
        }
      });
    });
    c.routes.get("/v1/sync", ctx -> {
      api.requireDevice(ctx);
      throw new ApiException(426, "upgrade_required", "/v1/sync is a WebSocket endpoint; for plain HTTP use"
          + " GET /v1/sync/events and POST /v1/sync/messages").header("Upgrade", "websocket");
    });
    c.routes.get("/v1/sync/events", this::events);
    c.routes.post("/v1/sync/messages", this::messages);
  }

  private void refuseWhenFull(ServerDevice device, String database) {
    if (service.stopping()) {
      throw new ApiException(503, "going_away", "the server is stopping").header("Retry-After", "1");
    }
    String full = service.full(device.userId(), device.deviceId(), database);
    if (full != null) {
      throw new ApiException(503, "busy", full + "; retry later or use another server")
          .header("Retry-After", "30");
    }
  }

  // ---- WebSocket

  /**
   * The protocol to answer an offer with (every {@code Sec-WebSocket-Protocol} header, each a list):
   * binary if offered anywhere in it, else text if offered, else null (none of ours).
   */
  static String chooseProtocol(java.util.Enumeration<String> offers) {
    boolean text = false;
    while (offers != null && offers.hasMoreElements()) {
      for (String p : offers.nextElement().split(",")) {
        String name = p.strip();
        if (name.equals(BINARY)) {
          return BINARY;
        }
        text |= name.equals(TEXT);
      }
    }
    return text ? TEXT : null;
  }

  private void connected(WsContext ctx) {
    ServerDevice device = ctx.attribute(SyncApi.DEVICE_ATTRIBUTE);
    String database = SyncApi.database(ctx.queryParam("database"));
    ctx.disableAutomaticPings();
    boolean binary = Boolean.TRUE.equals(ctx.attribute(BINARY_CHOSEN));
    if (binary) {
      ctx.session.setMaxBinaryMessageSize(MAX_MESSAGE_BYTES);
    }
    WsOutbox outbox = new WsOutbox(ctx, binary);
    SyncSession session = new SyncSession(service, device.userId(), database, device.deviceId(), outbox, true);
    outbox.session = session;
    ctx.attribute(SESSION, session);
    service.register(session);
    LOG.info("event=connected transport=websocket user={} device={} database={} frames={}", device.userId(),
        device.deviceId(), database, binary ? "binary" : "text");
    session.open();
  }

  /**
   * A WebSocket's sends, asynchronous, with the bytes not yet written bounded (text or binary, a message
   * counts its UTF-8 length).
   */
  private final class WsOutbox implements SyncSession.Outbox {
    private final WsContext ctx;
    final boolean binary;
    private final AtomicLong queued = new AtomicLong();
    volatile SyncSession session;

    WsOutbox(WsContext ctx, boolean binary) {
      this.ctx = ctx;
      this.binary = binary;
    }

    @Override
    public boolean send(SyncMessage m, EncodedMessage encoded) {
      if (!ctx.session.isOpen()) {
        return false;
      }
      long size = encoded.size();
      long before = queued.getAndAdd(size);
      if (before > 0 && before + size > MAX_QUEUED_BYTES) { // one message alone always goes, however large
        String why = "the client does not read fast enough: more than " + (MAX_QUEUED_BYTES >> 20) + " MiB unsent";
        if (session != null) {
          session.end("slow_reader", why);
        } else {
          close("slow_reader", why);
        }
        return false;
      }
      Callback done = Callback.from(() -> queued.addAndGet(-size), e -> queued.addAndGet(-size));
      if (binary) {
        // A buffer of its own over the shared array: Jetty moves the buffer's position, never the bytes.
        ctx.session.sendBinary(java.nio.ByteBuffer.wrap(encoded.bytes()), done);
      } else {
        ctx.session.sendText(encoded.text(), done);
      }
      return true;
    }

    @Override
    public void close(String code, String reason) {
      String r = code + ": " + reason;
      // 1001 (going away): the server stops, or hears nothing; 1008 (policy violation): a refusal.
      int status = code.equals("going_away") || code.equals("timeout") ? 1001 : 1008;
      ctx.closeSession(status, r.length() > 120 ? r.substring(0, 120) : r);
    }

    @Override
    public String transport() {
      return "websocket";
    }
  }

  // ---- SSE

  /**
   * {@code GET /v1/sync/events?database=ID[&site=HEX]}: the server's side of the session as events, on
   * this request's thread: {@code hello}, {@code request} (the cursor the server holds for the device's
   * own stream), then {@code changes} and {@code eose}, each with its cursor as the event id; a
   * {@code Last-Event-ID} header (or {@code last_event_id} parameter) resumes after it, else the stream
   * resumes after what the device acknowledged.
   */
  private void events(Context ctx) throws IOException {
    ServerDevice device = api.requireDevice(ctx);
    String database = SyncApi.database(ctx.queryParam("database"));
    byte[] site = siteParam(ctx.queryParam("site"));
    Cursor resume = lastEventId(ctx);
    refuseWhenFull(device, database);
    if (sseStreams.incrementAndGet() > MAX_SSE_STREAMS) {
      sseStreams.decrementAndGet();
      throw new ApiException(503, "busy", "too many SSE streams; use the WebSocket endpoint or retry")
          .header("Retry-After", "10");
    }
    try {
      ctx.status(200);
      ctx.contentType("text/event-stream");
      ctx.header("Cache-Control", "no-cache");
      ctx.header("X-Accel-Buffering", "no");
      OutputStream os = ctx.res().getOutputStream();
      os.flush();
      SseOutbox outbox = new SseOutbox(os, Thread.currentThread());
      SyncSession session = new SyncSession(service, device.userId(), database, device.deviceId(), outbox, false);
      Semaphore wakeups = new Semaphore(0);
      session.pumpWith(() -> wakeups.release());
      service.register(session);
      LOG.info("event=connected transport=sse user={} device={} database={}", device.userId(), device.deviceId(),
          database);
      try {
        session.openImplied(site, resume);
        while (!outbox.broken && !session.closed()) {
          outbox.flushPending();
          session.pump();
          session.lastHeard = System.nanoTime(); // the stream is alive while it writes
          if (!wakeups.tryAcquire(keepAlive.toMillis(), TimeUnit.MILLISECONDS)) {
            outbox.comment("keep-alive");
          }
          wakeups.drainPermits();
        }
        outbox.flushPending(); // an error another thread ended the session with
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        session.close();
      }
    } finally {
      sseStreams.decrementAndGet();
    }
  }

  private static Cursor lastEventId(Context ctx) {
    String text = ctx.header("Last-Event-ID");
    if (text == null || text.isBlank()) {
      text = ctx.queryParam("last_event_id");
    }
    if (text == null || text.isBlank()) {
      return null;
    }
    try {
      return Cursor.parse(text.strip());
    } catch (IllegalArgumentException e) {
      throw ApiException.badField("Last-Event-ID", "Last-Event-ID '" + WireChecks.printable(text)
          + "' is not a cursor this server sent");
    }
  }

  private static byte[] siteParam(String hex) {
    if (hex == null) {
      return null;
    }
    try {
      byte[] site = Values.unhex(hex);
      if (site.length == 16) {
        return site;
      }
    } catch (RuntimeException e) {
      // refused below
    }
    throw ApiException.badField("site", "query parameter 'site' must be 16 bytes in hex");
  }

  /**
   * Writes events on the stream's own thread only; a failed write ends the stream. Another thread (the
   * timer, a revocation in a merge) never writes: a client that stopped reading would block it. Its
   * messages wait here, a few at most, for the stream's thread, which it wakes through the session.
   */
  private static final class SseOutbox implements SyncSession.Outbox {
    private static final int MAX_PENDING = 8;
    private final OutputStream os;
    private final Thread owner;
    private final java.util.concurrent.ConcurrentLinkedQueue<SyncMessage> pending =
        new java.util.concurrent.ConcurrentLinkedQueue<>();
    volatile boolean broken;

    SseOutbox(OutputStream os, Thread owner) {
      this.os = os;
      this.owner = owner;
    }

    void flushPending() {
      for (SyncMessage m; (m = pending.poll()) != null; ) {
        send(m);
      }
    }

    @Override
    public boolean send(SyncMessage m, EncodedMessage encoded) {
      if (broken) {
        return false;
      }
      if (Thread.currentThread() != owner) {
        if (pending.size() < MAX_PENDING) {
          pending.add(m);
        }
        return true;
      }
      String json = encoded.text();
      StringBuilder event = new StringBuilder(json.length() + 64);
      event.append("event: ").append(type(m)).append('\n');
      if (m instanceof SyncMessage.Changes c) {
        event.append("id: ").append(c.cursor()).append('\n');
      } else if (m instanceof SyncMessage.Eose e) {
        event.append("id: ").append(e.cursor()).append('\n');
      }
      event.append("data: ").append(json).append("\n\n");
      return write(event.toString());
    }

    void comment(String text) {
      write(": " + text + "\n\n");
    }

    private synchronized boolean write(String text) {
      try {
        os.write(text.getBytes(StandardCharsets.UTF_8));
        os.flush();
        return true;
      } catch (IOException e) {
        broken = true;
        return false;
      }
    }

    @Override
    public void close(String code, String reason) {
      if (Thread.currentThread() != owner) {
        return; // the session is closing: its stream's thread sends what waits and ends the response
      }
      broken = true;
      try {
        os.close();
      } catch (IOException e) {
        // already gone
      }
    }

    @Override
    public String transport() {
      return "sse";
    }

    private static String type(SyncMessage m) {
      String name = m.getClass().getSimpleName();
      return name.toLowerCase(java.util.Locale.ROOT);
    }
  }

  // ---- POST

  /**
   * {@code POST /v1/sync/messages?database=ID}: one message of the device's side. {@code changes} is
   * checked and merged like a WebSocket batch and answered 200 with the {@code ack}; if its {@code from}
   * is not the cursor the server holds, 409 with the {@code request} to resume from. {@code ack} records
   * what the device merged of the server's stream (204); {@code received}, {@code ping} and
   * {@code eose} are accepted and need nothing (204).
   */
  private void messages(Context ctx) throws IOException {
    ServerDevice device = api.requireDevice(ctx);
    String database = SyncApi.database(ctx.queryParam("database"));
    byte[] body = readBody(ctx);
    SyncMessage m;
    try {
      m = SyncMessage.decode(body);
    } catch (SyncException e) {
      throw new ApiException(400, e.code(), e.detail());
    }
    if (m instanceof SyncMessage.Changes c) {
      if (service.stopping()) {
        throw new ApiException(503, "going_away", "the server is stopping; send the batch again")
            .header("Retry-After", "1");
      }
      Cursor held;
      try {
        held = service.receive(device.userId(), database, device.deviceId(), c.changes(), c.seals(), c.from(),
            c.cursor()).held();
      } catch (SyncException e) {
        throw new ApiException(e.code().equals("unauthorized") ? 403 : 400, e.code(), e.detail());
      }
      if (held != null) {
        reply(ctx, 409, new SyncMessage.Request(held));
        return;
      }
      reply(ctx, 200, new SyncMessage.Ack(c.cursor()));
    } else if (m instanceof SyncMessage.Ack a) {
      long head = service.store.head(device.userId(), database);
      if (a.cursor().complete() > head) {
        throw new ApiException(400, "protocol_violation", "the ack names a cursor past the server's stream");
      }
      service.store.acknowledge(device.userId(), database, device.deviceId(), a.cursor().complete());
      ctx.status(204);
    } else if (m instanceof SyncMessage.Received || m instanceof SyncMessage.Ping || m instanceof SyncMessage.Eose) {
      ctx.status(204);
    } else {
      throw new ApiException(400, "protocol_violation", "POST carries changes, ack, received, eose or ping");
    }
  }

  private static void reply(Context ctx, int status, SyncMessage m) {
    ctx.status(status);
    ctx.contentType("application/json");
    ctx.result(SyncMessage.encode(m));
  }

  private static byte[] readBody(Context ctx) throws IOException {
    if (ctx.req().getContentLengthLong() > MAX_MESSAGE_BYTES) {
      throw new ApiException(413, "body_too_large", "a message is at most " + (MAX_MESSAGE_BYTES >> 20) + " MiB");
    }
    try (InputStream in = ctx.bodyInputStream()) {
      byte[] bytes = in.readNBytes(MAX_MESSAGE_BYTES + 1);
      if (bytes.length > MAX_MESSAGE_BYTES) {
        throw new ApiException(413, "body_too_large", "a message is at most " + (MAX_MESSAGE_BYTES >> 20) + " MiB");
      }
      return bytes;
    }
  }
}
