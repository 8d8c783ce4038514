package dev.cfost.internal;

import dev.cfost.CfostException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's {@code cfost-capture} thread: captures what other connections committed, every capture
 * interval (a poll of {@code PRAGMA data_version}) and right after each commit through a connection of
 * {@code Cfost.connect()} ({@link CommitWatcher}).
 *
 * <p>Runs only on its own thread; {@link #committedTxBegan} is called by the engine's writers.
 */
final class BackgroundCapture {
  private static final Logger log = LoggerFactory.getLogger(BackgroundCapture.class);
  private static final long NO_COMMIT = Long.MIN_VALUE;
  /** Tries of a capture after a commit (not yet visible, or the lock taken): about 200 ms, then the poll's. */
  private static final int BUSY_RETRIES = 100;

  /** What the capture needs from the engine. */
  interface Target {
    /** Whether another connection committed since the engine's last commit; null once closed. */
    Boolean othersCommitted() throws SQLException;

    /**
     * Captures without waiting: an engine transaction failing at once (busy) if the write lock is taken, or
     * none if those commits left nothing to capture.
     */
    void captureWithoutWaiting();
  }

  private final Path path;
  private final Target target;
  private final ScheduledExecutorService thread;
  private final CommitWatcher commitWatcher;
  /** When the latest committed engine write transaction took the write lock ({@code System.nanoTime()}). */
  private volatile long lastCommittedTxBegan = System.nanoTime();

  BackgroundCapture(Path path, long everyMillis, Target target) {
    this.path = path;
    this.target = target;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "cfost-capture");
      t.setDaemon(true);
      return t;
    });
    thread.scheduleWithFixedDelay(this::captureTick, everyMillis, everyMillis, TimeUnit.MILLISECONDS);
    this.commitWatcher = new CommitWatcher(thread, this::captureAfterCommit);
  }

  /** The commit hook to set on the connections of {@code Cfost.connect()}. */
  CommitWatcher commitWatcher() {
    return commitWatcher;
  }

  /** An engine write transaction that took the write lock at {@code began} has committed. */
  void committedTxBegan(long began) {
    lastCommittedTxBegan = began;
  }

  /** Stops the thread, waiting up to 10 s for a capture in progress. */
  void stop() {
    thread.shutdown();
    try {
      thread.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The background capture's poll: captures if another connection or process committed since. */
  private void captureTick() {
    captureInBackground(NO_COMMIT, 0);
  }

  /**
   * Right after a commit through {@code Cfost.connect()}, which may still be finishing. Skipped if an engine
   * transaction that began after that commit has committed (an explicit {@code capture()} right after
   * the application's commit, say): the commit held the write lock when its hook ran, so any engine
   * transaction that began later captured it.
   */
  private void captureAfterCommit(long committedAt) {
    captureInBackground(committedAt, 0);
  }

  /**
   * A background capture never waits for another connection's write lock while it holds the engine's
   * lock: an application holding a write transaction would otherwise block every engine call behind it,
   * its own too. A capture after a commit waits, by trying again shortly, until that commit is visible
   * ({@code PRAGMA data_version} moved: its fsync may still be running when the hook schedules this) and
   * the write lock is free, or until an engine transaction that began after the commit has committed;
   * a poll tries again at its next tick.
   */
  private void captureInBackground(long committedAt, int attempt) {
    boolean committed = committedAt != NO_COMMIT;
    if (committed && lastCommittedTxBegan - committedAt > 0) {
      return; // captured by then
    }
    try {
      Boolean changed = target.othersCommitted();
      if (changed == null) {
        return; // closed
      }
      if (changed) {
        target.captureWithoutWaiting();
      } else if (committed) {
        retryAfterCommit(committedAt, attempt);
      }
    } catch (CfostException e) {
      if (!Sql.isBusy(e)) {
        log.error("capturing local writes to {} failed; will retry", path, e);
      } else if (committed) {
        retryAfterCommit(committedAt, attempt);
      }
    } catch (RuntimeException | SQLException e) {
      log.error("capturing local writes to {} failed; will retry", path, e);
    }
  }

  private void retryAfterCommit(long committedAt, int attempt) {
    if (attempt >= BUSY_RETRIES) {
      return; // the poll's turn
    }
    try {
      thread.schedule(() -> captureInBackground(committedAt, attempt + 1), attempt < 10 ? 200 : 2_000,
          TimeUnit.MICROSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      // close() captures what is left
    }
  }
}
