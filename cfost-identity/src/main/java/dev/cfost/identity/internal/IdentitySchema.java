package dev.cfost.identity.internal;

import dev.cfost.Cfost;

/**
 * The identity tables. Users and devices replicate, so an account and its device list (revocations
 * included) reach all of the user's devices; the pairing challenges a device issued stay local.
 *
 * <p>The names avoid the {@code cfost_} prefix, which the engine reserves for its own tables and refuses
 * to replicate. Uniqueness of user names and emails is checked by the code, not by a UNIQUE index: two
 * replicas may register the same name while offline, and a merge must never fail on a constraint.
 */
final class IdentitySchema {
  static final String USERS = "identity_users";
  static final String DEVICES = "identity_devices";
  static final String CHALLENGES = "identity_pairing_challenges";

  private IdentitySchema() {}

  static void users(Cfost db) {
    new Db(db).write(c -> {
      Db.exec(c, "CREATE TABLE IF NOT EXISTS " + USERS + "(user_id TEXT PRIMARY KEY NOT NULL,"
          + " user_name TEXT, name_key TEXT, email TEXT, email_key TEXT, password_hash TEXT,"
          + " created_at INTEGER, updated_at INTEGER)");
      Db.exec(c, "CREATE INDEX IF NOT EXISTS " + USERS + "_name ON " + USERS + "(name_key)");
      Db.exec(c, "CREATE INDEX IF NOT EXISTS " + USERS + "_email ON " + USERS + "(email_key)");
      return null;
    });
    db.replicate(USERS);
  }

  static void devices(Cfost db) {
    new Db(db).write(c -> {
      Db.exec(c, "CREATE TABLE IF NOT EXISTS " + DEVICES + "(device_id TEXT PRIMARY KEY NOT NULL,"
          + " user_id TEXT, public_key BLOB, name TEXT, added_at INTEGER, revoked_at INTEGER,"
          + " authorized_by TEXT)");
      Db.exec(c, "CREATE INDEX IF NOT EXISTS " + DEVICES + "_user ON " + DEVICES + "(user_id)");
      return null;
    });
    db.replicate(DEVICES);
  }

  /** Local only: a nonce must be usable once on the device that issued it, not once per replica. */
  static void challenges(Cfost db) {
    new Db(db).write(c -> {
      Db.exec(c, "CREATE TABLE IF NOT EXISTS " + CHALLENGES + "(nonce BLOB PRIMARY KEY NOT NULL,"
          + " challenge BLOB NOT NULL, issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
          + " used_at INTEGER, used_by TEXT)");
      return null;
    });
  }
}
