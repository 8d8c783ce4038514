package dev.cfost.server;

import dev.cfost.net.SyncMessage;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket client of {@code /v1/sync} that speaks the protocol by hand (java.net.http's WebSocket):
 * for tests that need to see or forge individual messages.
 */
final class RawSocket implements AutoCloseable {
  final BlockingQueue<Object> received = new LinkedBlockingQueue<>(); // SyncMessage, or a String "closed: ..."
  final WebSocket ws;

  private RawSocket(WebSocket ws) {
    this.ws = ws;
  }

  static RawSocket open(int port, String database, String deviceToken) throws Exception {
    BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    StringBuilder partial = new StringBuilder();
    WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
        .header("Authorization", "Bearer " + deviceToken)
        .buildAsync(URI.create("ws://127.0.0.1:" + port + "/v1/sync?database="
            + URLEncoder.encode(database, StandardCharsets.UTF_8)), new WebSocket.Listener() {
              @Override
              public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                  queue.add(SyncMessage.decode(partial.toString().getBytes(StandardCharsets.UTF_8)));
                  partial.setLength(0);
                }
                w.request(1);
                return null;
              }

              @Override
              public CompletionStage<?> onClose(WebSocket w, int status, String reason) {
                queue.add("closed: " + status + " " + reason);
                return null;
              }

              @Override
              public void onError(WebSocket w, Throwable error) {
                queue.add("closed: " + error);
              }
            }).get(10, TimeUnit.SECONDS);
    RawSocket s = new RawSocket(ws);
    s.received.addAll(queue);
    queue.clear();
    // Move later arrivals across: the listener captured 'queue'.
    Thread pump = new Thread(() -> {
      try {
        while (true) {
          s.received.add(queue.take());
        }
      } catch (InterruptedException e) {
        // done
      }
    }, "raw-socket");
    pump.setDaemon(true);
    pump.start();
    return s;
  }

  void send(SyncMessage m) throws Exception {
    ws.sendText(new String(SyncMessage.encode(m), StandardCharsets.UTF_8), true).get(10, TimeUnit.SECONDS);
  }

  /** The next message of type {@code type}, skipping others; fails on close or after 10 s. */
  <T> T await(Class<T> type) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      Object m = received.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (m == null) {
        throw new AssertionError("no " + type.getSimpleName() + " within 10 s");
      }
      if (type.isInstance(m)) {
        return type.cast(m);
      }
      if (m instanceof String s && !type.equals(String.class)) {
        throw new AssertionError("waiting for " + type.getSimpleName() + ", the socket " + s);
      }
    }
  }

  @Override
  public void close() {
    ws.abort();
  }
}
