package dev.cfost.net;

import dev.cfost.Change;
import dev.cfost.Seal;
import dev.cfost.SealedChanges;
import java.util.List;
import java.util.Objects;

/**
 * Signs the batches a session sends and checks the ones it receives, so that a change relayed through
 * other peers is still verified against the device that made it (docs/SECURITY.md).
 *
 * <p>A session calls {@link #seal} when it builds a batch and {@link #check} on each received batch
 * before merging it. Without a sealer (the default) batches carry no seals and nothing is checked. Called
 * on session threads, several sessions at once: must be thread-safe.
 */
public interface BatchSealer {

  /** Seals {@code outgoing}; the result may leave out changes the sender cannot prove. */
  SealedChanges seal(List<Change> outgoing);

  /**
   * Checks a received batch before anything of it is merged. A sealer may hold back changes it cannot
   * check yet (their signer is not known yet): it keeps them itself and hands them out later through
   * {@link #releasable}; the session merges only what this returns, and its cursor moves past the batch.
   *
   * @param peerDeviceId the device id of the peer that sent the batch, as its hello names it (the
   *     session's {@link PeerAuthorizer} has checked it)
   * @return the changes of {@code incoming} to merge now
   * @throws SyncException to refuse the whole batch: the session ends with its code (such as
   *     {@code unsigned_change}, {@code bad_signature} or {@code site_mismatch}) and message
   */
  List<Change> verify(String peerDeviceId, List<Change> incoming, List<Seal> seals);

  /**
   * As {@link #verify(String, List, List)}, also given the peer's site id (16 bytes, as its hello names
   * it and its device is bound to), so that a sealer can bound what it holds per peer. A session calls
   * this one; the default ignores the site id.
   */
  default List<Change> verify(String peerDeviceId, byte[] peerSiteId, List<Change> incoming, List<Seal> seals) {
    return verify(peerDeviceId, incoming, seals);
  }

  /**
   * As {@link #verify(String, byte[], List, List)}, but what the check keeps about the batch (the seals of
   * its changes) may be left to {@link Checked#keep}: the session's reader checks, and its merger thread
   * keeps, in a transaction of its own, before the transaction that merges the batch begins. So the
   * reader, which checks the next batches meanwhile, never waits for SQLite's write lock while a merge
   * holds it. A session calls this one; the default keeps at once ({@link #verify(String, byte[], List,
   * List)}) and leaves nothing to keep.
   *
   * @throws SyncException as {@link #verify(String, List, List)}
   */
  default Checked check(String peerDeviceId, byte[] peerSiteId, List<Change> incoming, List<Seal> seals) {
    return new Checked(verify(peerDeviceId, peerSiteId, incoming, seals), Checked.NOTHING);
  }

  /**
   * A received batch checked by {@link #check}.
   *
   * @param changes the changes to merge now (as {@link #verify(String, List, List)} returns them)
   * @param keep keeps what the check left to keep, in a transaction of its own; run before the merge of
   *     {@code changes} begins, never inside another transaction (it would wait for it)
   */
  record Checked(List<Change> changes, Runnable keep) {
    /** Nothing to keep. */
    public static final Runnable NOTHING = () -> {};

    public Checked {
      Objects.requireNonNull(changes, "changes");
      Objects.requireNonNull(keep, "keep");
    }

    /** Keeps now, as {@code verify} does, and returns the changes to merge. */
    public List<Change> keptNow() {
      keep.run();
      return changes;
    }
  }

  /**
   * Held changes that are verified now, to merge; called by a session after each merge it commits,
   * until it returns nothing. They stay held until {@link #released}, so must be cheap when nothing is
   * held. The default holds nothing.
   */
  default List<Change> releasable() {
    return List.of();
  }

  /** Called once changes returned by {@link #releasable} are merged (committed): forget them. */
  default void released(List<Change> merged) {}
}
