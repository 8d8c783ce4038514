package dev.cfost.net.internal;

import dev.cfost.net.Connection;
import dev.cfost.net.FrameTooLargeException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.util.Arrays;

/**
 * Frames over a socket: a 4-byte big-endian length, then that many bytes. A length of 0 or above the
 * limit ends the connection. Until the session admits the peer ({@link #authorized}) the limit is
 * {@link #UNAUTHORIZED_MAX_FRAME} (a {@code hello} is a few hundred bytes); then the transport's maximum.
 * A frame's buffer grows with the bytes that arrive, never to the announced length up front, so a
 * header that announces 64 MiB and goes silent costs 64 KiB. {@link #send} is synchronized; one thread
 * receives.
 */
final class FramedConnection implements Connection {
  private final Socket socket;
  private final String remote;
  /** The largest frame accepted before the peer is authorized. */
  static final int UNAUTHORIZED_MAX_FRAME = 64 << 10;
  private static final int CHUNK = 64 << 10;
  private final int maxFrame;
  /** Only accessed by the receiving thread. */
  private int limit;
  private final DataInputStream in;
  private final DataOutputStream out;

  FramedConnection(Socket socket, String remote, int maxFrame) throws IOException {
    this.socket = socket;
    this.remote = remote;
    this.maxFrame = maxFrame;
    this.limit = Math.min(maxFrame, UNAUTHORIZED_MAX_FRAME);
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
    this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
  }

  @Override
  public synchronized void send(byte[] frame) throws IOException {
    if (frame.length == 0 || frame.length > maxFrame) {
      throw new FrameTooLargeException(frame.length, maxFrame);
    }
    out.writeInt(frame.length);
    out.write(frame);
    out.flush();
  }

  @Override
  public byte[] receive() throws IOException {
    return readFrame(in, limit);
  }

  /** Called on the receiving thread once the peer is authorized. */
  @Override
  public void authorized() {
    limit = maxFrame;
  }

  /**
   * Reads one frame of at most {@code max} bytes, or null at a clean end of stream (before a header).
   * The buffer grows by at most double what has arrived, so memory follows the bytes actually sent.
   */
  static byte[] readFrame(DataInputStream in, int max) throws IOException {
    int length;
    try {
      length = in.readInt();
    } catch (EOFException e) {
      return null;
    }
    if (length <= 0 || length > max) {
      throw new FrameTooLargeException(Integer.toUnsignedLong(length), max);
    }
    byte[] frame = new byte[Math.min(length, CHUNK)];
    int read = 0;
    while (read < length) {
      if (read == frame.length) {
        frame = Arrays.copyOf(frame, (int) Math.min(length, 2L * frame.length));
      }
      int n = in.read(frame, read, frame.length - read);
      if (n < 0) {
        throw new EOFException("the connection ended inside a frame (" + read + " of " + length + " bytes)");
      }
      read += n;
    }
    return frame;
  }

  @Override
  public java.security.PublicKey peerPublicKey() {
    if (socket instanceof javax.net.ssl.SSLSocket ssl) {
      try {
        return ssl.getSession().getPeerCertificates()[0].getPublicKey();
      } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
        return null;
      }
    }
    return null;
  }

  @Override
  public String remote() {
    return remote;
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
