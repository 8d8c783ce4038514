package dev.cfost.identity;

import dev.cfost.Cfost;
import dev.cfost.Change;
import dev.cfost.Seal;
import dev.cfost.SealedChanges;
import dev.cfost.identity.internal.ChangeDigest;
import dev.cfost.identity.internal.SqlChangeSeals;
import dev.cfost.net.BatchSealer;
import java.util.List;

/**
 * Signs batches of changes with this device's key and checks the seals of received ones, so that a
 * change relayed by other devices is verified against the device that made it.
 *
 * <p>A change's {@link #digest} covers the fields that every relay keeps (table, key, column, value
 * with its type, col_version, causal length, site id), not the relay's own counters. A {@link Seal} is a
 * device's Ed25519 signature over a list of digests, bound to the database id. Each device is bound to
 * the site id of its database ({@link Devices#bindSite}); the rules, checked by {@link #verify}:
 * <ul>
 *   <li>every change is covered by a seal of the batch whose signer is an authorized device of the user
 *       and whose signature verifies;
 *   <li>a change of a site bound to a device is sealed by that device, and that device is authorized;
 *   <li>a change of a site bound to no device (merged from a bundle or a cr-sqlite peer) is sealed by
 *       any authorized device, which vouches for it.
 * </ul>
 * Seals received for other devices' changes are kept (local tables {@code identity_seals},
 * {@code identity_seal_keys}), and {@link #seal} attaches them when this device forwards those changes.
 *
 * <p>Thread-safe; nothing to close. Each call checks against the device list as committed when it starts
 * (it keeps the list it read and reads it again after any write to {@code identity_devices} or
 * {@code identity_revocations}, counted by triggers: a merge, a local revocation, another process), so a
 * revocation applies to the next batch.
 */
public interface ChangeSeals {

  /**
   * The seals of {@code db}, signing as the device holding {@code keys} for user {@code userId}. Binds
   * this device to the database's site id if it is registered and not bound yet (databases made before
   * sites were bound).
   */
  static ChangeSeals open(Cfost db, DeviceKeys keys, String userId) {
    return SqlChangeSeals.open(db, keys, userId);
  }

  /**
   * The bytes a seal's signature covers: the seal domain, the database id and the digests in order
   * (docs/PROTOCOL.md, "Seals"). For a party that checks seals without a {@link Cfost}, such as the sync
   * server: {@code DeviceKeys.verify(publicKey, signedBytes(databaseId, seal.digests()), seal.signature())}.
   */
  static byte[] signedBytes(String databaseId, List<byte[]> digests) {
    return SqlChangeSeals.signedBytes(databaseId, digests);
  }

  /** The 32-byte BLAKE2b-256 digest of a change's origin-invariant fields. */
  static byte[] digest(Change change) {
    return ChangeDigest.of(change);
  }

  /**
   * Seals a batch about to be sent: this device signs the changes of its own site and those of sites
   * bound to no device; a change of another device goes with the stored seal of that device. A change
   * that cannot be proved is left out of the result (and logged): one of a revoked device, or one that
   * reached this device without its origin's seal (before signing existed, or from a bundle).
   */
  SealedChanges seal(List<Change> outgoing);

  /**
   * Checks a received batch against its seals (rules above), then keeps the seals that cover its
   * changes, so that they can be forwarded.
   *
   * <p>A seal by a device that is not in the device list at all cannot be checked yet: that device's row
   * may come later in the relay's stream. The changes only such seals cover, of sites that belong to no
   * known device, are held: stored with their seal, not returned, and checked again by
   * {@link #releasable} once the device list names the device. Everything else is checked now.
   *
   * <p>What it keeps is written without waiting for the disk: it is durable with the next commit to the
   * database that waits for it (as the engine's do), normally the merge of the changes it returns (a power
   * loss before that loses both, and the sender, not yet acknowledged, sends the batch again).
   *
   * @return the changes to merge now: all of {@code incoming} but the held ones
   * @throws SealRefusedException naming the first change or seal that fails and why; nothing is kept
   */
  default List<Change> verify(List<Change> incoming, List<Seal> seals) {
    return verify(null, incoming, seals);
  }

  /**
   * As {@link #verify(List, List)} for a batch received from the sync peer with site id
   * {@code peerSiteId} (null: no peer, a bundle): held changes are bounded per peer, so one peer at its
   * quota does not stop another's (docs/SECURITY.md).
   */
  List<Change> verify(byte[] peerSiteId, List<Change> incoming, List<Seal> seals);

  /**
   * As {@link #verify(byte[], List, List)}, but the seals that cover the returned changes are not written
   * here: the returned {@link BatchSealer.Checked#keep} writes them (as verify would, durable with the next
   * commit that waits for the disk), so that the check takes no write lock. Held changes, if any, are
   * written here at once. The default keeps at once.
   */
  default BatchSealer.Checked check(byte[] peerSiteId, List<Change> incoming, List<Seal> seals) {
    return new BatchSealer.Checked(verify(peerSiteId, incoming, seals), BatchSealer.Checked.NOTHING);
  }

  /**
   * The held changes whose seals can now be checked (their device is in the device list) and verify,
   * at most a few thousand per call. Those that fail (the device is revoked or another user's, the
   * signature or the site does not match) are dropped and logged, never merged. The returned ones stay
   * held until {@link #released}: call it after their merge has committed, so a crash in between only
   * merges them again. Without anything held, this costs no query.
   */
  List<Change> releasable();

  /** Forgets held changes that were merged (returned by {@link #releasable}). */
  void released(List<Change> merged);

  /**
   * Keeps the seals of a batch without checking them: only for a batch from a peer trusted by other
   * means (the device that paired this one, while this device does not know the user's devices yet).
   */
  void keep(List<Change> incoming, List<Seal> seals);

  /** As {@link #keep}, but written when the returned work runs (see {@link #check}). */
  default Runnable keepLater(List<Change> incoming, List<Seal> seals) {
    return () -> keep(incoming, seals);
  }
}
