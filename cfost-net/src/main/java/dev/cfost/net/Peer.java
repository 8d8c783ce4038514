package dev.cfost.net;

import dev.cfost.Cfost;
import dev.cfost.Registration;
import dev.cfost.net.internal.PeerEngine;
import java.io.IOException;
import java.util.List;

/**
 * Keeps a replicated database in sync with the other replicas of the same database id: finds them
 * (discovery, or addresses it is given), pulls what it lacks from each, and pushes its own commits live.
 *
 * <p>Lifecycle: {@link #start} once, then {@link #close}. Connections that fail are retried with
 * exponential backoff and jitter, capped (30 s by default); an interrupted sync resumes from the cursor
 * persisted in the database. Thread-safe; events go to {@link PeerListener}s on the listener executor.
 */
public final class Peer implements AutoCloseable {
  private final PeerEngine engine;

  private Peer(Cfost db, PeerOptions options) {
    this.engine = new PeerEngine(db, options);
  }

  public static Peer create(Cfost db, PeerOptions options) {
    return new Peer(db, options);
  }

  /**
   * Starts the transports and begins syncing.
   *
   * @return the addresses this peer accepts connections on (empty if none)
   * @throws IOException if a transport cannot start, for example because its port is taken
   */
  public List<PeerAddress> start() throws IOException {
    return engine.start();
  }

  /** The topic this peer syncs: BLAKE2b-256 of the database id. */
  public Topic topic() {
    return engine.topic();
  }

  public Registration addListener(PeerListener listener) {
    return engine.addListener(listener);
  }

  /** Keeps {@code address} connected from now on. */
  public void addPeer(PeerAddress address) {
    engine.addPeer(address);
  }

  /** Stops connecting to {@code address}, closing the session opened to it. */
  public void removePeer(PeerAddress address) {
    engine.removePeer(address);
  }

  /** Per known peer: connected or not, changes sent and received, caught up or not. */
  public List<SyncProgress> progress() {
    return engine.progress();
  }

  /**
   * Stops: closes sessions, transports and threads. Idempotent. Returns once every session thread has
   * ended (a merge under way commits or rolls back first), so the database may be closed right after; a
   * thread still running after 5 s is interrupted and given 1 s more (CONCURRENCY.md).
   */
  @Override
  public void close() {
    engine.stop();
  }
}
