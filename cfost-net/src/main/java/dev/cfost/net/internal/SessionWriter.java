package dev.cfost.net.internal;

import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's writer thread: the only thread that writes to the connection. The reader, the merger and
 * the sender queue frames here, so the reader never blocks on a full socket buffer and two peers sending
 * big batches to each other cannot deadlock.
 */
final class SessionWriter {
  private static final Logger log = LoggerFactory.getLogger(SessionWriter.class);
  private static final byte[] END = new byte[0];

  private final Session session;
  /**
   * Batches queued for the writer, at most this many bytes (one larger batch goes alone); the window
   * bounds them too, unless the peer lies about what it received.
   */
  static final long MAX_BATCH_BYTES = 16L << 20;
  /** Beyond the batches, control frames (hello, acks, pongs...): a peer that reads nothing is dropped there. */
  static final long MAX_CONTROL_BYTES = 1L << 20;
  /** Frames waiting for the writer thread. */
  private final ByteBoundedQueue<byte[]> outbox = new ByteBoundedQueue<>(MAX_BATCH_BYTES);

  SessionWriter(Session session) {
    this.session = session;
  }

  /** Waits until a batch of {@code bytes} fits; false once the session closed. */
  boolean awaitRoom(long bytes) throws InterruptedException {
    return outbox.awaitRoom(bytes);
  }

  /** Queues a batch after {@link #awaitRoom}; called under the session's monitor (nothing after close). */
  void enqueueBatch(byte[] frame) {
    outbox.add(frame, frame.length);
  }

  /** Queues a control frame; called under the session's monitor. */
  void enqueueControl(byte[] frame) throws IOException {
    if (!outbox.offer(frame, frame.length, MAX_BATCH_BYTES + MAX_CONTROL_BYTES)) {
      throw new IOException("the peer reads nothing: " + outbox.bytes() + " bytes wait to be written to it");
    }
  }

  /** Writes what is queued, then closes the connection. */
  void end() {
    outbox.add(END, 0);
    outbox.close();
  }

  void run() {
    try {
      while (true) {
        byte[] frame = outbox.take();
        if (frame == END) {
          break;
        }
        session.conn.send(frame);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      if (session.isOpen()) {
        log.info("session with {}: sending failed: {}", session.describe(), e.getMessage());
      }
    }
    session.conn.close();
    session.close("connection lost while sending");
  }
}
