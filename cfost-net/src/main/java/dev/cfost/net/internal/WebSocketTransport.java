package dev.cfost.net.internal;

import dev.cfost.net.Connection;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.Topic;
import dev.cfost.net.Transport;
import dev.cfost.net.WebSocketOptions;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sync server over WebSocket, as the one peer of a transport: {@link #lookup} returns it, so a
 * {@code Peer} with discovery on dials it and, like any peer, dials it again with backoff after a failure
 * or a lost session. It accepts nothing ({@link #start} returns null).
 *
 * <p>Several URLs are the same server (replicas behind different names): {@link #connect} starts at the
 * one that worked last and moves to the next when one cannot be reached or fails its handshake. A refusal
 * of the credentials (HTTP 401 or 403) is the same at every URL: it is told to the {@link
 * dev.cfost.net.WebSocketAuth} (so the next attempt gets fresh credentials) and ends the attempt.
 *
 * <p>Frames: the handshake offers the subprotocols {@value #TEXT} then {@value #BINARY}. A server that
 * chooses {@value #BINARY} gets each message in one binary WebSocket message, the same UTF-8 JSON; any
 * other answer (an older server echoes the first offer; a server that ignores subprotocols names none)
 * keeps text messages (docs/PROTOCOL.md, "Transports").
 *
 * <p>Threads: the JDK's HTTP client runs the WebSockets on its own executor; {@link #connect} runs on the
 * peer's dialing thread, one at a time (synchronized: the credentials are fetched once per attempt).
 */
public final class WebSocketTransport implements Transport {
  /** Text messages: offered first, so a server that echoes the first offer answers text. */
  public static final String TEXT = "cfost-sync";
  /** Binary messages, when the server chooses them. */
  public static final String BINARY = "cfost-sync-binary";
  private static final Logger log = LoggerFactory.getLogger(WebSocketTransport.class);

  private final WebSocketOptions options;
  private final int maxFrame;
  private final HttpClient http;
  private final PeerAddress server;
  private final Set<WebSocketConnection> open = ConcurrentHashMap.newKeySet();
  private volatile int current; // the URL that worked last
  private volatile boolean closed;

  public WebSocketTransport(WebSocketOptions options, int maxFrame) {
    this.options = options;
    this.maxFrame = maxFrame;
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(options.connectTimeout);
    if (options.tls != null) {
      b.sslContext(options.tls);
    }
    this.http = b.build();
    URI first = options.urls.get(0);
    this.server = new PeerAddress(first.getHost(), port(first));
  }

  private static int port(URI url) {
    return url.getPort() != -1 ? url.getPort() : "wss".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
  }

  @Override
  public String name() {
    return "websocket";
  }

  /** Accepts nothing: a device dials the server. */
  @Override
  public PeerAddress start(java.util.function.Consumer<Connection> inbound) {
    return null;
  }

  @Override
  public void announce(Topic topic) {
    // The server is configured, not discovered.
  }

  /** The server, whatever the topic: the database id is in the URL. */
  @Override
  public List<PeerAddress> lookup(Topic topic) {
    return closed ? List.of() : List.of(server);
  }

  @Override
  public synchronized Connection connect(PeerAddress address) throws IOException {
    if (!server.equals(address)) {
      // A Peer dials every wanted address on each of its transports: a LAN peer is not reached this way.
      throw new IOException(address + " is not the sync server of this transport (" + server + ")");
    }
    if (closed) {
      throw new IOException("the WebSocket transport is closed");
    }
    List<String> failures = new ArrayList<>();
    int n = options.urls.size();
    int start = current;
    for (int i = 0; i < n; i++) {
      int index = (start + i) % n;
      URI url = options.urls.get(index);
      try {
        Connection c = open(url);
        if (index != start) {
          log.info("connected to the sync server at {} ({} failed)", shown(url), String.join("; ", failures));
        }
        current = index;
        return c;
      } catch (Refused e) {
        throw e;
      } catch (IOException e) {
        failures.add(shown(url) + ": " + e.getMessage());
      }
    }
    throw new IOException(failures.size() == 1 ? failures.get(0) : "no server URL worked: " + String.join("; ", failures));
  }

  private Connection open(URI url) throws IOException {
    Map<String, String> headers;
    try {
      headers = options.auth.headers(url);
    } catch (RuntimeException e) {
      // Such as an identity refusal: the dialer retries after an IOException only.
      throw new IOException(e.getMessage(), e);
    }
    WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(options.connectTimeout).subprotocols(TEXT, BINARY);
    headers.forEach(b::header);
    WebSocketConnection conn = new WebSocketConnection(shown(url), maxFrame, open::remove);
    CompletableFuture<WebSocket> f = b.buildAsync(url, conn);
    WebSocket ws;
    try {
      // Connect and handshake under one deadline, as TcpTransport does.
      ws = f.get(2 * options.connectTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      throw new IOException("no WebSocket handshake within " + 2 * options.connectTimeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while connecting to " + shown(url));
    } catch (ExecutionException e) {
      throw failure(url, e.getCause());
    }
    conn.opened(ws);
    if (closed) {
      conn.close();
      throw new IOException("the WebSocket transport is closed");
    }
    open.add(conn);
    return conn;
  }

  private IOException failure(URI url, Throwable cause) {
    if (cause instanceof WebSocketHandshakeException h) {
      int status = h.getResponse().statusCode();
      String body = h.getResponse().body() instanceof String s ? s : "";
      String detail = "the server refused the WebSocket handshake with HTTP " + status
          + (body.isBlank() ? "" : ": " + Printable.shortened(body));
      if (status == 401 || status == 403) {
        options.auth.refused(url, status);
        return new Refused(detail, status);
      }
      return new IOException(detail, cause);
    }
    String message = cause == null ? "unknown error" : cause.getMessage() == null ? cause.toString() : cause.getMessage();
    return new IOException(message, cause);
  }

  /** The URL without its query, for logs and messages. */
  static String shown(URI url) {
    return url.getScheme() + "://" + url.getHost() + (url.getPort() == -1 ? "" : ":" + url.getPort())
        + (url.getRawPath() == null ? "" : url.getRawPath());
  }

  @Override
  public void close() {
    closed = true;
    for (WebSocketConnection c : open) {
      c.close();
    }
    open.clear();
  }

  /** The server refused the credentials (HTTP 401 or 403): trying another URL would not help. */
  static final class Refused extends IOException {
    private static final long serialVersionUID = 1L;
    final int status;

    Refused(String message, int status) {
      super(message);
      this.status = status;
    }
  }

  /** Keeps the server's text short and on one line in messages. */
  private static final class Printable {
    static String shortened(String s) {
      String one = s.replaceAll("[\\r\\n\\t]+", " ").replaceAll("[\\p{Cntrl}]", "?");
      return one.length() <= 200 ? one : one.substring(0, 200) + "...";
    }
  }
}
