package dev.cfost.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.sqlite.BusyHandler;

/**
 * How the engine's connection waits for another connection's write lock: in steps of 100 us for the
 * first 10 ms, then 1 ms, then 10 ms, up to {@link #TIMEOUT_MILLIS}. SQLite's own busy handler sleeps
 * 1, 2, 5, 10 ms and up to 100 ms between tries, so a capture that starts while an application's commit is
 * finishing (it is scheduled by that commit) would lose a millisecond or more of a live change's
 * latency. One instance per connection: the engine uses its connection from one thread at a time.
 */
final class FineBusyWait extends BusyHandler {
  static final long TIMEOUT_MILLIS = 30_000;

  private final long timeoutNanos;
  private long started;

  FineBusyWait() {
    this(TIMEOUT_MILLIS);
  }

  FineBusyWait(long timeoutMillis) {
    this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
  }

  @Override
  protected int callback(int tries) {
    long now = System.nanoTime();
    if (tries == 0) {
      started = now;
    }
    long waited = now - started;
    if (waited >= timeoutNanos) {
      return 0; // SQLITE_BUSY: "database is locked"
    }
    long step = waited < 10_000_000L ? 100_000L : waited < 100_000_000L ? 1_000_000L : 10_000_000L;
    LockSupport.parkNanos(step);
    return 1;
  }
}
