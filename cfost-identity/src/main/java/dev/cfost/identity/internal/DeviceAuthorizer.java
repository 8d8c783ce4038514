package dev.cfost.identity.internal;

import dev.cfost.Values;
import dev.cfost.identity.Device;
import dev.cfost.identity.DeviceId;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.identity.IdentityException;
import dev.cfost.net.PeerAuthorizer;
import java.security.PublicKey;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Admits the authorized devices of one user: the peer's certificate must carry a device key, the
 * {@code hello} must announce the device id that key proves, the device must be authorized (known, the
 * user's, not revoked), and the site it announces must be its own. Each call reads the device list
 * afresh, so a revocation applies to the next check. Thread-safe.
 */
public final class DeviceAuthorizer implements PeerAuthorizer {
  private final Devices devices;
  private final String userId;
  private final Predicate<String> bootstrap;

  /**
   * @param bootstrap whether a device (by id) is admitted although the device list does not authorize
   *     it: the device that paired this one, while the list does not name it yet
   */
  public DeviceAuthorizer(Devices devices, String userId, Predicate<String> bootstrap) {
    this.devices = devices;
    this.userId = userId;
    this.bootstrap = bootstrap;
  }

  @Override
  public String refusal(PublicKey key, String claimed) {
    if (key == null) {
      return "the peer proved no device key";
    }
    DeviceId id;
    try {
      id = DeviceKeys.deviceIdOf(key);
    } catch (IdentityException e) {
      return "the peer's certificate carries no device key (a database without a user cannot sync with"
          + " one that has users)";
    }
    if (!id.toString().equals(claimed)) {
      return "the peer announces device " + claimed + " but its certificate proves device " + id;
    }
    return devices.isAuthorized(id, userId) || bootstrap.test(claimed) ? null
        : "device " + id + " is not an authorized device of this user (unknown, revoked, or another user's)";
  }

  /** A device speaks only for its own database's site: else it could move another device's cursor. */
  @Override
  public String refusal(PublicKey key, String claimed, byte[] site) {
    String refusal = refusal(key, claimed);
    if (refusal != null) {
      return refusal;
    }
    DeviceId id = DeviceKeys.deviceIdOf(key);
    Optional<byte[]> own = devices.find(id).flatMap(Device::siteId);
    if (own.isPresent() && !Arrays.equals(own.get(), site)) {
      return "device " + id + " announces site " + Values.hex(site) + ", which is not its own ("
          + Values.hex(own.get()) + ")";
    }
    for (Device d : devices.list(userId)) {
      if (!d.id().equals(id) && d.siteId().map(s -> Arrays.equals(s, site)).orElse(false)) {
        return "device " + id + " announces site " + Values.hex(site) + ", which is not its own (it is device "
            + d.id() + "'s)";
      }
    }
    return null;
  }
}
