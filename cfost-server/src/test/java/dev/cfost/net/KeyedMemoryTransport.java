package dev.cfost.net;

import java.io.IOException;
import java.security.PublicKey;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A node's {@link MemoryNetwork} transport whose connections report the device key of the node at the
 * other end, as a TLS handshake with device certificates proves it ({@code TlsIdentity.forKeys}): the
 * memory network authenticates nothing, and {@code SyncTrust}'s authorizer admits no peer without a
 * proven key. The keys are the nodes' real device keys, registered by the simulation when a device opens;
 * a node with none proves none and is refused like a stranger.
 *
 * <p>Thread-safe as the memory transport is.
 */
final class KeyedMemoryTransport implements Transport {
  private final Transport inner;
  private final Map<String, PublicKey> keysByNode;

  KeyedMemoryTransport(Transport inner, Map<String, PublicKey> keysByNode) {
    this.inner = inner;
    this.keysByNode = keysByNode;
  }

  @Override
  public String name() {
    return inner.name();
  }

  @Override
  public PeerAddress start(Consumer<Connection> inbound) throws IOException {
    return inner.start(c -> inbound.accept(keyed(c)));
  }

  @Override
  public void handshakeLimits(long timeoutMillis, int maxPending) {
    inner.handshakeLimits(timeoutMillis, maxPending);
  }

  @Override
  public void announce(Topic topic) {
    inner.announce(topic);
  }

  @Override
  public List<PeerAddress> lookup(Topic topic) {
    return inner.lookup(topic);
  }

  @Override
  public Connection connect(PeerAddress address) throws IOException {
    return keyed(inner.connect(address));
  }

  @Override
  public void close() {
    inner.close();
  }

  /** The memory transport names the other end {@code node:0}. */
  private Connection keyed(Connection c) {
    String remote = c.remote();
    PublicKey key = keysByNode.get(remote.endsWith(":0") ? remote.substring(0, remote.length() - 2) : remote);
    return new Connection() {
      @Override
      public void send(byte[] frame) throws IOException {
        c.send(frame);
      }

      @Override
      public byte[] receive() throws IOException {
        return c.receive();
      }

      @Override
      public PublicKey peerPublicKey() {
        return key;
      }

      @Override
      public void authorized() {
        c.authorized();
      }

      @Override
      public String remote() {
        return remote;
      }

      @Override
      public void close() {
        c.close();
      }
    };
  }
}
