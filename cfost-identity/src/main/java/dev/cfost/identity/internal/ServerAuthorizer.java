package dev.cfost.identity.internal;

import dev.cfost.Values;
import dev.cfost.identity.Device;
import dev.cfost.identity.DeviceId;
import dev.cfost.identity.Devices;
import dev.cfost.net.PeerAuthorizer;
import java.security.PublicKey;
import java.util.Arrays;

/**
 * Admits a sync server as a peer of a user's device. The server proves no device key (TLS and the account
 * vouch for it), so it is never trusted for data: its batches are verified against the seals of the
 * devices that made the changes. What it must not do is speak for a device: a hello that names a device id,
 * or a site bound to one of the user's devices, is refused, else it could move the cursor this side keeps for
 * that device. Reads the device list afresh on each call. Thread-safe.
 */
public final class ServerAuthorizer implements PeerAuthorizer {
  private final Devices devices;
  private final String userId;

  public ServerAuthorizer(Devices devices, String userId) {
    this.devices = devices;
    this.userId = userId;
  }

  @Override
  public String refusal(PublicKey key, String claimed) {
    try {
      // Any device id, known or not (the device that paired this one may not be in the list yet).
      DeviceId id = DeviceId.parse(claimed);
      return "the server announces itself as device " + id + "; a server never speaks for a device";
    } catch (RuntimeException e) {
      return null; // "server", as the server names itself
    }
  }

  @Override
  public String refusal(PublicKey key, String claimed, byte[] site) {
    String refusal = refusal(key, claimed);
    if (refusal != null) {
      return refusal;
    }
    for (Device d : devices.list(userId)) {
      if (d.siteId().map(s -> Arrays.equals(s, site)).orElse(false)) {
        return "the server announces site " + Values.hex(site) + ", which is device " + d.id()
            + "'s; a server never speaks for a device";
      }
    }
    return null;
  }
}
