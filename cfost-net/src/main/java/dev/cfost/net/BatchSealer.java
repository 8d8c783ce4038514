package dev.cfost.net;

import dev.cfost.Change;
import dev.cfost.Seal;
import dev.cfost.SealedChanges;
import java.util.List;

/**
 * Signs the batches a session sends and checks the ones it receives, so that a change relayed through
 * other peers is still verified against the device that made it (docs/SECURITY.md).
 *
 * <p>A session calls {@link #seal} when it builds a batch and {@link #verify} on each received batch
 * before merging it. Without a sealer (the default) batches carry no seals and nothing is checked. Called
 * on session threads, several sessions at once: must be thread-safe.
 */
public interface BatchSealer {

  /** Seals {@code outgoing}; the result may leave out changes the sender cannot prove. */
  SealedChanges seal(List<Change> outgoing);

  /**
   * Checks a received batch before anything of it is merged.
   *
   * @param peerDeviceId the device id of the peer that sent the batch, as its hello names it (the
   *     session's {@link PeerAuthorizer} has checked it)
   * @throws SyncException to refuse the whole batch: the session ends with its code (such as
   *     {@code unsigned_change}, {@code bad_signature} or {@code site_mismatch}) and message
   */
  void verify(String peerDeviceId, List<Change> incoming, List<Seal> seals);
}
