package dev.cfost.bench;

import dev.cfost.Cursor;
import dev.cfost.Values;
import dev.cfost.net.SyncMessage;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A lightweight device of the server benchmark: a java.net.http WebSocket that speaks the sync protocol
 * by hand with a device token (no database): it answers the server's {@code hello} with the device's id
 * and a site of its own, asks for the server's stream from a given cursor, and once the {@code eose}
 * comes it is {@link #ready}. After that it notes the arrival of each {@code changes} message
 * ({@link Arrivals}), answers it with {@code received} (the server's window), and pings every 10 s as
 * devices do (the server closes a session silent for 35 s).
 *
 * <p>Threading: the listener ({@link TextMessages}) runs on the HTTP client's threads, one message at a
 * time; sends are chained so that at most one is outstanding, as java.net.http requires.
 */
final class LightClient extends TextMessages {
  /** Where a client reports the arrival of a {@code changes} message: its index and System.nanoTime(). */
  interface Arrivals {
    void arrived(int client, long nanos);
  }

  static final long PING_MILLIS = 10_000;

  /** The one daemon thread that sends every lightweight device's pings. */
  static ScheduledExecutorService pingTimer() {
    return java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "light-client-pings");
      t.setDaemon(true);
      return t;
    });
  }

  /** {@code n} HTTP clients to spread the devices' sessions over (each has one selector thread). */
  static List<HttpClient> httpClients(int n) {
    List<HttpClient> out = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build());
    }
    return List.copyOf(out);
  }

  private final int index;
  private final String deviceId;
  private final byte[] site;
  private final Cursor from;
  private final Arrivals arrivals;
  private CompletableFuture<?> sending = CompletableFuture.completedFuture(null); // guarded by this
  private volatile ScheduledFuture<?> pinger;
  private volatile boolean closedByServer;
  private volatile String closeReason;
  /** Completed at the server's eose (or, for a probe, at the first changes): the head position seen. */
  final CompletableFuture<Long> ready = new CompletableFuture<>();

  private LightClient(int index, String deviceId, Cursor from, Arrivals arrivals, long seed) {
    this.index = index;
    this.deviceId = deviceId;
    this.from = from;
    this.arrivals = arrivals;
    this.site = new byte[16];
    new SplittableRandom(seed).nextBytes(site);
  }

  /**
   * Opens a session of device {@code deviceId} with {@code token} on {@code database}, asking for the
   * server's stream after {@code from}; {@link #ready} completes when the server says it is caught up.
   * With {@code from} at the start, {@link #ready} completes already at the first {@code changes}, with
   * the head position it implies (its cursor plus what remains): a probe of where the stream ends.
   */
  static LightClient open(HttpClient http, URI server, String database, String token, String deviceId, Cursor from,
      int index, Arrivals arrivals, ScheduledExecutorService timer) {
    LightClient c = new LightClient(index, deviceId, from, arrivals, index * 7919L + 17);
    URI url = URI.create("ws://" + server.getAuthority() + "/v1/sync?database="
        + URLEncoder.encode(database, StandardCharsets.UTF_8));
    http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token)
        .buildAsync(url, c).whenComplete((ws, error) -> {
          if (error != null) {
            c.ready.completeExceptionally(error);
          } else {
            long delay = new SplittableRandom(index).nextLong(PING_MILLIS);
            c.pinger = timer.scheduleAtFixedRate(c::ping, delay, PING_MILLIS, TimeUnit.MILLISECONDS);
          }
        });
    return c;
  }

  @Override
  void failed(RuntimeException e) {
    ready.completeExceptionally(e);
  }

  @Override
  void message(String text, long messageStart) {
    // Only the messages the session needs are decoded; a changes message is noted before it is decoded.
    if (text.contains("\"type\":\"changes\"")) {
      if (ready.isDone() && arrivals != null) {
        arrivals.arrived(index, messageStart);
      }
      SyncMessage.Changes c = (SyncMessage.Changes) SyncMessage.decode(text.getBytes(StandardCharsets.UTF_8));
      if (from.equals(Cursor.START) && !ready.isDone()) {
        ready.complete(c.cursor().complete() + c.remaining());
        close();
        return;
      }
      send(new SyncMessage.Received(c.cursor()));
      return;
    }
    if (text.contains("\"type\":\"pong\"")) {
      return;
    }
    SyncMessage m = SyncMessage.decode(text.getBytes(StandardCharsets.UTF_8));
    if (m instanceof SyncMessage.Hello h) {
      send(new SyncMessage.Hello(1, h.topic(), Values.hex(site), deviceId, 0, List.of("changes", "live")));
    } else if (m instanceof SyncMessage.Request) {
      send(new SyncMessage.Request(from));
    } else if (m instanceof SyncMessage.Eose e) {
      ready.complete(e.cursor().complete());
    } else if (m instanceof SyncMessage.Error e) {
      closeReason = e.code() + ": " + e.message();
      ready.completeExceptionally(new IllegalStateException("the server refused the session: " + closeReason));
    }
  }

  private synchronized void send(SyncMessage m) {
    String text = new String(SyncMessage.encode(m), StandardCharsets.UTF_8);
    sending = sending.handle((x, e) -> null).thenCompose(x -> ws.sendText(text, true));
  }

  private void ping() {
    // Not before the session is caught up: the server wants the hello first.
    if (ws != null && !ws.isOutputClosed() && ready.isDone() && !ready.isCompletedExceptionally()) {
      send(new SyncMessage.Ping(System.nanoTime()));
    }
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    closedByServer = true;
    closeReason = statusCode + " " + reason;
    ready.completeExceptionally(new IllegalStateException("closed by the server: " + closeReason));
    stopPinging();
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    closedByServer = true;
    closeReason = String.valueOf(error);
    ready.completeExceptionally(error);
    stopPinging();
  }

  /** Whether the server closed the session (or the connection failed) after it opened. */
  boolean closedByServer() {
    return closedByServer;
  }

  String closeReason() {
    return closeReason;
  }

  private void stopPinging() {
    ScheduledFuture<?> p = pinger;
    if (p != null) {
      p.cancel(false);
    }
  }

  /** Drops the connection without a closing handshake (the benchmark ends many at once). */
  void close() {
    stopPinging();
    WebSocket w = ws;
    if (w != null) {
      w.abort();
    }
  }
}
