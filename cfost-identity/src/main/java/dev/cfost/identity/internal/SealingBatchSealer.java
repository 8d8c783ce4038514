package dev.cfost.identity.internal;

import dev.cfost.Change;
import dev.cfost.Seal;
import dev.cfost.SealedChanges;
import dev.cfost.identity.ChangeSeals;
import dev.cfost.identity.SealRefusedException;
import dev.cfost.net.BatchSealer;
import dev.cfost.net.SyncException;
import java.util.List;
import java.util.function.Predicate;

/**
 * {@link ChangeSeals} as cfost-net's {@link BatchSealer}, with the trust a newly paired device gives the
 * device that paired it. Thread-safe, as {@link ChangeSeals} is.
 */
public final class SealingBatchSealer implements BatchSealer {
  private final ChangeSeals seals;
  private final Predicate<String> trustedAnchor;

  /**
   * @param trustedAnchor whether a peer (by device id) is trusted without seals: the device that paired
   *     this one, while this device does not know the user's device list yet (it arrives from that peer)
   */
  public SealingBatchSealer(ChangeSeals seals, Predicate<String> trustedAnchor) {
    this.seals = seals;
    this.trustedAnchor = trustedAnchor;
  }

  @Override
  public SealedChanges seal(List<Change> outgoing) {
    return seals.seal(outgoing);
  }

  @Override
  public List<Change> verify(String peerDeviceId, List<Change> incoming, List<Seal> received) {
    return verify(peerDeviceId, null, incoming, received);
  }

  @Override
  public List<Change> verify(String peerDeviceId, byte[] peerSiteId, List<Change> incoming, List<Seal> received) {
    if (trustedAnchor.test(peerDeviceId)) {
      seals.keep(incoming, received);
      return incoming;
    }
    try {
      return seals.verify(peerSiteId, incoming, received);
    } catch (SealRefusedException e) {
      throw new SyncException(e.code(), e.getMessage());
    }
  }

  @Override
  public List<Change> releasable() {
    return seals.releasable();
  }

  @Override
  public void released(List<Change> merged) {
    seals.released(merged);
  }
}
