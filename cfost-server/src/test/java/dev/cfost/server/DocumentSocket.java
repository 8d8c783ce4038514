package dev.cfost.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A client of the server's {@code /ws} document API on {@code java.net.http}: sends text, takes replies. */
final class DocumentSocket implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  private final BlockingQueue<String> received = new LinkedBlockingQueue<>();
  private final WebSocket ws;

  DocumentSocket(int port) throws Exception {
    ws = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"),
        new WebSocket.Listener() {
          private final StringBuilder partial = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
              received.add(partial.toString());
              partial.setLength(0);
            }
            w.request(1);
            return null;
          }
        }).get(10, TimeUnit.SECONDS);
  }

  /** Sends {@code text} as one frame and returns the next message received. */
  JsonNode ask(String text) throws Exception {
    ws.sendText(text, true).get(10, TimeUnit.SECONDS);
    return next();
  }

  JsonNode next() throws Exception {
    String text = received.poll(10, TimeUnit.SECONDS);
    if (text == null) {
      throw new AssertionError("no message from /ws within 10 s");
    }
    return JSON.readTree(text);
  }

  /**
   * Sends {@code text}, which carries {@code "request_id": requestId}, and returns its reply; messages
   * received meanwhile without that request id (pushes) are added to {@code pushes}.
   */
  JsonNode askFor(String text, String requestId, java.util.List<JsonNode> pushes) throws Exception {
    ws.sendText(text, true).get(10, TimeUnit.SECONDS);
    while (true) {
      JsonNode m = next();
      if (requestId.equals(m.path("request_id").asText(null))) {
        return m;
      }
      pushes.add(m);
    }
  }

  /** Asserts that nothing more arrives within {@code wait}. */
  String nothingWithin(Duration wait) throws Exception {
    return received.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    ws.abort();
  }
}
