package dev.cfost.net;

import java.util.Set;

/**
 * Learns what a {@link Peer} does. Every method defaults to doing nothing. Called on the peer's listener
 * executor, never on a network thread; an exception thrown here is logged and ignored.
 *
 * <p>{@code peerId} is the other replica's site id in hex.
 */
public interface PeerListener {
  /** A session with a peer started (after both hellos). */
  default void onConnect(String peerId, String transport) {}

  /** The session ended, for any reason; a reconnection follows if the peer is still wanted. */
  default void onDisconnect(String peerId, String reason) {}

  /** This side asked the peer for its changes since the persisted cursor. */
  default void onSyncStarted(String peerId) {}

  /** End of stored events: this side has everything the peer had when it answered. */
  default void onEose(String peerId) {}

  /** Merging the peer's changes changed these tables. */
  default void onChange(String peerId, Set<String> tables) {}

  /**
   * The peer runs a newer schema ({@code PRAGMA user_version}); its changes for tables or columns this
   * side does not know are kept, not applied, until this side's schema catches up.
   */
  default void onOutdated(String peerId, int peerSchemaVersion, int localSchemaVersion) {}

  /** Something failed: a refused batch, a protocol error, a lost connection. */
  default void onError(String peerId, Throwable error) {}
}
