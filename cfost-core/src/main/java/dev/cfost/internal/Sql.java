package dev.cfost.internal;

import dev.cfost.CfostException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Small JDBC helpers: identifier quoting, one-off statements, value binding and reading. */
final class Sql {
  // The engine's logger: a failed rollback is the engine's event, logged under its name as before.
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Engine.class);
  private Sql() {}

  /** Quotes an identifier for SQLite: {@code "name"} with inner quotes doubled. */
  static String id(String name) {
    return '"' + name.replace("\"", "\"\"") + '"';
  }

  static void exec(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  static long queryLong(Connection c, String sql, Object... args) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        bind(ps, i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  /** Binds a CFOST value so that SQLite stores it with the same storage class. */
  static void bind(PreparedStatement ps, int index, Object v) throws SQLException {
    if (v == null) {
      ps.setNull(index, java.sql.Types.NULL);
    } else if (v instanceof Long) {
      ps.setLong(index, (Long) v);
    } else if (v instanceof Integer) {
      ps.setLong(index, (Integer) v);
    } else if (v instanceof Double) {
      ps.setDouble(index, (Double) v);
    } else if (v instanceof String) {
      ps.setString(index, (String) v);
    } else if (v instanceof byte[]) {
      ps.setBytes(index, (byte[]) v);
    } else {
      throw new IllegalArgumentException("not a SQLite value: " + v.getClass().getName());
    }
  }

  /**
   * Reads a column as a CFOST value, keeping its SQLite storage class (the driver reports the type of
   * each value, not of the column).
   */
  static Object read(ResultSet rs, int index) throws SQLException {
    Object v = rs.getObject(index);
    if (v instanceof Integer) {
      return ((Integer) v).longValue();
    }
    if (v instanceof Float) {
      return ((Float) v).doubleValue();
    }
    return v;
  }

  /** Whether {@code e} was caused by SQLITE_BUSY (another connection holds the lock). */
  static boolean isBusy(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s && (s.getErrorCode() & 0xff) == 5) {
        return true;
      }
    }
    return false;
  }

  static CfostException wrap(String what, SQLException e) {
    return new CfostException(what + ": " + e.getMessage(), e);
  }

  /**
   * Rolls back the open transaction of {@code conn} and returns it to auto-commit, whatever state the
   * failure left it in; never throws.
   */
  static void rollbackQuietly(Connection conn, java.nio.file.Path path) {
    try {
      exec(conn, "ROLLBACK");
    } catch (SQLException e) {
      // SQLite may already have rolled back (for example after SQLITE_FULL); nothing is left to undo.
      LOG.debug("rollback on {}: {}", path, e.getMessage());
    }
    try {
      if (!conn.getAutoCommit()) { // the transaction failed before its commit, or its BEGIN failed
        exec(conn, "BEGIN"); // an empty transaction, for the COMMIT that switching auto-commit on runs
        conn.setAutoCommit(true);
      }
    } catch (SQLException e) {
      LOG.error("cannot return the connection of {} to auto-commit", path, e);
    }
  }
}
