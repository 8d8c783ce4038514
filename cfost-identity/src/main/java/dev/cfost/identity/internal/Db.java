package dev.cfost.identity.internal;

import dev.cfost.Cfost;
import dev.cfost.identity.IdentityException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Runs identity statements on short-lived connections of a CFOST database.
 *
 * <p>Each call opens its own connection, so the identity objects are thread-safe without locks of their
 * own and need no closing; SQLite serializes the writers ({@code BEGIN IMMEDIATE}, busy timeout).
 */
final class Db {
  private final Cfost db;

  Db(Cfost db) {
    this.db = db;
  }

  @FunctionalInterface
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /** Runs {@code work} on a fresh connection, outside any transaction. */
  <T> T read(Work<T> work) {
    try (Connection c = db.connect()) {
      return work.run(c);
    } catch (SQLException e) {
      throw new IdentityException("identity query on " + db.path() + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Runs {@code work} in one {@code BEGIN IMMEDIATE} transaction: checks made inside it (a name is free,
   * a nonce is unused) still hold when it commits.
   */
  <T> T write(Work<T> work) {
    try (Connection c = db.connect()) {
      exec(c, "BEGIN IMMEDIATE");
      boolean committed = false;
      try {
        T result = work.run(c);
        exec(c, "COMMIT");
        committed = true;
        return result;
      } finally {
        if (!committed) {
          exec(c, "ROLLBACK");
        }
      }
    } catch (SQLException e) {
      throw new IdentityException("identity update on " + db.path() + " failed: " + e.getMessage(), e);
    }
  }

  static void exec(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
