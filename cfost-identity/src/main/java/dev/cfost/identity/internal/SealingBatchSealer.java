package dev.cfost.identity.internal;

import dev.cfost.Change;
import dev.cfost.Seal;
import dev.cfost.SealedChanges;
import dev.cfost.identity.ChangeSeals;
import dev.cfost.identity.SealRefusedException;
import dev.cfost.net.BatchSealer;
import dev.cfost.net.SyncException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * {@link ChangeSeals} as cfost-net's {@link BatchSealer}, with the trust a newly paired device gives the
 * device that paired it. Thread-safe, as {@link ChangeSeals} is.
 */
public final class SealingBatchSealer implements BatchSealer {
  private final ChangeSeals seals;
  private final Predicate<String> trustedAnchor;
  private final AnchorSeals anchorSeals; // null: no bootstrap by seals
  private final BooleanSupplier bootstrapping;

  /**
   * @param trustedAnchor whether a peer (by device id) is trusted without seals: the device that paired
   *     this one, while this device does not know the user's device list yet (it arrives from that peer)
   */
  public SealingBatchSealer(ChangeSeals seals, Predicate<String> trustedAnchor) {
    this(seals, trustedAnchor, null, () -> false);
  }

  /**
   * For a relay (the sync server): no peer is trusted, but while {@code bootstrapping} (this device does
   * not know the user's device list yet) the changes sealed by the device that paired this one are
   * accepted on that device's seals ({@link AnchorSeals}).
   */
  public SealingBatchSealer(ChangeSeals seals, AnchorSeals anchorSeals, BooleanSupplier bootstrapping) {
    this(seals, id -> false, anchorSeals, bootstrapping);
  }

  private SealingBatchSealer(ChangeSeals seals, Predicate<String> trustedAnchor, AnchorSeals anchorSeals,
      BooleanSupplier bootstrapping) {
    this.seals = seals;
    this.trustedAnchor = trustedAnchor;
    this.anchorSeals = anchorSeals;
    this.bootstrapping = bootstrapping;
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
    return check(peerDeviceId, peerSiteId, incoming, received).keptNow();
  }

  @Override
  public Checked check(String peerDeviceId, byte[] peerSiteId, List<Change> incoming, List<Seal> received) {
    if (trustedAnchor.test(peerDeviceId)) {
      return new Checked(incoming, seals.keepLater(incoming, received));
    }
    try {
      if (anchorSeals != null && !incoming.isEmpty() && bootstrapping.getAsBoolean()) {
        Optional<AnchorSeals.Split> split = anchorSeals.split(incoming, received);
        if (split.isPresent()) {
          AnchorSeals.Split s = split.get();
          Checked checked = seals.check(peerSiteId, s.rest(), s.restSeals()); // may refuse the batch
          Runnable anchored = seals.keepLater(s.anchored(), s.anchorSeals()); // kept only once nothing refused it
          List<Change> accepted = new ArrayList<>(s.anchored());
          accepted.addAll(checked.changes());
          return new Checked(accepted, () -> { // in verify's order: the checked ones' seals first
            checked.keep().run();
            anchored.run();
          });
        }
      }
      return seals.check(peerSiteId, incoming, received);
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
