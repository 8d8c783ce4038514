package dev.cfost.internal;

import dev.cfost.Cfost;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * The few connections {@link Cfost#withConnection} lends out. Opening a connection costs about a
 * millisecond (the driver, the pragmas, and SQLite reading the schema before the first statement), which
 * the identity checks on every sync batch paid several times over on the live path: measured with
 * {@code ./bench-server}, five opens on the path of one live change, 0.6 to 1.2 ms each.
 *
 * <p>Keeps at most {@link #MAX_IDLE} idle; more may be lent at once (each borrower then gets its own).
 * An idle connection holds no transaction, so it never holds back a checkpoint, and no page cache: each
 * may grow to 64 MiB while lent (as {@code connect()} sets it), which four idle ones would keep for good.
 * Giving it up costs about 2.5 microseconds a call (the pages are then read again from the OS's cache).
 */
final class ConnectionPool {
  static final int MAX_IDLE = 4;

  private final Supplier<Connection> open;
  private final String name;
  private final ArrayDeque<Connection> idle = new ArrayDeque<>();
  private boolean closed;

  ConnectionPool(Supplier<Connection> open, String name) {
    this.open = open;
    this.name = name;
  }

  <T> T run(Cfost.ConnectionWork<T> work) throws SQLException {
    Connection c;
    synchronized (idle) {
      if (closed) {
        throw new IllegalStateException("the engine of " + name + " is closed");
      }
      c = idle.pollFirst();
    }
    if (c == null) {
      c = open.get();
    }
    boolean reusable = false;
    try {
      T result = work.run(c);
      // A transaction left open would hold the next borrower's statements in it, and maybe SQLite's write
      // lock until the engine closes: auto-commit off, or a BEGIN run as SQL (the driver does not see it).
      reusable = !c.isClosed() && c.getAutoCommit() && outsideTransaction(c);
      return result;
    } finally {
      giveBack(c, reusable); // a connection whose work threw may be mid-transaction: closed, not kept
    }
  }

  /**
   * Whether {@code c} is outside any transaction (SQLite refuses a BEGIN inside one); if so, its page cache
   * is given back too.
   */
  private static boolean outsideTransaction(Connection c) {
    try {
      Sql.exec(c, "BEGIN"); // deferred: takes no lock, and its COMMIT commits nothing
    } catch (SQLException inside) {
      return false;
    }
    try {
      Sql.exec(c, "COMMIT");
      Sql.exec(c, "PRAGMA shrink_memory");
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  private void giveBack(Connection c, boolean reusable) throws SQLException {
    synchronized (idle) {
      if (reusable && !closed && idle.size() < MAX_IDLE) {
        idle.addFirst(c);
        return;
      }
    }
    c.close();
  }

  /** Closes the idle connections; a lent one is closed when given back. */
  void close() {
    synchronized (idle) {
      closed = true;
      for (Connection c : idle) {
        try {
          c.close();
        } catch (SQLException e) {
          // closing: nothing left to do with it
        }
      }
      idle.clear();
    }
  }
}
