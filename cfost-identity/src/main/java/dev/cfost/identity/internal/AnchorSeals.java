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
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a newly paired device accepts through a sync server before it knows the user's device list: the
 * changes sealed by the device that paired it (the anchor), checked against the anchor's own key.
 *
 * <p>On the LAN the anchor proves its key in the TLS handshake, and its batches are trusted until this
 * device's own row arrives. Through a server nothing proves a peer, but the anchor's seals still can be:
 * a device id is the SHA-256 of its public key, so a key found anywhere (the local list, or the anchor's
 * {@code identity_devices} row in the very batch the server relays) proves itself against the id the
 * pairing code gave. The server can withhold the anchor's changes but cannot forge or alter one. Changes
 * sealed by other devices go through the ordinary check, which holds them until the list that the
 * anchor's changes bring names their devices.
 */
public final class AnchorSeals {
  private final DeviceId anchor;
  private final Devices devices;
  private final String databaseId;

  public AnchorSeals(DeviceId anchor, Devices devices, String databaseId) {
    this.anchor = anchor;
    this.devices = devices;
    this.databaseId = databaseId;
  }

  /** The changes of {@code incoming} covered by a valid seal of the anchor, and those left to check. */
  public record Split(List<Change> anchored, List<Seal> anchorSeals, List<Change> rest, List<Seal> restSeals) {}

  /**
   * Splits a batch by who sealed it. Empty when no seal is the anchor's or its key is found nowhere
   * (then everything takes the ordinary path).
   *
   * @throws SyncException {@code bad_signature} if a seal that names the anchor does not verify with its key
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
    Optional<byte[]> key = devices.find(anchor).map(Device::publicKey).or(() -> keyIn(incoming));
    if (key.isEmpty()) {
      return Optional.empty();
    }
    Set<ByteBuffer> covered = new HashSet<>();
    for (Seal s : byAnchor) {
      if (!DeviceKeys.verify(key.get(), ChangeSeals.signedBytes(databaseId, s.digests()), s.signature())) {
        throw new SyncException(BAD_SIGNATURE, "a seal naming device " + id + ", which paired this one, does not"
            + " verify with that device's key: refused (a relay cannot seal for a device)");
      }
      s.digests().forEach(d -> covered.add(ByteBuffer.wrap(d)));
    }
    List<Change> anchored = new ArrayList<>();
    List<Change> rest = new ArrayList<>();
    for (Change c : incoming) {
      (covered.contains(ByteBuffer.wrap(ChangeDigest.of(c))) ? anchored : rest).add(c);
    }
    return Optional.of(new Split(anchored, byAnchor, rest, others));
  }

  /** The public key in the anchor's own device row among {@code incoming}, if its id proves it. */
  private Optional<byte[]> keyIn(List<Change> incoming) {
    for (Change c : incoming) {
      if (!IdentitySchema.DEVICES.equals(c.table()) || !"public_key".equals(c.cid()) || !(c.val() instanceof byte[] k)) {
        continue;
      }
      List<Object> pk;
      try {
        pk = PackedKey.unpack(c.pk());
      } catch (RuntimeException e) {
        continue; // not a key this check can read; the ordinary path judges the change
      }
      if (pk.size() == 1 && anchor.toString().equals(pk.get(0)) && k.length == 32 && DeviceId.of(k).equals(anchor)) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }
}
