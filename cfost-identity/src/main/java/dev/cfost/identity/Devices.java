package dev.cfost.identity;

import dev.cfost.Cfost;
import dev.cfost.WallClock;
import dev.cfost.identity.internal.SqlDevices;
import java.util.List;
import java.util.Optional;

/**
 * The devices of a database's users: each a public key, owned by one user, authorized until revoked.
 *
 * <p>Devices live in the replicated table {@code identity_devices}, so adding, renaming and revoking a
 * device reach the user's other devices like any row; in particular a revocation made on one device
 * takes effect on each device as soon as the row arrives there. Sync checks {@link #isAuthorized} before
 * applying a peer's changes. Thread-safe; nothing to close.
 */
public interface Devices {

  /** The devices of {@code db}; creates the table if needed. */
  static Devices open(Cfost db) {
    return open(db, WallClock.system());
  }

  /** The devices of {@code db}, stamping additions and revocations with {@code clock}. */
  static Devices open(Cfost db, WallClock clock) {
    return SqlDevices.open(db, clock);
  }

  /**
   * Adds a device for a user: its id is derived from {@code publicKey}. A user's first device is added
   * this way (with no authorizer); later ones normally through {@link Pairing#approve}.
   *
   * @param authorizedBy the device that approved this one, or null for a user's first device
   * @throws IdentityException if the user does not exist, the key is not 32 bytes, the name is not valid,
   *     or the device is already registered (to anyone) or was revoked
   */
  Device add(String userId, byte[] publicKey, String name, DeviceId authorizedBy);

  /**
   * Binds a device to the site id of its database (16 bytes), so that only this device may sign the
   * changes made there. Binding the site a device already has changes nothing.
   *
   * @throws IdentityException if the device is unknown, is bound to another site, or the site belongs
   *     to another device
   */
  void bindSite(DeviceId id, byte[] siteId);

  /** A user's devices, revoked ones included, oldest first. */
  List<Device> list(String userId);

  /** The device with this id, if it is known. */
  Optional<Device> find(DeviceId id);

  /**
   * Renames a device.
   *
   * @throws IdentityException if the device is unknown or the name is not 1 to 64 printable characters
   */
  void rename(DeviceId id, String name);

  /**
   * Revokes a device: it is no longer authorized, here at once and on other replicas when the row
   * arrives. Revoking a revoked device changes nothing.
   *
   * @throws IdentityException if the device is unknown
   */
  void revoke(DeviceId id);

  /**
   * Whether {@code deviceId} is an authorized device of {@code userId}: known, owned by that user, not
   * revoked, and stored with the public key its id is derived from.
   */
  boolean isAuthorized(DeviceId deviceId, String userId);
}
