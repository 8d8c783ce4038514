package dev.cfost.server;

import java.util.Arrays;
import java.util.Objects;

/**
 * A device of a user, as the server knows it: a copy that follows the user's replicated device list.
 *
 * @param userId the user the device belongs to (a device belongs to one user only)
 * @param deviceId the device id in cfost-identity's text form ({@code DeviceId}), the id of
 *     {@code publicKey}
 * @param publicKey the raw 32-byte Ed25519 public key (copied in and out)
 * @param revoked whether the device was revoked: the server then refuses it
 */
public record ServerDevice(String userId, String deviceId, byte[] publicKey, boolean revoked) {
  public ServerDevice {
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(deviceId, "deviceId");
    publicKey = Objects.requireNonNull(publicKey, "publicKey").clone();
  }

  @Override
  public byte[] publicKey() {
    return publicKey.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ServerDevice d && userId.equals(d.userId) && deviceId.equals(d.deviceId)
        && Arrays.equals(publicKey, d.publicKey) && revoked == d.revoked;
  }

  @Override
  public int hashCode() {
    return Objects.hash(userId, deviceId, Arrays.hashCode(publicKey), revoked);
  }

  @Override
  public String toString() {
    return "ServerDevice{" + deviceId + " user=" + userId + (revoked ? " revoked" : "") + "}";
  }
}
