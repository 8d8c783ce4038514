package dev.cfost.net;

import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;

/**
 * A way for peers to find and reach each other: in memory (tests and simulation), TCP with TLS 1.3 on a
 * LAN, or disabled (local only). Create one with {@link Transports}.
 *
 * <p>Lifecycle: {@link #start} begins accepting connections and hands each to the callback (on a
 * transport thread; the callback must not block); {@link #announce} makes this peer findable under a
 * topic; {@link #lookup} lists peers announced under a topic; {@link #connect} opens a connection;
 * {@link #close} stops everything. Thread-safe.
 */
public interface Transport extends AutoCloseable {
  /** A short name for logs and status: {@code memory}, {@code tcp+tls}, {@code disabled}. */
  String name();

  /**
   * Starts accepting connections.
   *
   * @return the address others can connect to, or null if this transport accepts none
   * @throws IOException if it cannot listen (for example the port is taken)
   */
  PeerAddress start(Consumer<Connection> inbound) throws IOException;

  /**
   * Bounds the work done for connections that have not finished their handshake: each gets at most
   * {@code timeoutMillis} to finish it, and at most {@code maxPending} are in progress at once (more are
   * closed at once). Called before {@link #start}; a transport without a handshake ignores it.
   */
  default void handshakeLimits(long timeoutMillis, int maxPending) {}

  /** Makes this peer findable under {@code topic} (no-op where discovery is not supported). */
  void announce(Topic topic);

  /** The peers currently announced under {@code topic}, other than this one. */
  List<PeerAddress> lookup(Topic topic);

  /**
   * Connects to a peer.
   *
   * @throws IOException if the peer cannot be reached
   */
  Connection connect(PeerAddress address) throws IOException;

  @Override
  void close();
}
