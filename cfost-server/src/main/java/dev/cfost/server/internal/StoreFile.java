package dev.cfost.server.internal;

import dev.cfost.server.StoreException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One SQLite file of the store and its one connection (WAL, {@code synchronous = FULL}), with its schema
 * created and migrated in place: each step of the migrations runs once, in order, in the transaction that
 * records the new version in {@code meta}. A connection has one writer at a time, so every use holds
 * {@link #lock}; the store's files are its own, so nothing else waits on them.
 */
final class StoreFile implements Transactions, AutoCloseable {
  /** Guards {@link #c}: held by whoever runs a statement or a transaction on it. */
  final ReentrantLock lock = new ReentrantLock();
  final Connection c;
  final Path path;
  private boolean closed;

  private StoreFile(Path path, Connection c) {
    this.path = path;
    this.c = c;
  }

  /**
   * Opens (creating if needed) the file and brings its schema to {@code migrations.size()}.
   *
   * @param kind what the file holds, for the version row and error messages ("accounts", "user")
   */
  static StoreFile open(Path path, String kind, List<List<String>> migrations) {
    Connection c = null;
    try {
      // No generated keys: nothing here reads them, and the driver would query last_insert_rowid() after
      // every INSERT (two to three per merged change).
      java.util.Properties options = new java.util.Properties();
      options.setProperty("jdbc.get_generated_keys", "false");
      c = DriverManager.getConnection("jdbc:sqlite:" + path, options);
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA journal_mode = WAL");
        s.execute("PRAGMA synchronous = FULL");
        s.execute("PRAGMA busy_timeout = 10000");
        s.execute("PRAGMA foreign_keys = OFF");
      }
      c.setAutoCommit(false);
      migrate(c, kind, migrations);
      c.commit();
      return new StoreFile(path, c);
    } catch (SQLException e) {
      closeQuietly(c);
      throw new StoreException("cannot open the store's " + kind + " file " + path + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(c);
      throw e;
    }
  }

  private static void migrate(Connection c, String kind, List<List<String>> migrations) throws SQLException {
    boolean fresh;
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'meta'")) {
      fresh = rs.next() && rs.getLong(1) == 0;
    }
    int current = 0;
    if (!fresh) {
      try (PreparedStatement ps = c.prepareStatement("SELECT value FROM meta WHERE key = ?")) {
        ps.setString(1, "schema");
        try (ResultSet rs = ps.executeQuery()) {
          current = rs.next() ? rs.getInt(1) : 0;
        }
      }
      String found = kindOf(c);
      if (!kind.equals(found)) {
        throw new StoreException("the file holds a store's " + found + " data, not its " + kind + " data");
      }
    }
    if (current > migrations.size()) {
      throw new StoreException("the store's " + kind + " file was written by a newer CFOST server (schema "
          + current + "; this version understands up to " + migrations.size() + ")");
    }
    try (Statement s = c.createStatement()) {
      if (fresh) {
        s.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID");
      }
      for (int v = current; v < migrations.size(); v++) {
        for (String sql : migrations.get(v)) {
          s.execute(sql);
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)")) {
      ps.setString(1, "schema");
      ps.setInt(2, migrations.size());
      ps.executeUpdate();
      ps.setString(1, "kind");
      ps.setString(2, kind);
      ps.executeUpdate();
    }
  }

  private static String kindOf(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT value FROM meta WHERE key = 'kind'")) {
      return rs.next() ? rs.getString(1) : "unknown";
    }
  }

  /** Thrown by {@link #tx} on a closed file (the store closed it, or evicted it from its open files). */
  static final class Closed extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    Closed(Path path) {
      super("the store's file " + path + " is closed");
    }
  }

  /** A unit of work on the connection; its exceptions roll the transaction back. */
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /** Runs {@code work} in one transaction under the lock: committed if it returns, rolled back if not. */
  @Override
  public <T> T tx(String what, Work<T> work) {
    lock.lock();
    try {
      if (closed) {
        throw new Closed(path);
      }
      try {
        T out = work.run(c);
        c.commit();
        return out;
      } catch (SQLException e) {
        rollback();
        throw new StoreException(what + " failed in " + path + ": " + e.getMessage(), e);
      } catch (RuntimeException | Error e) {
        rollback();
        throw e;
      }
    } finally {
      lock.unlock();
    }
  }

  private void rollback() {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // The connection is unusable; the next transaction reports it. The original error matters more.
    }
  }

  boolean isClosed() {
    return closed;
  }

  @Override
  public void close() {
    lock.lock();
    try {
      if (!closed) {
        closed = true;
        closeQuietly(c);
      }
    } finally {
      lock.unlock();
    }
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // nothing more to do with a connection we are discarding
      }
    }
  }

  /** Reads a SQLite value as CFOST carries it: null, Long, Double, String or byte[]. */
  static Object read(ResultSet rs, int index) throws SQLException {
    Object v = rs.getObject(index);
    if (v instanceof Integer i) {
      return i.longValue();
    }
    if (v instanceof Float f) {
      return f.doubleValue();
    }
    return v;
  }

  static void bind(PreparedStatement ps, int index, Object v) throws SQLException {
    if (v == null) {
      ps.setNull(index, java.sql.Types.NULL);
    } else if (v instanceof Long l) {
      ps.setLong(index, l);
    } else if (v instanceof Double d) {
      ps.setDouble(index, d);
    } else if (v instanceof String s) {
      ps.setString(index, s);
    } else {
      ps.setBytes(index, (byte[]) v);
    }
  }
}
