package dev.cfost.internal;

import dev.cfost.CfostException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

/**
 * The engine's own tables, created and migrated in place. Each step of {@link #MIGRATIONS} runs once, in
 * order, in the same transaction that records the new version in {@code cfost_meta}.
 */
final class EngineSchema {
  /** The version of the engine's own tables that this code writes. */
  static final int VERSION = 7;

  private static final List<List<String>> MIGRATIONS = List.of(
      // 1: metadata, sites, replicated tables and their columns, peer cursors.
      List.of(
          "CREATE TABLE cfost_meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID",
          "CREATE TABLE cfost_sites(ord INTEGER PRIMARY KEY, site_id BLOB NOT NULL UNIQUE)",
          "CREATE TABLE cfost_tables(name TEXT PRIMARY KEY) WITHOUT ROWID",
          "CREATE TABLE cfost_columns(tbl TEXT NOT NULL, name TEXT NOT NULL, ord INTEGER NOT NULL,"
              + " PRIMARY KEY(tbl, name)) WITHOUT ROWID",
          "CREATE TABLE cfost_peers(site_id BLOB PRIMARY KEY, complete INTEGER NOT NULL,"
              + " db INTEGER NOT NULL, seq INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID"),
      // 2: changes from peers with a newer schema, kept until this replica knows their table or column.
      List.of("CREATE TABLE cfost_deferred(id INTEGER PRIMARY KEY, tbl TEXT NOT NULL, change TEXT NOT NULL)"),
      // 3: holds a row only inside a merge's transaction, which the triggers check so as not to log the
      // merge's own writes (the triggers of each table are replaced when the table is next loaded).
      List.of("CREATE TABLE cfost_merging(x)"),
      // 4: a column the application renamed keeps its ordinal and clocks, marked as gone.
      List.of("ALTER TABLE cfost_columns ADD COLUMN dropped INTEGER NOT NULL DEFAULT 0"),
      // 5: why a deferred change failed once its schema arrived; NULL while it waits (see Deferred).
      List.of("ALTER TABLE cfost_deferred ADD COLUMN failed TEXT"),
      // 6: the definitions of the replicated tables, replicated with their rows (SchemaDefinitions.install).
      List.of(),
      // 7: which peer sent a deferred change (NULL: a bundle) and when it was deferred (ms, the engine's
      // WallClock), so that the bound is per peer and waiting changes expire (DeferredLimit).
      List.of("ALTER TABLE cfost_deferred ADD COLUMN peer BLOB",
          "ALTER TABLE cfost_deferred ADD COLUMN at INTEGER",
          "CREATE INDEX cfost_deferred_peer ON cfost_deferred(peer) WHERE failed IS NULL",
          "CREATE INDEX cfost_deferred_at ON cfost_deferred(at) WHERE failed IS NULL"));

  private EngineSchema() {}

  /** {@link #migrate} in a transaction of its own. */
  static void migrateInTransaction(Connection c, long now) throws SQLException {
    Sql.exec(c, "BEGIN IMMEDIATE");
    try {
      migrate(c, now);
      Sql.exec(c, "COMMIT");
    } catch (SQLException | RuntimeException e) {
      Sql.exec(c, "ROLLBACK");
      throw e;
    }
  }

  /**
   * Creates or migrates the engine tables; must run inside a write transaction. {@code now}: the engine's
   * wall clock, the deferral time of changes deferred before engine schema 7.
   */
  static void migrate(Connection c, long now) throws SQLException {
    boolean fresh = Sql.queryLong(c,
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'cfost_meta'") == 0;
    int current = fresh ? 0 : (int) Sql.queryLong(c, "SELECT value FROM cfost_meta WHERE key = 'schema'");
    if (current > VERSION) {
      throw new CfostException("the database was written by a newer CFOST (engine schema " + current
          + "; this version understands up to " + VERSION + "); upgrade CFOST to open it");
    }
    for (int v = current; v < VERSION; v++) {
      for (String sql : MIGRATIONS.get(v)) {
        Sql.exec(c, sql);
      }
      if (v == 5) { // engine schema 6
        SchemaDefinitions.install(c);
      }
      if (v == 6) { // engine schema 7: changes deferred before count as deferred now
        Sql.exec(c, "UPDATE cfost_deferred SET at = " + now);
      }
    }
    if (fresh) {
      byte[] site = new byte[16];
      new SecureRandom().nextBytes(site);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO cfost_sites(ord, site_id) VALUES (0, ?)")) {
        ps.setBytes(1, site);
        ps.executeUpdate();
      }
      Sql.exec(c, "INSERT INTO cfost_meta(key, value) VALUES ('db_version', 0), ('hlc', 0)");
    }
    Sql.exec(c, "INSERT OR IGNORE INTO cfost_meta(key, value) VALUES ('database_id', 'default')");
    if (current != VERSION) {
      Sql.exec(c, "INSERT OR REPLACE INTO cfost_meta(key, value) VALUES ('schema', " + VERSION + ")");
    }
  }

  static byte[] localSite(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT site_id FROM cfost_sites WHERE ord = 0");
        ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        throw new CfostException("the database has no site id (cfost_sites is damaged)");
      }
      return rs.getBytes(1);
    }
  }

  static String metaText(Connection c, String key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT value FROM cfost_meta WHERE key = ?")) {
      ps.setString(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  static void setMetaText(Connection c, String key, String value) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT OR REPLACE INTO cfost_meta(key, value) VALUES (?, ?)")) {
      ps.setString(1, key);
      ps.setString(2, value);
      ps.executeUpdate();
    }
  }

  static long meta(Connection c, String key) throws SQLException {
    return Sql.queryLong(c, "SELECT value FROM cfost_meta WHERE key = ?", key);
  }

  static void setMeta(Connection c, String key, long value) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE cfost_meta SET value = ? WHERE key = ?")) {
      ps.setLong(1, value);
      ps.setString(2, key);
      ps.executeUpdate();
    }
  }
}
