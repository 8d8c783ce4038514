package dev.cfost.server.internal;

import java.nio.charset.StandardCharsets;

/**
 * A sync message's UTF-8 JSON, encoded once: binary WebSocket sessions send the bytes as they are; text
 * sessions and SSE streams take {@link #text}, made on first use and kept, so a page shared by many
 * sessions is decoded to a string at most once whatever mix of sessions it goes to.
 *
 * <p>Immutable but for the cached text (a benign race: two threads may both make it, equal strings).
 * Nobody may change {@link #bytes}: sessions share the array.
 */
final class EncodedMessage {
  private final byte[] bytes;
  private volatile String text;

  EncodedMessage(byte[] bytes) {
    this.bytes = bytes;
  }

  byte[] bytes() {
    return bytes;
  }

  String text() {
    String t = text;
    if (t == null) {
      t = new String(bytes, StandardCharsets.UTF_8);
      text = t;
    }
    return t;
  }

  /** What the message costs in an outbox: its UTF-8 length, as text or binary. */
  int size() {
    return bytes.length;
  }
}
