package dev.cfost.internal;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/** The connections the engine opens: its own write connection and the application's from {@code connect()}. */
final class EngineConnections {
  private EngineConnections() {}

  /**
   * The engine's own connection: as {@link #open}, without the driver's generated-keys query, which
   * otherwise prepares and runs {@code SELECT last_insert_rowid()} after every INSERT (measured: nearly
   * double the cost of an insert). The engine never asks for generated keys.
   */
  static Connection engine(Path path, FineBusyWait busyWait) throws SQLException {
    java.util.Properties p = new java.util.Properties();
    p.setProperty("jdbc.get_generated_keys", "false");
    // Write transactions start with setAutoCommit(false), which then runs BEGIN IMMEDIATE: in the driver's
    // auto-commit mode every statement that completes is followed by an attempt to BEGIN (measured: 7%
    // of a merge), which auto-commit off skips.
    p.setProperty("transaction_mode", "IMMEDIATE");
    Connection c = configure(DriverManager.getConnection("jdbc:sqlite:" + path, p));
    try {
      org.sqlite.BusyHandler.setHandler(c, busyWait); // replaces the busy_timeout's handler
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return c;
  }

  static Connection open(Path path) throws SQLException {
    return configure(DriverManager.getConnection("jdbc:sqlite:" + path));
  }

  /** A connection of {@code Cfost.connect()}: its commits are captured right after them by {@code watcher}, if any. */
  static Connection application(Path path, CommitWatcher watcher) {
    try {
      Connection c = open(path);
      if (watcher != null) {
        try {
          c.unwrap(org.sqlite.SQLiteConnection.class).addCommitListener(watcher);
        } catch (SQLException | RuntimeException e) {
          c.close();
          throw e;
        }
      }
      return c;
    } catch (SQLException e) {
      throw Sql.wrap("cannot connect to " + path, e);
    }
  }

  private static Connection configure(Connection c) throws SQLException {
    // 64 MiB of page cache (SQLite's default is 2 MiB; native memory, not heap): a large transaction walks
    // a random-key index together with the trigger log or the clock table, and with 2 MiB they evict each
    // other. Measured: captures and merges -25% to -28%, a 1M-row replicated insert 1.3x a plain one
    // instead of 1.8x (docs/BENCHMARKS.md, F6 and the --cache-mib run).
    try {
      Sql.exec(c, "PRAGMA cache_size = -65536");
      Sql.exec(c, "PRAGMA busy_timeout = 30000");
      Sql.exec(c, "PRAGMA journal_mode = WAL"); // the first read of the file: fails here if it is no database
      // FULL: a commit that returned survives power loss too, not only a crash of the process.
      Sql.exec(c, "PRAGMA synchronous = FULL");
      return c;
    } catch (SQLException | RuntimeException e) {
      c.close(); // else its file stays open for as long as the process runs
      throw e;
    }
  }
}
