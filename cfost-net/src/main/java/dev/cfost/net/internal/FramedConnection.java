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

/**
 * Frames over a socket: a 4-byte big-endian length, then that many bytes. A length of 0 or above the
 * maximum ends the connection. {@link #send} is synchronized; one thread receives.
 */
final class FramedConnection implements Connection {
  private final Socket socket;
  private final String remote;
  private final int maxFrame;
  private final DataInputStream in;
  private final DataOutputStream out;

  FramedConnection(Socket socket, String remote, int maxFrame) throws IOException {
    this.socket = socket;
    this.remote = remote;
    this.maxFrame = maxFrame;
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
    int length;
    try {
      length = in.readInt();
    } catch (EOFException e) {
      return null;
    }
    if (length <= 0 || length > maxFrame) {
      throw new FrameTooLargeException(Integer.toUnsignedLong(length), maxFrame);
    }
    byte[] frame = new byte[length];
    in.readFully(frame);
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
