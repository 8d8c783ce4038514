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
  final BlockingQueue<Object> received; // SyncMessage, or a String "closed: ..."
  final WebSocket ws;
  /** Messages that came as text and as binary frames. */
  final java.util.concurrent.atomic.AtomicInteger textIn;
  final java.util.concurrent.atomic.AtomicInteger binaryIn;
  /** After {@link #joined}: the server's hello, and the cursor its request named. */
  SyncMessage.Hello serverHello;
  dev.cfost.Cursor serverRequest;

  private RawSocket(WebSocket ws, BlockingQueue<Object> received, java.util.concurrent.atomic.AtomicInteger textIn,
      java.util.concurrent.atomic.AtomicInteger binaryIn) {
    this.ws = ws;
    this.received = received;
    this.textIn = textIn;
    this.binaryIn = binaryIn;
  }

  static RawSocket open(int port, String database, String deviceToken) throws Exception {
    return open(port, database, deviceToken, new String[0]);
  }

  /** Offers {@code subprotocols} (most preferred first) in the handshake. */
  static RawSocket open(int port, String database, String deviceToken, String... subprotocols) throws Exception {
    BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    java.util.concurrent.atomic.AtomicInteger textIn = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger binaryIn = new java.util.concurrent.atomic.AtomicInteger();
    StringBuilder partial = new StringBuilder();
    java.io.ByteArrayOutputStream partialBinary = new java.io.ByteArrayOutputStream();
    WebSocket.Builder b = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
        .header("Authorization", "Bearer " + deviceToken);
    if (subprotocols.length > 0) {
      b.subprotocols(subprotocols[0], java.util.Arrays.copyOfRange(subprotocols, 1, subprotocols.length));
    }
    WebSocket ws = b.buildAsync(URI.create("ws://127.0.0.1:" + port + "/v1/sync?database="
            + URLEncoder.encode(database, StandardCharsets.UTF_8)), new WebSocket.Listener() {
              @Override
              public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                  textIn.incrementAndGet();
                  queue.add(SyncMessage.decode(partial.toString().getBytes(StandardCharsets.UTF_8)));
                  partial.setLength(0);
                }
                w.request(1);
                return null;
              }

              @Override
              public CompletionStage<?> onBinary(WebSocket w, java.nio.ByteBuffer data, boolean last) {
                byte[] part = new byte[data.remaining()];
                data.get(part);
                partialBinary.writeBytes(part);
                if (last) {
                  binaryIn.incrementAndGet();
                  queue.add(SyncMessage.decode(partialBinary.toByteArray()));
                  partialBinary.reset();
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
    // The listener writes into the socket's own queue: the server's hello may arrive before buildAsync returns
    // (a copy into a second queue once lost it between the copy and a clear).
    return new RawSocket(ws, queue, textIn, binaryIn);
  }

  /**
   * Opens the socket as {@code device} and exchanges hellos (the device's with its own site), returning
   * once the server's {@code request} came.
   */
  static RawSocket joined(int port, UserDevice device, String deviceToken) throws Exception {
    RawSocket s = open(port, device.db.databaseId(), deviceToken);
    try {
      s.serverHello = s.await(SyncMessage.Hello.class);
      s.send(new SyncMessage.Hello(1, s.serverHello.topic(), dev.cfost.Values.hex(device.db.siteId()),
          device.keys.deviceId().toString(), 0, java.util.List.of("changes", "live")));
      s.serverRequest = s.await(SyncMessage.Request.class).cursor();
      return s;
    } catch (Exception | AssertionError e) {
      s.close();
      throw e;
    }
  }

  /** Sends {@code m} as the server chose: in a binary frame if it chose {@code cfost-sync-binary}. */
  void send(SyncMessage m) throws Exception {
    if (binary()) {
      sendBinary(SyncMessage.encode(m));
    } else {
      ws.sendText(new String(SyncMessage.encode(m), StandardCharsets.UTF_8), true).get(10, TimeUnit.SECONDS);
    }
  }

  void sendBinary(byte[] message) throws Exception {
    ws.sendBinary(java.nio.ByteBuffer.wrap(message), true).get(30, TimeUnit.SECONDS);
  }

  boolean binary() {
    return "cfost-sync-binary".equals(ws.getSubprotocol());
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
