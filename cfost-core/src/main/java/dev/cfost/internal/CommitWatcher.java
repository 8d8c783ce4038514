package dev.cfost.internal;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.sqlite.SQLiteCommitListener;

/**
 * Has a commit made through a connection of {@code Cfost.connect()} captured right after it, instead of
 * at the next tick of the background capture: a live peer then sends it within milliseconds. The hook
 * runs inside the application's commit, on its thread, so it only schedules: the capture's own write
 * transaction starts on the capture thread and waits for that commit to finish. A burst of commits is
 * captured together, at most one capture per {@link #BURST_NANOS}, so an application committing in a
 * loop does not pay a capture per commit.
 */
final class CommitWatcher implements SQLiteCommitListener {
  static final long BURST_NANOS = 5_000_000L;

  private final ScheduledExecutorService captureThread;
  private final Runnable capture;
  private final AtomicBoolean queued = new AtomicBoolean();
  private volatile long lastRun = System.nanoTime() - BURST_NANOS;

  CommitWatcher(ScheduledExecutorService captureThread, Runnable capture) {
    this.captureThread = captureThread;
    this.capture = capture;
  }

  @Override
  public void onCommit() {
    if (!queued.compareAndSet(false, true)) {
      return; // a capture is already coming, and it will see this commit
    }
    long wait = Math.max(0, BURST_NANOS - (System.nanoTime() - lastRun));
    try {
      captureThread.schedule(this::run, wait, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      queued.set(false); // the engine is closing; its close() captures what is left
    }
  }

  @Override
  public void onRollback() {}

  private void run() {
    queued.set(false); // before capturing: a commit from now on needs another capture
    lastRun = System.nanoTime();
    capture.run();
  }
}
