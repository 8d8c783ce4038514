package dev.cfost.identity;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A device of a user, as stored in the replicated devices table. Immutable.
 *
 * <p>A device is authorized while it is not revoked; revocation is final for its key, because the id is
 * derived from the key (a revoked device pairs again only with a new key, hence a new id).
 */
public final class Device {
  private final DeviceId id;
  private final String userId;
  private final byte[] publicKey;
  private final String name;
  private final Instant addedAt;
  private final Instant revokedAt;
  private final DeviceId authorizedBy;
  private final byte[] siteId;

  /** @param siteId the 16-byte site id of the device's database, or null while it is not bound */
  public Device(DeviceId id, String userId, byte[] publicKey, String name, Instant addedAt,
      Instant revokedAt, DeviceId authorizedBy, byte[] siteId) {
    this.id = Objects.requireNonNull(id, "id");
    this.userId = Objects.requireNonNull(userId, "userId");
    this.publicKey = Objects.requireNonNull(publicKey, "publicKey").clone();
    this.name = name;
    this.addedAt = addedAt;
    this.revokedAt = revokedAt;
    this.authorizedBy = authorizedBy;
    this.siteId = siteId == null ? null : siteId.clone();
  }

  public DeviceId id() {
    return id;
  }

  /** The user the device belongs to. */
  public String userId() {
    return userId;
  }

  /** The raw 32-byte Ed25519 public key. */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /** The name a person gave the device ("laptop"), possibly null. */
  public String name() {
    return name;
  }

  public Instant addedAt() {
    return addedAt;
  }

  /** When the device was revoked, if it was. */
  public Optional<Instant> revokedAt() {
    return Optional.ofNullable(revokedAt);
  }

  public boolean isRevoked() {
    return revokedAt != null;
  }

  /** The device that approved this one, empty for a user's first device. */
  public Optional<DeviceId> authorizedBy() {
    return Optional.ofNullable(authorizedBy);
  }

  /**
   * The site id of the device's database: the changes made there carry it, and only this device may
   * sign them (see {@link ChangeSeals}). Empty for a device registered before sites were bound, until
   * the device binds its own ({@link Devices#bindSite}).
   */
  public Optional<byte[]> siteId() {
    return Optional.ofNullable(siteId).map(byte[]::clone);
  }

  @Override
  public String toString() {
    return "Device[" + id + ", user " + userId + ", '" + name + "'" + (isRevoked() ? ", revoked" : "") + "]";
  }
}
