package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import dev.cfost.identity.DeviceId;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.identity.SyncTrust;
import dev.cfost.identity.User;
import dev.cfost.identity.Users;
import dev.cfost.net.SyncKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The user this database belongs to, kept in {@link LocalSettings}: set by {@code init --user} and by a
 * {@code device join} that the authorizer approved at once. After an offline join the user is pending
 * until this device appears, through sync, among the user's authorized devices.
 */
final class CurrentUser {
  private static final String USER_ID = "user_id";
  private static final String USER_NAME = "user_name";
  private static final String PENDING_USER_ID = "pending_user_id";
  private static final String PAIRED_WITH = "paired_with_device";
  private static final String SERVER_ANCHOR = "server_anchor_device";

  /** The user id and name (the name may be unknown until the user's row arrives by sync). */
  record Account(String id, Optional<String> name) {
    String label() {
      return name.orElse(id);
    }
  }

  private CurrentUser() {}

  /** The user of {@code db}, promoting a pending one whose device list now authorizes this device. */
  static Optional<Account> of(Cfost db) {
    Optional<String> id = LocalSettings.get(db, USER_ID);
    if (id.isEmpty()) {
      Optional<String> pending = LocalSettings.get(db, PENDING_USER_ID);
      if (pending.isEmpty() || !Files.exists(DeviceKeys.keyFileOf(db.path()))
          || !Devices.open(db).isAuthorized(DeviceKeys.forDatabase(db).deviceId(), pending.get())) {
        return Optional.empty();
      }
      LocalSettings.put(db, USER_ID, pending.get());
      LocalSettings.put(db, PENDING_USER_ID, null);
      id = pending;
    }
    Optional<String> name = LocalSettings.get(db, USER_NAME);
    if (name.isEmpty()) {
      name = Users.open(db).find(id.get()).map(User::name);
      name.ifPresent(n -> LocalSettings.put(db, USER_NAME, n));
    }
    return Optional.of(new Account(id.get(), name));
  }

  /** The user of {@code db}, or a failure that says how to get one. */
  static Account require(Cfost db) {
    return of(db).orElseThrow(() -> new CliException(LocalSettings.get(db, PENDING_USER_ID).isPresent()
        ? "this device is not paired yet: approve its response on the authorizing device, then sync with it"
        : "the database " + db.path() + " belongs to no user yet; run 'cfost init --user NAME --email EMAIL'"
            + " or pair this device with 'cfost device join CODE'"));
  }

  static void set(Cfost db, String userId, String userName) {
    LocalSettings.put(db, USER_ID, userId);
    LocalSettings.put(db, USER_NAME, userName);
    LocalSettings.put(db, PENDING_USER_ID, null);
  }

  /**
   * Records the device that paired this one: until the user's device list arrives by the first sync,
   * it is the one device this side can recognise as the user's.
   */
  static void setPairedWith(Cfost db, String deviceId, String serverAnchor) {
    LocalSettings.put(db, PAIRED_WITH, deviceId);
    LocalSettings.put(db, SERVER_ANCHOR, serverAnchor);
  }

  static Optional<String> pairedWith(Cfost db) {
    return LocalSettings.get(db, PAIRED_WITH);
  }

  /** The user this database belongs to or asked to join (pending), for authenticating sync. */
  static Optional<String> userOrPending(Cfost db) {
    Optional<String> id = LocalSettings.get(db, USER_ID);
    return id.isPresent() ? id : LocalSettings.get(db, PENDING_USER_ID);
  }

  /**
   * How sync commands authenticate (the library's {@link SyncTrust}): a database that belongs to a user,
   * or asked to join one, syncs as its device with the user's devices; one without users with the peers
   * that know its sync key.
   *
   * @throws CliException if the database has no user and no sync key
   */
  static SyncTrust syncTrust(Cfost db, Path path) throws IOException {
    Optional<String> user = userOrPending(db);
    if (user.isPresent()) {
      DeviceId pairer = pairedWith(db).map(DeviceId::parse).orElse(null);
      // A database paired before the challenge named the first device anchors on its pairer.
      DeviceId anchor = LocalSettings.get(db, SERVER_ANCHOR).map(DeviceId::parse).orElse(pairer);
      return SyncTrust.forUser(db, DeviceKeys.forDatabase(db), user.get(), pairer, anchor);
    }
    SyncKey key = SyncKey.load(path).orElseThrow(() -> new CliException("the database " + path + " has no sync"
        + " key, and without users network sync needs one: run 'cfost sync-key new' here and 'cfost sync-key set"
        + " -' (the key on stdin) with the same key on its other replicas"));
    return SyncTrust.forSyncKey(key);
  }

  /** Records the user that an offline join asked to be paired with; {@link #of} confirms it later. */
  static void setPending(Cfost db, String userId) {
    LocalSettings.put(db, PENDING_USER_ID, userId);
  }
}
