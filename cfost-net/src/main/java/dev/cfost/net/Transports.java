package dev.cfost.net;

import dev.cfost.net.internal.DisabledTransport;
import dev.cfost.net.internal.TcpTransport;
import dev.cfost.net.internal.WebSocketTransport;
import java.io.IOException;
import java.net.InetSocketAddress;

/** The transports CFOST ships. */
public final class Transports {
  /** The largest frame a peer accepts (TCP or WebSocket): a batch of one very large row still fits. */
  public static final int MAX_FRAME_BYTES = 64 << 20;

  private Transports() {}

  /**
   * TCP with TLS 1.3, presenting {@code identity}.
   *
   * @param listen where to accept connections, or null to only connect out
   * @param mdns whether to announce and discover peers on the LAN with mDNS
   */
  public static Transport tcp(TlsIdentity identity, InetSocketAddress listen, boolean mdns) throws IOException {
    return new TcpTransport(identity, listen, MAX_FRAME_BYTES, mdns);
  }

  /**
   * A sync server over WebSocket (docs/PROTOCOL.md, "Transports"): the server is the transport's one
   * peer, which {@link Transport#lookup} returns, so a {@link Peer} with discovery on keeps it connected
   * with backoff. One text message carries one frame; frames are at most {@link #MAX_FRAME_BYTES}, 64 KiB
   * until the server's {@code hello} has passed. The transport authenticates nothing itself: TLS checks the
   * server's certificate for its host name, and the session's {@link PeerAuthorizer} decides.
   */
  public static Transport webSocket(WebSocketOptions options) {
    return new WebSocketTransport(java.util.Objects.requireNonNull(options, "options"), MAX_FRAME_BYTES);
  }

  /** No sync: local only. */
  public static Transport disabled() {
    return new DisabledTransport();
  }

  /** A node on an in-memory network (tests and simulation). */
  public static Transport memory(MemoryNetwork network, String node) {
    return network.transport(node);
  }
}
