package dev.cfost.net.internal;

import java.io.IOException;
import java.util.concurrent.LinkedBlockingQueue;
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
  /** Frames waiting for the writer thread. */
  private final LinkedBlockingQueue<byte[]> outbox = new LinkedBlockingQueue<>();

  SessionWriter(Session session) {
    this.session = session;
  }

  /** Queues a frame; called under the session's monitor so that nothing is queued after close. */
  void enqueue(byte[] frame) {
    outbox.add(frame);
  }

  /** Writes what is queued, then closes the connection. */
  void end() {
    outbox.add(END);
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
