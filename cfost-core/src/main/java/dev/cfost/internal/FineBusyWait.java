package dev.cfost.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.sqlite.BusyHandler;

/**
 * How the engine's connection waits for another connection's write lock: in steps of 100 us for the
 * first 10 ms, then 1 ms, then 10 ms, up to {@link #TIMEOUT_MILLIS}. SQLite's own busy handler sleeps
 * 1, 2, 5, 10 ms and up to 100 ms between tries, so a capture that meets an application's commit
 * would lose a millisecond or more of a live change's latency. An interrupted thread does not wait (its statement fails with "database is locked"). One
 * instance per connection: the engine uses its connection from one thread at a time.
 */
final class FineBusyWait extends BusyHandler {
  static final long TIMEOUT_MILLIS = 30_000;
  private static final long NEW_WAIT_GAP_NANOS = 1_000_000_000L;

  private final long timeoutNanos;
  private long started;
  private long lastCall;
  private boolean waiting = true;

  FineBusyWait() {
    this(TIMEOUT_MILLIS);
  }

  FineBusyWait(long timeoutMillis) {
    this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
  }

  /** Whether to wait at all: false fails every busy statement at once, until set again. */
  void waiting(boolean wait) {
    waiting = wait;
  }

  @Override
  protected int callback(int tries) {
    if (!waiting) {
      return 0;
    }
    long now = System.nanoTime();
    // SQLite counts tries per statement step; a wait while a statement is prepared can start with an
    // old count, so a long gap since the last call also starts a new wait.
    if (tries == 0 || now - lastCall > NEW_WAIT_GAP_NANOS) {
      started = now;
    }
    lastCall = now;
    long waited = now - started;
    if (waited >= timeoutNanos) {
      return 0; // SQLITE_BUSY: "database is locked"
    }
    if (Thread.currentThread().isInterrupted()) {
      // parkNanos returns at once while the interrupt flag is set, so waiting would spin: an interrupted
      // thread is taken as cancelled, and its statement fails now (the flag stays set for its caller).
      return 0;
    }
    LockSupport.parkNanos(waited < 10_000_000L ? 100_000L : waited < 100_000_000L ? 1_000_000L : 10_000_000L);
    return 1;
  }
}
