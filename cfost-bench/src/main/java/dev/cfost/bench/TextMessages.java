package dev.cfost.bench;

import java.net.http.WebSocket;
import java.util.concurrent.CompletionStage;

/**
 * The part of a lightweight device's WebSocket listener that every one of them shares: it keeps the
 * socket, joins the fragments of each text message, notes when the first fragment came, and hands the
 * whole message to {@link #message} (on the HTTP client's thread, one message at a time).
 */
abstract class TextMessages implements WebSocket.Listener {
  private final StringBuilder partial = new StringBuilder();
  private long messageStart;
  /** Set once open; read by the senders. */
  protected volatile WebSocket ws;

  /** One whole text message, and System.nanoTime() of its first fragment. */
  abstract void message(String text, long firstFragmentNanos);

  /** {@link #message} threw: the session cannot go on. */
  abstract void failed(RuntimeException e);

  @Override
  public void onOpen(WebSocket webSocket) {
    this.ws = webSocket;
    webSocket.request(1);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    if (partial.length() == 0) {
      messageStart = System.nanoTime();
    }
    partial.append(data);
    if (last) {
      String text = partial.toString();
      partial.setLength(0);
      try {
        message(text, messageStart);
      } catch (RuntimeException e) {
        failed(e);
      }
    }
    webSocket.request(1);
    return null;
  }
}
