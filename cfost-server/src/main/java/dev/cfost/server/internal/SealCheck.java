package dev.cfost.server.internal;

import dev.cfost.Change;
import dev.cfost.Seal;
import dev.cfost.Values;
import dev.cfost.identity.ChangeSeals;
import dev.cfost.identity.DeviceId;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.internal.DigestKey;
import dev.cfost.net.SyncException;
import dev.cfost.server.ServerDevice;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks a batch a device sends before the server stores it, by the rules devices apply to each other
 * (docs/PROTOCOL.md, "Seals"): every seal is by an authorized device of the user and verifies, every change
 * is covered by a seal, and a change of a site bound to a device is sealed by that device. The server
 * stores only what passes, so a revoked or foreign device cannot write through it, and devices still check
 * everything again when it comes back (the server forwards the seals; it cannot make one).
 *
 * <p>A device the server does not know yet may sign changes in the same batch that adds its row, written
 * by a known device (the device that paired it): such rows count for the batch. A seal by a device known
 * nowhere is kept unchecked (its row may come later in the sender's stream; the devices check it), but
 * never counts for a device row nor for a site bound to a known device; one by a revoked device or another
 * user's refuses the batch ({@code unauthorized}).
 */
final class SealCheck {
  private SealCheck() {}

  /**
   * @param devices the user's devices the server knows, by id
   * @param sites the device each site of the database is bound to (site hex to device id)
   * @param identityUser the identity user the account is bound to
   * @param elsewhere whether a device id is known as another user's device
   * @return each change's digest, in order (the store finds each entry's seal by it)
   * @throws SyncException {@code unauthorized}, {@code bad_signature}, {@code unsigned_change} or
   *     {@code site_mismatch}, naming the seal or change
   */
  static List<byte[]> verify(String databaseId, List<Change> changes, List<Seal> seals,
      Map<String, ServerDevice> devices, Map<String, String> sites, String identityUser,
      java.util.function.Predicate<String> elsewhere) {
    if (changes.isEmpty()) {
      return List.of();
    }
    Map<String, byte[]> keys = new HashMap<>();
    devices.forEach((id, d) -> {
      if (!d.revoked()) {
        keys.put(id, d.publicKey());
      }
    });
    Map<String, byte[]> introduced = introducedDevices(changes, identityUser, devices);
    Map<DigestKey, List<String>> covering = new HashMap<>();
    for (Seal s : seals) {
      byte[] key = keys.get(s.deviceId());
      if (key == null) {
        key = introduced.get(s.deviceId());
      }
      if (key == null) {
        ServerDevice d = devices.get(s.deviceId());
        if (d != null || elsewhere.test(s.deviceId())) {
          throw new SyncException("unauthorized", "the seal by device " + WireChecks.printable(s.deviceId())
              + (d != null ? " is by a revoked device" : " is by another user's device"));
        }
        // A device known nowhere yet: its row may come later in the sender's stream (a renamed device's
        // row moves after its data), so its seal cannot be checked here. Stored and forwarded as it came:
        // devices hold such changes until they know the device, and drop them if it never comes.
        cover(covering, s);
        continue;
      }
      if (!DeviceKeys.verify(key, ChangeSeals.signedBytes(databaseId, s.digests()), s.signature())) {
        throw new SyncException("bad_signature", "the seal by device " + s.deviceId() + " over "
            + s.digests().size() + " changes does not verify: forged, altered or malformed");
      }
      cover(covering, s);
    }
    List<byte[]> digests = new ArrayList<>(changes.size());
    // A batch's changes come in runs of one site: its device is looked up (and its site hex-encoded) once
    // per run. Every change is still checked in order, so the first that fails is the one refused.
    byte[] site = null;
    String owner = null;
    boolean ownerAuthorized = false;
    for (Change c : changes) {
      if (DeviceList.REVOCATIONS.equals(c.table()) && c.cl() % 2 == 0) {
        throw refusal("unauthorized", c, "a revocation cannot be deleted");
      }
      byte[] digest = ChangeSeals.digest(c);
      digests.add(digest);
      List<String> by = covering.get(DigestKey.of(digest));
      if (by == null) {
        throw refusal("unsigned_change", c, "no seal of the batch covers it: unsigned, or altered after it was signed");
      }
      if (DeviceList.DEVICES.equals(c.table()) && by.stream().noneMatch(keys::containsKey)) {
        throw refusal("unauthorized", c, "a device row must be sealed by a device the server knows as authorized");
      }
      if (site == null || !Arrays.equals(site, c.siteId())) {
        site = c.siteId();
        owner = sites.get(Values.hex(site));
        ownerAuthorized = owner != null && (keys.containsKey(owner) || introduced.containsKey(owner));
      }
      if (owner != null && !by.contains(owner)) {
        throw refusal("site_mismatch", c, "its site belongs to device " + owner + ", but it is sealed by " + by.get(0));
      }
      if (owner != null && !ownerAuthorized) {
        throw refusal("unauthorized", c, "its site belongs to device " + owner + ", which is revoked");
      }
    }
    return digests;
  }

  /**
   * Adds {@code s}'s device to the signers of each digest it covers, in the order of seals. The digests of
   * one seal share one list until a second seal covers one of them, which gets a list of its own.
   */
  private static void cover(Map<DigestKey, List<String>> covering, Seal s) {
    List<String> signer = List.of(s.deviceId());
    for (byte[] d : s.digests()) {
      covering.merge(DigestKey.of(d), signer, SealCheck::both);
    }
  }

  private static List<String> both(List<String> first, List<String> then) {
    List<String> out = new ArrayList<>(first.size() + then.size());
    out.addAll(first);
    out.addAll(then);
    return out;
  }

  /**
   * Devices whose row ({@code user_id} of the identity user and {@code public_key}) this batch writes,
   * each cell sealed by a known authorized device: they may sign in this batch.
   */
  private static Map<String, byte[]> introducedDevices(List<Change> changes, String identityUser,
      Map<String, ServerDevice> devices) {
    Map<String, Object> users = new HashMap<>();
    Map<String, byte[]> keys = new HashMap<>();
    for (Change c : changes) {
      if (!DeviceList.DEVICES.equals(c.table()) || c.cl() % 2 == 0) {
        continue;
      }
      String id = DeviceList.text(c.pk()).orElse(null);
      if (id == null || devices.containsKey(id)) {
        continue;
      }
      if ("user_id".equals(c.cid())) {
        users.put(id, c.val());
      } else if ("public_key".equals(c.cid()) && c.val() instanceof byte[] k) {
        keys.put(id, k);
      }
    }
    Map<String, byte[]> out = new HashMap<>();
    keys.forEach((id, key) -> {
      try {
        if (identityUser.equals(users.get(id)) && DeviceId.parse(id).equals(DeviceId.of(key))) {
          out.put(id, key);
        }
      } catch (RuntimeException e) {
        // not a device id: not a device
      }
    });
    return out;
  }

  private static SyncException refusal(String code, Change c, String why) {
    return new SyncException(code, "change of table '" + WireChecks.printable(c.table()) + "', key "
        + Values.hex(c.pk()) + ", column '" + WireChecks.printable(c.cid()) + "', site " + Values.hex(c.siteId())
        + ": " + why);
  }
}
