package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * Settings of this replica that must not travel to other replicas (which user this database belongs
 * to), in the plain table {@value #TABLE}: never replicated, written with plain SQL.
 */
final class LocalSettings {
  static final String TABLE = "cli_settings";

  private LocalSettings() {}

  static Optional<String> get(Cfost db, String key) {
    try (Connection c = db.connect()) {
      create(c);
      try (PreparedStatement ps = c.prepareStatement("SELECT value FROM " + TABLE + " WHERE key = ?")) {
        ps.setString(1, key);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
        }
      }
    } catch (SQLException e) {
      throw new CliException("cannot read the setting '" + key + "' of " + db.path() + ": " + Errors.sqlite(e), e);
    }
  }

  /** Sets {@code key} to {@code value}, or removes it when {@code value} is null. */
  static void put(Cfost db, String key, String value) {
    try (Connection c = db.connect()) {
      create(c);
      try (PreparedStatement ps = c.prepareStatement(value == null
          ? "DELETE FROM " + TABLE + " WHERE key = ?"
          : "INSERT INTO " + TABLE + "(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")) {
        ps.setString(1, key);
        if (value != null) {
          ps.setString(2, value);
        }
        ps.executeUpdate();
      }
    } catch (SQLException e) {
      throw new CliException("cannot write the setting '" + key + "' of " + db.path() + ": " + Errors.sqlite(e), e);
    }
  }

  private static void create(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + "(key TEXT PRIMARY KEY NOT NULL, value TEXT)");
    }
  }
}
