package dev.cfost.identity.internal;

import dev.cfost.Cfost;
import dev.cfost.CfostException;

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
  static final String REVOCATIONS = "identity_revocations";
  static final String CHALLENGES = "identity_pairing_challenges";
  static final String SEALS = "identity_seals";
  static final String SEAL_KEYS = "identity_seal_keys";
  static final String SEAL_KEY_SECRET = "identity_seal_key_secret";
  /** The digest index before {@link #SEAL_KEYS}, moved there when a database opens. */
  static final String WHOLE_DIGEST_INDEX = "identity_sealed";
  static final String HELD = "identity_held";
  static final String PENDING = "identity_sealed_pending";
  static final String LIST_VERSION = "identity_list_version";
  /** The tables whose writes change the device list that seals are checked against. */
  private static final String[] LISTED = {DEVICES, REVOCATIONS};
  private static final String[] WRITES = {"INSERT", "UPDATE", "DELETE"};

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
    // A revocation is final: a row here revokes its device whatever its columns say, and a change that
    // deletes a row is refused by every verifier (SqlChangeSeals). identity_devices.revoked_at is a
    // last-writer-wins cell that a revoked device could clear with a clock ahead of the revoker's.
    new Db(db).write(c -> {
      Db.exec(c, "CREATE TABLE IF NOT EXISTS " + REVOCATIONS + "(device_id TEXT PRIMARY KEY NOT NULL,"
          + " revoked_at INTEGER)");
      return null;
    });
    db.replicate(REVOCATIONS);
    // Added after the first release of the table: through the engine, so that it replicates and older
    // databases migrate in place.
    if (!hasColumn(db, DEVICES, "site_id")) {
      try {
        db.addColumn(DEVICES, "site_id BLOB");
      } catch (CfostException e) {
        if (!hasColumn(db, DEVICES, "site_id")) {
          throw e;
        } // else another connection added it meanwhile
      }
    }
  }

  /**
   * Local only: the seals this replica received, kept so that it can forward other devices' changes
   * with their signatures. {@code identity_seal_keys} maps the digest of each received change (a keyed
   * hash of it, {@link SealKeys}) to a seal that covers it; {@code identity_held} keeps the changes that
   * cannot be checked yet.
   */
  static void seals(Cfost db) {
    new Db(db).write(c -> {
      Db.exec(c, "CREATE TABLE IF NOT EXISTS " + SEALS + "(id INTEGER PRIMARY KEY, device_id TEXT NOT NULL,"
          + " signature BLOB NOT NULL UNIQUE, digests BLOB NOT NULL)");
      // A row id table: a key and its seal id take about 17 bytes of a page, against about 45 by whole digest.
      Db.exec(c, "CREATE TABLE IF NOT EXISTS " + SEAL_KEYS + "(key INTEGER PRIMARY KEY, seal_id INTEGER NOT NULL)");
      Db.exec(c, "CREATE TABLE IF NOT EXISTS " + SEAL_KEY_SECRET + "(id INTEGER PRIMARY KEY CHECK (id = 1),"
          + " secret BLOB NOT NULL)");
      SealKeys.createSecret(c);
      SealStore.migrateWholeDigestIndex(c);
      // Covers saved but not in identity_seal_keys yet, one row per received batch; see SealStore.fold.
      Db.exec(c, "CREATE TABLE IF NOT EXISTS " + PENDING + "(id INTEGER PRIMARY KEY, covers BLOB NOT NULL,"
          + " count INTEGER NOT NULL)");
      // A received change sealed by a device not in the device list yet, with that seal; see HeldChanges.
      Db.exec(c, "CREATE TABLE IF NOT EXISTS " + HELD + "(id INTEGER PRIMARY KEY, digest BLOB NOT NULL,"
          + " change TEXT NOT NULL, seal_id INTEGER NOT NULL, received_at INTEGER NOT NULL, UNIQUE(seal_id, digest))");
      Db.exec(c, "CREATE INDEX IF NOT EXISTS " + HELD + "_digest ON " + HELD + "(digest)");
      // Local only: counts the writes to the device list, so that DeviceListCache reads the list again
      // only after one. Triggers see every write, a merge's or another process's too.
      Db.exec(c, "CREATE TABLE IF NOT EXISTS " + LIST_VERSION + "(id INTEGER PRIMARY KEY CHECK (id = 1),"
          + " version INTEGER NOT NULL)");
      Db.exec(c, "INSERT OR IGNORE INTO " + LIST_VERSION + "(id, version) VALUES (1, 0)");
      for (String table : LISTED) {
        for (String write : WRITES) {
          Db.exec(c, "CREATE TRIGGER IF NOT EXISTS " + listTrigger(table, write) + " AFTER " + write + " ON " + table
              + " BEGIN UPDATE " + LIST_VERSION + " SET version = version + 1 WHERE id = 1; END");
        }
      }
      return null;
    });
    // Added later (issue 10, item 8): the sync peer that sent a held change (its site id; NULL: none), so
    // that the bound is per peer. Local, so a plain ALTER TABLE.
    if (!hasColumn(db, HELD, "peer")) {
      new Db(db).write(c -> {
        if (!hasColumn(c, HELD, "peer")) {
          Db.exec(c, "ALTER TABLE " + HELD + " ADD COLUMN peer BLOB");
        }
        Db.exec(c, "CREATE INDEX IF NOT EXISTS " + HELD + "_peer ON " + HELD + "(peer)");
        return null;
      });
    }
  }

  private static String listTrigger(String table, String write) {
    return table + "_listed_" + write.toLowerCase(java.util.Locale.ROOT);
  }

  /** When the device list last changed, as {@link #listStamp} reads it. */
  record ListStamp(long writes, long schemaVersion) {}

  private static final String STAMP = "SELECT (SELECT version FROM " + LIST_VERSION + " WHERE id = 1),"
      + " (SELECT schema_version FROM pragma_schema_version),"
      + " (SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name IN ("
      + String.join(", ", java.util.Collections.nCopies(LISTED.length * WRITES.length, "?")) + "))";

  /**
   * The count of writes to the device list and the schema's version (a dropped or replaced trigger
   * changes it); null if a trigger is missing, when the count says nothing.
   */
  static ListStamp listStamp(java.sql.Connection c) throws java.sql.SQLException {
    try (var ps = c.prepareStatement(STAMP)) {
      int i = 1;
      for (String table : LISTED) {
        for (String write : WRITES) {
          ps.setString(i++, listTrigger(table, write));
        }
      }
      try (var rs = ps.executeQuery()) {
        rs.next();
        long writes = rs.getLong(1);
        boolean noCount = rs.wasNull();
        long schema = rs.getLong(2);
        return noCount || rs.getInt(3) != LISTED.length * WRITES.length ? null : new ListStamp(writes, schema);
      }
    }
  }

  private static boolean hasColumn(Cfost db, String table, String column) {
    return new Db(db).read(c -> hasColumn(c, table, column));
  }

  private static boolean hasColumn(java.sql.Connection c, String table, String column) throws java.sql.SQLException {
    try (var ps = c.prepareStatement("SELECT 1 FROM pragma_table_info(?) WHERE name = ?")) {
      ps.setString(1, table);
      ps.setString(2, column);
      try (var rs = ps.executeQuery()) {
        return rs.next();
      }
    }
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
