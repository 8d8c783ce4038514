package dev.cfost.net;

import java.io.IOException;

/**
 * A bidirectional, ordered stream of frames with one peer, as a {@link Transport} hands it out.
 *
 * <p>{@link #send} may be called from one thread while another blocks in {@link #receive}. A transport
 * never drops, duplicates or reorders frames silently on a stream it keeps open; when it cannot deliver,
 * it closes the connection (the in-memory transport's fault injection is the exception, for tests).
 */
public interface Connection extends AutoCloseable {
  /**
   * Sends one frame.
   *
   * @throws IOException if the connection is closed or broken
   */
  void send(byte[] frame) throws IOException;

  /**
   * Blocks for the next frame.
   *
   * @return the frame, or null once the other side closed the connection
   * @throws IOException if the connection broke or a frame was malformed or too large
   */
  byte[] receive() throws IOException;

  /**
   * The public key the other end proved it holds (its TLS certificate's key), or null when the transport
   * authenticates nothing (in memory, or a plain stream).
   */
  default java.security.PublicKey peerPublicKey() {
    return null;
  }

  /**
   * The session admitted the peer: from now on {@link #receive} accepts frames up to the transport's
   * maximum. Before, a transport that reads from the network accepts only small frames (a {@code hello}),
   * so that a peer nobody has checked cannot make this side hold large buffers. Called on the receiving
   * thread.
   */
  default void authorized() {}

  /** A description of the other end, for logs. */
  String remote();

  /** Closes the connection; a blocked {@link #receive} returns or throws. Idempotent. */
  @Override
  void close();
}
