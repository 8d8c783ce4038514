package dev.cfost.internal;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The engine's one connection and the lock that guards it: how its write transactions begin, and the reads
 * made outside them. Every use of {@link #conn} holds {@link #lock}.
 */
final class LockedConnection {
  final ReentrantLock lock = new ReentrantLock();
  final Connection conn;
  private final FineBusyWait busyWait = new FineBusyWait(); // conn's; guarded by lock
  private final Path path;
  private boolean closed; // guarded by lock

  @FunctionalInterface
  interface Query<T> {
    T run() throws SQLException;
  }

  LockedConnection(Path path) throws SQLException {
    this.path = path;
    this.conn = EngineConnections.engine(path, busyWait);
  }

  /** Under the lock: whether {@link #close} ran. */
  boolean closed() {
    return closed;
  }

  /** Under the lock: throws if closed. */
  void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the database " + path + " is closed");
    }
  }

  /**
   * Takes the lock and begins a write transaction (SQLite's write lock); the caller unlocks once it ends.
   * While another connection holds SQLite's write lock, the lock is released between tries, so that an
   * application thread holding a write transaction can still call the engine meanwhile (a read, say)
   * instead of freezing behind a merge that waits for that very transaction. Waits up to
   * {@link FineBusyWait#TIMEOUT_MILLIS}, or not at all with {@code waitForLock} false.
   */
  void beginLocked(boolean waitForLock) {
    long started = System.nanoTime();
    while (true) {
      lock.lock();
      boolean begun = false;
      try {
        checkOpen();
        busyWait.waiting(false);
        conn.setAutoCommit(false); // BEGIN IMMEDIATE, see EngineConnections.engine
        begun = true;
        return;
      } catch (SQLException e) {
        Sql.rollbackQuietly(conn, path);
        long waited = System.nanoTime() - started;
        if (!Sql.isBusy(e) || !waitForLock || waited >= TimeUnit.MILLISECONDS.toNanos(FineBusyWait.TIMEOUT_MILLIS)
            || Thread.currentThread().isInterrupted()) {
          throw Sql.wrap("database " + path, e);
        }
      } finally {
        busyWait.waiting(true);
        if (!begun) {
          lock.unlock();
        }
      }
      long waited = System.nanoTime() - started;
      LockSupport.parkNanos(waited < 10_000_000L ? 100_000L : waited < 100_000_000L ? 1_000_000L : 10_000_000L);
    }
  }

  /** Runs {@code q} under the lock, outside any transaction. */
  <T> T read(Query<T> q) {
    lock.lock();
    try {
      checkOpen();
      return q.run();
    } catch (SQLException e) {
      throw Sql.wrap("database " + path, e);
    } finally {
      lock.unlock();
    }
  }

  /** Runs {@code q} under the lock in a read transaction: one snapshot, SQLite's write lock not taken. */
  <T> T inSnapshot(Query<T> q) {
    lock.lock();
    try {
      checkOpen();
      Sql.exec(conn, "BEGIN"); // deferred: one snapshot from the first read on
      try {
        return q.run();
      } finally {
        Sql.exec(conn, "COMMIT"); // nothing was written: this only ends the snapshot
      }
    } catch (SQLException e) {
      throw Sql.wrap("database " + path, e);
    } finally {
      lock.unlock();
    }
  }

  /** Closes the connection; later uses throw. */
  void close() throws SQLException {
    lock.lock();
    try {
      closed = true;
      conn.close();
    } finally {
      lock.unlock();
    }
  }
}
