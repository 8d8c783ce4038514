package dev.cfost.internal;

import dev.cfost.CfostException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Small JDBC helpers: identifier quoting, one-off statements, value binding and reading. */
final class Sql {
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
}
