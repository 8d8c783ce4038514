package dev.cfost.identity.internal;

import dev.cfost.Cfost;
import dev.cfost.identity.IdentityException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Runs identity statements on connections the CFOST database lends ({@link Cfost#withConnection}).
 *
 * <p>Each call has a connection to itself, so the identity objects are thread-safe without locks of their
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

  /** Runs {@code work} on a lent connection, outside any transaction. */
  <T> T read(Work<T> work) {
    try {
      return db.withConnection(work::run);
    } catch (SQLException e) {
      throw new IdentityException("identity query on " + db.path() + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Runs {@code work} in one {@code BEGIN IMMEDIATE} transaction: checks made inside it (a name is free,
   * a nonce is unused) still hold when it commits.
   */
  <T> T write(Work<T> work) {
    return write(work, true);
  }

  /**
   * As {@link #write}, but the commit does not wait for the disk ({@code synchronous = NORMAL}): the
   * transaction is durable with the next ordinary commit to the file, which syncs the write-ahead log up to
   * its end, this transaction's pages included; a power loss or system crash before it may lose this
   * transaction (a crash of the process does not), and the file stays consistent. For writes whose only use
   * comes after such a commit: the seals a received batch brings are needed once its merge has committed
   * (the merge also saves the sender's cursor, so it always commits), and the peer is acknowledged only
   * after that. Saves an fsync per received batch.
   */
  <T> T writeSyncedByNextCommit(Work<T> work) {
    return write(work, false);
  }

  private <T> T write(Work<T> work, boolean sync) {
    try {
      return db.withConnection(c -> {
        if (!sync) {
          exec(c, "PRAGMA synchronous = NORMAL");
        }
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
          if (!sync) {
            exec(c, "PRAGMA synchronous = FULL"); // as Cfost.connect() opens it: the next borrower commits durably
          }
        }
      });
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
