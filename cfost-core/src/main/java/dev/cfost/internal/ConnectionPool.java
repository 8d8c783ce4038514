package dev.cfost.internal;

import dev.cfost.Cfost;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
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
  private final ArrayDeque<Lent> idle = new ArrayDeque<>();
  private boolean closed;

  ConnectionPool(Supplier<Connection> open, String name) {
    this.open = open;
    this.name = name;
  }

  <T> T run(Cfost.ConnectionWork<T> work) throws SQLException {
    Lent lent;
    synchronized (idle) {
      if (closed) {
        throw new IllegalStateException("the engine of " + name + " is closed");
      }
      lent = idle.pollFirst();
    }
    if (lent == null) {
      lent = new Lent(open.get());
    }
    Connection c = lent.connection;
    boolean reusable = false;
    try {
      T result = work.run(lent.view);
      lent.closeStatementsLeftOpen();
      // A transaction left open would hold the next borrower's statements in it, and maybe SQLite's write
      // lock until the engine closes: auto-commit off, or a BEGIN run as SQL (the driver does not see it).
      reusable = !c.isClosed() && c.getAutoCommit() && outsideTransaction(c);
      return result;
    } finally {
      giveBack(lent, reusable); // a connection whose work threw may be mid-transaction: closed, not kept
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

  private void giveBack(Lent lent, boolean reusable) throws SQLException {
    synchronized (idle) {
      if (reusable && !closed && idle.size() < MAX_IDLE) {
        idle.addFirst(lent);
        return;
      }
    }
    lent.connection.close();
  }

  /** Closes the idle connections; a lent one is closed when given back. */
  void close() {
    synchronized (idle) {
      closed = true;
      for (Lent lent : idle) {
        try {
          lent.connection.close();
        } catch (SQLException e) {
          // closing: nothing left to do with it
        }
      }
      idle.clear();
    }
  }

  /**
   * A pooled connection and the view of it that work is given, which notes the statements opened through
   * it: a statement left open (a result set not read to its end, say) holds a read transaction, so the
   * next borrower would read that old snapshot and fail to write (SQLITE_BUSY_SNAPSHOT). The view stays
   * the same object from one loan to the next. Used by one borrower at a time.
   */
  private static final class Lent implements InvocationHandler {
    /** Closed statements are pruned from those noted once this many are noted: a long loan stays bounded. */
    private static final int PRUNE_AT = 32;

    final Connection connection;
    final Connection view;
    private final List<Statement> opened = new ArrayList<>();
    private int pruneAt = PRUNE_AT; // twice what the last pruning left, so many open at once cost no rescans

    Lent(Connection connection) {
      this.connection = connection;
      this.view = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
          new Class<?>[] {Connection.class}, this);
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
      if (method.getDeclaringClass() == Object.class) {
        return switch (method.getName()) {
          case "equals" -> proxy == args[0];
          case "hashCode" -> System.identityHashCode(proxy);
          default -> "lent " + connection;
        };
      }
      Object result;
      try {
        result = method.invoke(connection, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
      if (result instanceof Statement s) {
        if (opened.size() >= pruneAt) {
          opened.removeIf(ConnectionPool::isClosed);
          pruneAt = Math.max(PRUNE_AT, 2 * opened.size());
        }
        opened.add(s);
      }
      return result;
    }

    /** Closes the statements the work left open, ending the read transaction any of them held. */
    void closeStatementsLeftOpen() throws SQLException {
      for (Statement s : opened) {
        s.close(); // a no-op on a closed one
      }
      opened.clear();
      pruneAt = PRUNE_AT;
    }
  }

  private static boolean isClosed(Statement s) {
    try {
      return s.isClosed();
    } catch (SQLException e) {
      return false; // kept, and closed at the end of the loan
    }
  }
}
