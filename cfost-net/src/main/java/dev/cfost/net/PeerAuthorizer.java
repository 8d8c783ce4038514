package dev.cfost.net;

import java.security.PublicKey;

/**
 * Decides, after the TLS handshake and the peer's {@code hello}, whether a peer may sync. The peer has
 * proved that it holds {@code key} (its certificate's key); {@code deviceId} is what it claims to be.
 *
 * <p>Called on a session thread for every new session, so a revocation takes effect at the next
 * connect. Must be thread-safe.
 */
@FunctionalInterface
public interface PeerAuthorizer {
  /**
   * @param key the key the peer proved it holds, or null if the transport authenticates nothing
   * @param deviceId the device id the peer claims in its hello
   * @return null to accept, or the reason for refusing (sent to the peer and logged)
   */
  String refusal(PublicKey key, String deviceId);
}
