package dev.cfost.identity.internal;

import static dev.cfost.identity.SealRefusedException.BAD_SIGNATURE;

import dev.cfost.Change;
import dev.cfost.Seal;
import dev.cfost.identity.ChangeSeals;
import dev.cfost.identity.Device;
import dev.cfost.identity.DeviceId;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.internal.PackedKey;
import dev.cfost.net.SyncException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a newly paired device accepts through a sync server before it knows the user's device list: the
 * changes sealed by the device that paired it (the anchor), checked against the anchor's own key, when the
 * anchor is the user's first device.
 *
 * <p>On the LAN the anchor proves its key in the TLS handshake, and its batches are trusted until this
 * device's own row arrives. Through a server nothing proves a peer, but the anchor's seals still can be:
 * a device id is the SHA-256 of its public key, so a key found anywhere proves itself against the id the
 * pairing code gave. The server can withhold the anchor's changes but cannot forge or alter one.
 *
 * <p>Only a first device (a root: its row authorized by nobody) starts a new device this way: the
 * device that paired it, or the first device its pairing code named (PairingChallenge#serverAnchor). Its row is its
 * own change, sealed by itself, so the whole device list hangs from what it sealed: every other device's
 * row is sealed by the device that added it, which the ordinary check verifies (holding what it cannot
 * check yet) as the list grows. A pairer added by another device has its row sealed by that device, which
 * the new device cannot tell from a device the server made up; then nothing is taken on the anchor's seals
 * and everything waits, held, for a LAN sync with the pairer (docs/SECURITY.md). A pairer the local list
 * names but does not authorize (revoked) is never taken on its seals.
 */
public final class AnchorSeals {
  private static final String PUBLIC_KEY = "public_key";
  private static final String AUTHORIZED_BY = "authorized_by";

  private final DeviceId anchor;
  private final Devices devices;
  private final String userId;
  private final String databaseId;

  public AnchorSeals(DeviceId anchor, Devices devices, String userId, String databaseId) {
    this.anchor = anchor;
    this.devices = devices;
    this.userId = userId;
    this.databaseId = databaseId;
  }

  /** The changes of {@code incoming} covered by a valid seal of the anchor, and those left to check. */
  public record Split(List<Change> anchored, List<Seal> anchorSeals, List<Change> rest, List<Seal> restSeals) {}

  /**
   * Splits a batch by who sealed it. Empty when no seal is the anchor's, or the anchor is not a first
   * device whose key this batch or the local list proves, or the list names it unauthorized (then
   * everything takes the ordinary path).
   *
   * @throws SyncException {@code bad_signature} if a seal that names the anchor does not verify with its
   *     key, or a change cannot be digested
   */
  public Optional<Split> split(List<Change> incoming, List<Seal> seals) {
    String id = anchor.toString();
    List<Seal> byAnchor = new ArrayList<>();
    List<Seal> others = new ArrayList<>();
    for (Seal s : seals) {
      (s.deviceId().equals(id) ? byAnchor : others).add(s);
    }
    if (byAnchor.isEmpty()) {
      return Optional.empty();
    }
    List<byte[]> digests = new ArrayList<>(incoming.size());
    for (Change c : incoming) {
      try {
        digests.add(ChangeDigest.of(c));
      } catch (IllegalArgumentException e) {
        throw new SyncException(BAD_SIGNATURE, "a change of table " + c.table() + " cannot be digested: " + e.getMessage());
      }
    }
    Set<DigestKey> covered = new HashSet<>();
    byAnchor.forEach(s -> s.digests().forEach(d -> covered.add(DigestKey.of(d))));
    Optional<Device> listed = devices.find(anchor);
    Optional<byte[]> key;
    if (listed.isPresent()) {
      boolean root = listed.get().authorizedBy().isEmpty();
      key = root && devices.isAuthorized(anchor, userId) ? Optional.of(listed.get().publicKey()) : Optional.empty();
    } else {
      key = rootKeyIn(incoming, digests, covered);
    }
    if (key.isEmpty()) {
      return Optional.empty();
    }
    for (Seal s : byAnchor) {
      if (!DeviceKeys.verify(key.get(), ChangeSeals.signedBytes(databaseId, s.digests()), s.signature())) {
        throw new SyncException(BAD_SIGNATURE, "a seal naming device " + id + ", which paired this one, does not"
            + " verify with that device's key: refused (a relay cannot seal for a device)");
      }
    }
    List<Change> anchored = new ArrayList<>();
    List<Change> rest = new ArrayList<>();
    for (int i = 0; i < incoming.size(); i++) {
      (covered.contains(DigestKey.of(digests.get(i))) ? anchored : rest).add(incoming.get(i));
    }
    return Optional.of(new Split(anchored, byAnchor, rest, others));
  }

  /**
   * The anchor's key from its own device row among {@code incoming}, if the row shows a first device: its
   * key hashes to the anchor's id, its {@code public_key} cell is covered by the anchor's own seals (a row
   * the anchor wrote itself), and no {@code authorized_by} cell in the batch names another device.
   */
  private Optional<byte[]> rootKeyIn(List<Change> incoming, List<byte[]> digests, Set<DigestKey> covered) {
    byte[] key = null;
    for (int i = 0; i < incoming.size(); i++) {
      Change c = incoming.get(i);
      if (!IdentitySchema.DEVICES.equals(c.table()) || !isAnchorRow(c)) {
        continue;
      }
      if (AUTHORIZED_BY.equals(c.cid()) && c.val() != null) {
        return Optional.empty(); // added by another device: not a root
      }
      if (PUBLIC_KEY.equals(c.cid()) && c.val() instanceof byte[] k && k.length == 32 && DeviceId.of(k).equals(anchor)
          && covered.contains(DigestKey.of(digests.get(i)))) {
        key = k;
      }
    }
    return Optional.ofNullable(key);
  }

  private boolean isAnchorRow(Change c) {
    try {
      List<Object> pk = PackedKey.unpack(c.pk());
      return pk.size() == 1 && anchor.toString().equals(pk.get(0));
    } catch (RuntimeException e) {
      return false; // not a key this check can read; the ordinary path judges the change
    }
  }
}
