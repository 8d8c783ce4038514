package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import dev.cfost.Values;
import dev.cfost.identity.ChangeSeals;
import dev.cfost.identity.Device;
import dev.cfost.identity.DeviceId;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.identity.IdentityException;
import dev.cfost.net.PeerAuthorizer;
import dev.cfost.net.PeerOptions;
import dev.cfost.net.SyncKey;
import dev.cfost.net.TlsIdentity;
import java.io.IOException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * How sync commands authenticate: a database that belongs to a user ({@code init --user}, or a device that
 * joined) presents its device key in its TLS certificate and admits only the user's authorized devices;
 * a database without a user admits only peers that know its sync key ({@link SyncKey}): the TLS handshake
 * proves it, so a peer without it neither reads nor writes.
 */
final class SyncTrust {
  private SyncTrust() {}

  static TlsIdentity identity(Cfost db, Path path) throws IOException {
    if (CurrentUser.userOrPending(db).isPresent()) {
      return TlsIdentity.forKeys(DeviceKeys.forDatabase(db).tlsKeyPair());
    }
    // Without users, the sync key admits peers: the TLS handshake fails for one that does not know it.
    SyncKey key = SyncKey.load(path).orElseThrow(() -> new CliException("the database " + path + " has no sync"
        + " key, and without users network sync needs one: run 'cfost sync-key new' here and 'cfost sync-key set"
        + " -' (the key on stdin) with the same key on its other replicas"));
    return TlsIdentity.forSyncKey(key);
  }

  /**
   * Adds the device check and batch seals when the database belongs to a user: only the user's authorized
   * devices are admitted, each must announce the device id its certificate proves, and every batch is
   * sealed and verified (see {@link ChangeSeals}).
   */
  static PeerOptions.Builder authorize(Cfost db, PeerOptions.Builder options) {
    Optional<String> user = CurrentUser.userOrPending(db);
    if (user.isEmpty()) {
      return options;
    }
    String userId = user.get();
    DeviceKeys keys = DeviceKeys.forDatabase(db);
    Devices devices = Devices.open(db);
    // A newly paired device knows the user's device list only after its first sync: until then it
    // recognises the device that paired it, and takes that device's batches on trust until its own row,
    // written by that device at pairing after the rows of the devices it knew, has arrived.
    Optional<String> pairedWith = CurrentUser.pairedWith(db);
    Predicate<String> anchor = id -> pairedWith.isPresent() && pairedWith.get().equals(id);
    Predicate<String> bootstrap = id -> anchor.test(id)
        && devices.list(userId).stream().noneMatch(d -> d.id().toString().equals(id));
    Predicate<String> onTrust = id -> anchor.test(id) && !devices.isAuthorized(keys.deviceId(), userId);
    return options.deviceId(keys.deviceId().toString())
        .sealer(new SyncSeals(ChangeSeals.open(db, keys, userId), onTrust))
        .authorizer(new PeerAuthorizer() {
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
        });
  }
}
