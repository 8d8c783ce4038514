package dev.cfost.net;

import java.security.PublicKey;

/**
 * Decides, after the TLS handshake and the peer's {@code hello}, whether a peer may sync. The peer has
 * proved that it holds {@code key} (its certificate's key); {@code deviceId} is what it claims to be.
 *
 * <p>Called on a session thread for every new session, again on the peer's thread after commits and
 * periodically (see {@link PeerOptions.Builder#reauthorizeEvery}), by the sender before each batch,
 * and by the merger for each received batch inside the merge transaction, so a revocation ends a live
 * session and none of the peer's batches merges after it. Must be thread-safe; it must not write to the
 * database (inside a merge that would wait for the merge's own write lock), only read, on a connection of
 * its own.
 */
@FunctionalInterface
public interface PeerAuthorizer {
  /**
   * @param key the key the peer proved it holds, or null if the transport authenticates nothing
   * @param deviceId the device id the peer claims in its hello
   * @return null to accept, or the reason for refusing (sent to the peer and logged)
   */
  String refusal(PublicKey key, String deviceId);

  /**
   * Like {@link #refusal(PublicKey, String)}, also given the site id the peer's {@code hello} announces
   * (16 bytes): refuse when that site is bound to another device, or the device to another site, or the
   * peer could read the cursor kept for that site and speak for it. The session calls this one; by
   * default it checks the device only.
   */
  default String refusal(PublicKey key, String deviceId, byte[] siteId) {
    return refusal(key, deviceId);
  }
}
