package dev.cfost.bench;

import dev.cfost.Cursor;
import dev.cfost.net.SyncMessage;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A lightweight device that writes, for the load benchmark ({@link ServerScaleBench}): a java.net.http
 * WebSocket that speaks the sync protocol by hand with a device token and sends batches sealed beforehand
 * ({@link LoadBatches}), as a device's session sends its own stream. It answers the server's
 * {@code hello} with its device id and site, asks for the server's stream from {@code from} (answering each
 * {@code changes} with {@code received}), and, once {@link #allow allowed}, sends its batches from the
 * cursor the server's {@code request} names, at most {@link #WINDOW} not yet {@code received} (a device's
 * default window) and {@link #UNACKED} not yet acknowledged, until {@link #stop stopped}. Batch {@code k}
 * continues {@code Cursor.since(k)} and ends at {@code Cursor.since(k + 1)}; {@link #done} completes when
 * the server has acknowledged the last one.
 *
 * <p>Threading: the listener ({@link TextMessages}) runs on the HTTP client's threads, one message at a
 * time; the stream state is guarded by this, and sends are chained so that at most one is outstanding, as
 * java.net.http requires.
 */
final class PushClient extends TextMessages {
  static final int WINDOW = 16;
  /**
   * Batches sent and not yet acknowledged, at most. The server handles a session's frames one at a time,
   * so two keep it busy; more would only queue, and a run stopped at its deadline would then wait for
   * every device's queue to drain.
   */
  static final int UNACKED = 2;

  private final String deviceId;
  private final String siteHex;
  private final String topic;
  private final Cursor from;
  private final List<String> batches;
  private CompletableFuture<?> sending = CompletableFuture.completedFuture(null); // guarded by this
  private int allowed; // guarded by this: batches below this index may be sent
  private long next = -1; // guarded by this: the next batch to send; -1 until the server's request
  private long receivedUpTo; // guarded by this
  private volatile long ackedUpTo;
  private volatile long lastAckAt;
  /** Completed when the server has sent its request for this device's stream and the eose of its own. */
  final CompletableFuture<Void> ready = new CompletableFuture<>();
  private boolean requestSeen; // guarded by this
  private boolean eoseSeen; // guarded by this
  /** Completed when every batch is acknowledged; failed if the server refuses or closes the session. */
  final CompletableFuture<Void> done = new CompletableFuture<>();

  private PushClient(String deviceId, String siteHex, String topic, Cursor from, List<String> batches) {
    this.deviceId = deviceId;
    this.siteHex = siteHex;
    this.topic = topic;
    this.from = from;
    this.batches = batches;
  }

  /** Opens the session of device {@code deviceId} (site {@code siteHex}) on {@code database}. */
  static PushClient open(HttpClient http, URI server, String database, String topic, String token,
      String deviceId, String siteHex, Cursor from, List<String> batches) {
    PushClient c = new PushClient(deviceId, siteHex, topic, from, batches);
    URI url = URI.create("ws://" + server.getAuthority() + "/v1/sync?database="
        + URLEncoder.encode(database, StandardCharsets.UTF_8));
    http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token)
        .buildAsync(url, c).whenComplete((ws, error) -> {
          if (error != null) {
            c.fail(error);
          }
        });
    return c;
  }

  /** Lets the first {@code count} batches go (all of them at once for the load; one by one for a fan-out). */
  void allow(int count) {
    synchronized (this) {
      allowed = Math.min(count, batches.size());
    }
    pump();
  }

  /** Sends no more batches; returns how many were sent (the server acknowledges them all in the end). */
  synchronized int stop() {
    allowed = (int) Math.max(0, next);
    return allowed;
  }

  int batches() {
    return batches.size();
  }

  /** System.nanoTime() of the last acknowledgement. */
  long lastAckAt() {
    return lastAckAt;
  }

  long ackedUpTo() {
    return ackedUpTo;
  }

  @Override
  void failed(RuntimeException e) {
    fail(e);
  }

  @Override
  void message(String text, long firstFragmentNanos) {
    // The frequent messages are read by their first field (the protocol puts type first, compact JSON).
    if (text.startsWith("{\"type\":\"received\"")) {
      long c = cursorOf(text);
      synchronized (this) {
        receivedUpTo = Math.max(receivedUpTo, c);
      }
      pump();
      return;
    }
    if (text.startsWith("{\"type\":\"ack\"")) {
      long c = cursorOf(text);
      if (c > ackedUpTo) {
        ackedUpTo = c;
        lastAckAt = System.nanoTime();
      }
      if (c >= batches.size()) {
        done.complete(null);
      }
      pump();
      return;
    }
    if (text.startsWith("{\"type\":\"changes\"")) {
      send(new SyncMessage.Received(Cursor.parse(stringField(text, "cursor"))));
      return;
    }
    SyncMessage m = SyncMessage.decode(text.getBytes(StandardCharsets.UTF_8));
    if (m instanceof SyncMessage.Hello h) {
      if (!topic.equals(h.topic())) {
        throw new IllegalStateException("the server's hello names topic " + h.topic() + ", not " + topic);
      }
      send(new SyncMessage.Hello(1, h.topic(), siteHex, deviceId, 0, List.of("changes", "live")));
      send(new SyncMessage.Request(from));
    } else if (m instanceof SyncMessage.Request r) {
      synchronized (this) {
        next = r.cursor().complete();
        receivedUpTo = next;
        requestSeen = true;
        readyIfBoth();
      }
      pump();
    } else if (m instanceof SyncMessage.Eose) {
      synchronized (this) {
        eoseSeen = true;
        readyIfBoth();
      }
    } else if (m instanceof SyncMessage.Error e) {
      throw new IllegalStateException("the server refused the session: " + e.code() + ": " + e.message());
    }
  }

  private void readyIfBoth() {
    if (requestSeen && eoseSeen) {
      ready.complete(null);
    }
  }

  /** Sends the allowed batches from the server's cursor while fewer than WINDOW are not yet received. */
  private synchronized void pump() {
    while (next >= 0 && next < allowed && next - receivedUpTo < WINDOW && next - ackedUpTo < UNACKED) {
      String batch = batches.get((int) next);
      next++;
      sendText(batch);
    }
  }

  private synchronized void send(SyncMessage m) {
    sendText(new String(SyncMessage.encode(m), StandardCharsets.UTF_8));
  }

  private synchronized void sendText(String text) {
    sending = sending.thenCompose(x -> ws.sendText(text, true));
    sending.whenComplete((x, e) -> {
      if (e != null) {
        fail(e);
      }
    });
  }

  /** The complete db_version of the {@code cursor} field ("complete:db:seq"). */
  private static long cursorOf(String text) {
    String c = stringField(text, "cursor");
    int colon = c.indexOf(':');
    return Long.parseLong(colon < 0 ? c : c.substring(0, colon));
  }

  /** The first string field {@code name} of a compact JSON object (values inside escape their quotes). */
  private static String stringField(String text, String name) {
    String key = "\"" + name + "\":\"";
    int at = text.indexOf(key);
    if (at < 0) {
      throw new IllegalStateException("no field '" + name + "' in a " + text.substring(0, Math.min(40, text.length())));
    }
    int start = at + key.length();
    return text.substring(start, text.indexOf('"', start));
  }

  private void fail(Throwable e) {
    ready.completeExceptionally(e);
    done.completeExceptionally(e);
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    fail(new IllegalStateException("closed by the server: " + statusCode + " " + reason));
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    fail(error);
  }

  /** Drops the connection without a closing handshake. */
  void close() {
    WebSocket w = ws;
    if (w != null) {
      w.abort();
    }
  }
}
