package dev.cfost.net;

import io.javalin.Javalin;
import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsContext;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A real WebSocket server (Javalin, Jetty) for the tests of the WebSocket transport: either scripted per
 * test ({@link #start(int, Consumer)}) or the server side of sync sessions, each socket handed to a
 * {@link Peer} through {@link #transport()}, as cfost-server hands them to its sessions. A binary server
 * answers an offer of {@code cfost-sync-binary} with it, as cfost-server does; the others answer as
 * Javalin does by itself (the first protocol offered), as an older cfost-server did.
 */
public final class WsServer implements AutoCloseable {
  private final Javalin app;
  private volatile Consumer<Connection> inbound;
  private final Map<String, Inbound> connections = new ConcurrentHashMap<>();
  private final boolean binary;
  /** Binary messages the peer side took in. */
  public final java.util.concurrent.atomic.AtomicInteger binaryIn = new java.util.concurrent.atomic.AtomicInteger();
  /** The Sec-WebSocket-Protocol header of the last handshake. */
  public volatile String offered;

  private WsServer(int port, Consumer<WsConfig> handler, boolean peerSide, boolean binary) {
    this.binary = binary;
    this.app = Javalin.create(c -> {
      c.jetty.host = "127.0.0.1";
      c.jetty.port = port;
      c.jetty.modifyWebSocketServletFactory(f -> {
        f.setMaxTextMessageSize(Transports.MAX_FRAME_BYTES);
        f.setMaxBinaryMessageSize(Transports.MAX_FRAME_BYTES);
        f.setIdleTimeout(java.time.Duration.ofMinutes(5));
      });
      c.routes.wsBeforeUpgrade("/ws", ctx -> {
        offered = ctx.header("Sec-WebSocket-Protocol");
        if (binary && offered != null && offered.contains("cfost-sync-binary")) {
          ctx.header("Sec-WebSocket-Protocol", "cfost-sync-binary");
          ctx.attribute("binary", true);
        }
        String auth = ctx.header("Authorization");
        if ("Bearer revoked".equals(auth)) {
          ctx.status(403).result("{\"error\":\"device_revoked\"}");
          ctx.skipRemainingHandlers();
        } else if (auth != null && !auth.equals("Bearer good")) {
          ctx.status(401).result("{\"error\":\"invalid_token\"}");
          ctx.skipRemainingHandlers();
        }
      });
      c.routes.ws("/ws", peerSide ? this::peerSide : handler);
    });
    app.start();
  }

  /** A server whose socket behaviour {@code handler} scripts; {@code port} 0 picks one. */
  public static WsServer start(int port, Consumer<WsConfig> handler) {
    return new WsServer(port, handler, false, false);
  }

  /** As {@link #start(int, Consumer)}, choosing binary frames when the client offers them. */
  public static WsServer startBinary(int port, Consumer<WsConfig> handler) {
    return new WsServer(port, handler, false, true);
  }

  /** A server whose sockets are sessions of the {@link Peer} given {@link #transport()}. */
  public static WsServer forPeer(int port) {
    return new WsServer(port, null, true, false);
  }

  /** As {@link #forPeer(int)}, in binary frames when the client offers them. */
  public static WsServer forPeerBinary(int port) {
    return new WsServer(port, null, true, true);
  }

  public int port() {
    return app.port();
  }

  public URI url() {
    return URI.create("ws://127.0.0.1:" + port() + "/ws");
  }

  private void peerSide(WsConfig ws) {
    ws.onConnect(ctx -> {
      ctx.session.setIdleTimeout(java.time.Duration.ofMinutes(5));
      ctx.session.setMaxBinaryMessageSize(Transports.MAX_FRAME_BYTES);
      Inbound in = new Inbound(ctx, Boolean.TRUE.equals(ctx.attribute("binary")));
      connections.put(ctx.sessionId(), in);
      Consumer<Connection> target = inbound;
      if (target == null) {
        ctx.closeSession(1011, "no peer");
      } else {
        target.accept(in);
      }
    });
    ws.onMessage(ctx -> connections.get(ctx.sessionId()).frames.put(ctx.message().getBytes(StandardCharsets.UTF_8)));
    ws.onBinaryMessage(ctx -> {
      Inbound in = connections.get(ctx.sessionId());
      if (!in.binary) {
        ctx.closeSession(1003, "binary frame on a text session");
        return;
      }
      byte[] frame = new byte[ctx.data().remaining()];
      ctx.data().get(frame);
      binaryIn.incrementAndGet();
      in.frames.put(frame);
    });
    ws.onClose(ctx -> {
      Inbound in = connections.remove(ctx.sessionId());
      if (in != null) {
        in.frames.offer(Inbound.END);
      }
    });
  }

  /** A transport that accepts this server's sockets (a Peer's inbound side), and dials nothing. */
  public Transport transport() {
    return new Transport() {
      @Override
      public String name() {
        return "websocket-server";
      }

      @Override
      public PeerAddress start(Consumer<Connection> in) {
        inbound = in;
        return null;
      }

      @Override
      public void announce(Topic topic) {}

      @Override
      public List<PeerAddress> lookup(Topic topic) {
        return List.of();
      }

      @Override
      public Connection connect(PeerAddress address) throws IOException {
        throw new IOException("the test server dials nobody");
      }

      @Override
      public void close() {
        inbound = null;
      }
    };
  }

  @Override
  public void close() {
    app.stop();
  }

  /** The server's side of one socket (test code: its queue is unbounded). */
  private static final class Inbound implements Connection {
    static final byte[] END = new byte[0];
    final WsContext ctx;
    final boolean binary;
    final LinkedBlockingQueue<byte[]> frames = new LinkedBlockingQueue<>();

    Inbound(WsContext ctx, boolean binary) {
      this.ctx = ctx;
      this.binary = binary;
    }

    @Override
    public synchronized void send(byte[] frame) throws IOException {
      try {
        if (binary) {
          ctx.send(java.nio.ByteBuffer.wrap(frame));
        } else {
          ctx.send(new String(frame, StandardCharsets.UTF_8));
        }
      } catch (RuntimeException e) {
        throw new IOException(e);
      }
    }

    @Override
    public byte[] receive() throws IOException {
      try {
        byte[] f = frames.poll(60, TimeUnit.SECONDS);
        if (f == null) {
          throw new IOException("nothing received for 60 s");
        }
        return f == END ? null : f;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException();
      }
    }

    @Override
    public String remote() {
      return "ws-client-" + ctx.sessionId();
    }

    @Override
    public void close() {
      try {
        ctx.closeSession();
      } catch (RuntimeException e) {
        // already closed
      }
      frames.offer(END);
    }
  }
}
