package dev.cfost.net.internal;

import dev.cfost.net.SyncMessage;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.TlsIdentity;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import javax.net.ssl.SSLSocket;

/**
 * A hand-driven peer for attack tests: TLS on 127.0.0.1 with a certificate of its own key (trusting any),
 * then whatever frames the test writes, read back when the test chooses.
 */
final class RawPeer implements AutoCloseable {
  final SSLSocket socket;
  private final DataInputStream in;
  final DataOutputStream out;

  RawPeer(PeerAddress to, KeyPair key) throws Exception {
    socket = (SSLSocket) TlsIdentity.forKeys(key).context().getSocketFactory().createSocket();
    socket.connect(new InetSocketAddress("127.0.0.1", to.port()), 5_000);
    socket.startHandshake();
    in = new DataInputStream(socket.getInputStream());
    out = new DataOutputStream(socket.getOutputStream());
  }

  RawPeer(PeerAddress to) throws Exception {
    this(to, KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
  }

  void send(SyncMessage m) throws IOException {
    byte[] frame = MessageCodec.encode(m);
    out.writeInt(frame.length);
    out.write(frame);
    out.flush();
  }

  /** The next message, or null when the other side closed or nothing came within {@code millis}. */
  SyncMessage receive(int millis) throws Exception {
    socket.setSoTimeout(millis);
    try {
      int length = in.readInt();
      if (length <= 0 || length > 64 << 20) {
        return null;
      }
      byte[] frame = new byte[length];
      in.readFully(frame);
      return MessageCodec.decode(frame);
    } catch (SocketTimeoutException e) {
      return null;
    } catch (IOException e) {
      return null; // reset by the other side
    }
  }

  /** Reads until a message of {@code type} comes (returned), the other side closes or the time is up (null). */
  <T extends SyncMessage> T await(Class<T> type, int millis) throws Exception {
    long deadline = System.nanoTime() + millis * 1_000_000L;
    while (System.nanoTime() < deadline) {
      SyncMessage m = receive((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000L));
      if (m == null) {
        return null;
      }
      if (type.isInstance(m)) {
        return type.cast(m);
      }
    }
    return null;
  }

  /** True once the other side closed the connection (reads end), within {@code millis}. */
  boolean closedWithin(int millis) throws Exception {
    long deadline = System.nanoTime() + millis * 1_000_000L;
    socket.setSoTimeout(200);
    byte[] buf = new byte[8192];
    while (System.nanoTime() < deadline) {
      try {
        if (in.read(buf) < 0) {
          return true;
        }
      } catch (SocketTimeoutException e) {
        // still open
      } catch (IOException e) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
