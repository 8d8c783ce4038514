package dev.cfost.net;

import dev.cfost.net.internal.DisabledTransport;
import dev.cfost.net.internal.TcpTransport;
import java.io.IOException;
import java.net.InetSocketAddress;

/** The transports CFOST ships. */
public final class Transports {
  /** The largest frame a TCP peer accepts: a batch of one very large row still fits. */
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

  /** No sync: local only. */
  public static Transport disabled() {
    return new DisabledTransport();
  }

  /** A node on an in-memory network (tests and simulation). */
  public static Transport memory(MemoryNetwork network, String node) {
    return network.transport(node);
  }
}
