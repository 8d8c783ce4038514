package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import dev.cfost.identity.DeviceId;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.identity.IdentityException;
import dev.cfost.net.PeerOptions;
import dev.cfost.net.TlsIdentity;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How sync commands authenticate: a database that belongs to a user ({@code init --user}, or a device that
 * joined) presents its device key in its TLS certificate and admits only the user's authorized devices;
 * a database without a user keeps the plain TLS identity and admits any peer of its database id.
 */
final class SyncTrust {
  private SyncTrust() {}

  static TlsIdentity identity(Cfost db, Path path) throws IOException {
    if (CurrentUser.userOrPending(db).isPresent()) {
      return TlsIdentity.forKeys(DeviceKeys.forDatabase(db).tlsKeyPair());
    }
    return TlsIdentity.forDatabase(path);
  }

  /** Adds the device check when the database belongs to a user. */
  static PeerOptions.Builder authorize(Cfost db, PeerOptions.Builder options) {
    Optional<String> user = CurrentUser.userOrPending(db);
    if (user.isEmpty()) {
      return options;
    }
    String userId = user.get();
    // A newly paired device knows the user's device list only after its first sync: until then it
    // recognises the device that paired it.
    Optional<String> pairedWith = CurrentUser.pairedWith(db);
    Devices devices = Devices.open(db);
    return options.authorizer((key, claimed) -> {
      if (key == null) {
        return "the peer proved no device key";
      }
      DeviceId id;
      try {
        id = DeviceKeys.deviceIdOf(key);
      } catch (IdentityException e) {
        return "the peer's certificate carries no device key (a database without a user cannot sync with one"
            + " that has users)";
      }
      boolean bootstrap = pairedWith.isPresent() && pairedWith.get().equals(id.toString())
          && devices.list(userId).stream().noneMatch(d -> d.id().equals(id));
      return devices.isAuthorized(id, userId) || bootstrap ? null
          : "device " + id + " is not an authorized device of this user (unknown, revoked, or another user's)";
    });
  }
}
