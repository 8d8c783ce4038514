package dev.cfost.cli.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;

/**
 * The pid file of a sync daemon, {@code <db>.pid}. The daemon writes its process id into it and holds an
 * exclusive lock on it while it runs; the operating system drops the lock when the process ends, however
 * it ends. So a pid file left behind by a killed daemon is known to be stale, and a pid that another
 * process has since reused is never taken for a daemon.
 *
 * <p>Owned by the daemon's main thread until {@link #close}, which the shutdown hook may call instead.
 */
final class PidFile implements AutoCloseable {
  private static final long BUSY_WAIT_MILLIS = 2_000;

  private final Path path;
  private final FileChannel channel;
  private boolean closed;

  private PidFile(Path path, FileChannel channel) {
    this.path = path;
    this.channel = channel;
  }

  /**
   * Takes the pid file of {@code db} for this process.
   *
   * @throws CliException naming the pid if a live daemon holds it
   */
  static PidFile acquire(Path db) throws IOException {
    Path path = DaemonFiles.pid(db);
    long deadline = System.nanoTime() + BUSY_WAIT_MILLIS * 1_000_000L;
    while (true) {
      FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (IOException | RuntimeException e) {
        ch.close();
        throw e;
      }
      if (lock != null && Files.exists(path)) {
        ch.truncate(0);
        ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)));
        ch.force(true);
        return new PidFile(path, ch);
      }
      ch.close(); // also releases the lock, if this was a file that a stopping daemon just deleted
      if (lock == null) {
        OptionalLong pid = pidIn(path);
        if (pid.isPresent() && ProcessHandle.of(pid.getAsLong()).map(ProcessHandle::isAlive).orElse(false)) {
          throw alreadyRunning(db, pid.getAsLong());
        }
        // Locked, but not by a live pid that it names: another command is looking at it, or a daemon is
        // between taking the lock and writing its pid. Look again shortly.
        if (System.nanoTime() > deadline) {
          throw new CliException("the pid file " + path + " stays locked by another process");
        }
        sleepBriefly();
      }
    }
  }

  static CliException alreadyRunning(Path db, long pid) {
    return new CliException("a daemon already runs for " + db + " (pid " + pid + "); stop it with 'cfost stop'");
  }

  /** The pid of the live daemon of {@code db}, or empty if none runs (no pid file, or a stale one). */
  static OptionalLong running(Path db) throws IOException {
    Path path = DaemonFiles.pid(db);
    long deadline = System.nanoTime() + BUSY_WAIT_MILLIS * 1_000_000L;
    while (true) {
      try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
        FileLock shared = ch.tryLock(0, Long.MAX_VALUE, true);
        if (shared != null) {
          return OptionalLong.empty(); // nobody holds it: stale
        }
      } catch (NoSuchFileException e) {
        return OptionalLong.empty();
      }
      OptionalLong pid = pidIn(path);
      if (pid.isPresent() || System.nanoTime() > deadline) {
        return pid;
      }
      sleepBriefly(); // a daemon took the lock and is about to write its pid
    }
  }

  /** Deletes the pid file of {@code db} if no live daemon holds it; true if there was one to delete. */
  static boolean removeStale(Path db) throws IOException {
    return running(db).isEmpty() && Files.deleteIfExists(DaemonFiles.pid(db));
  }

  private static OptionalLong pidIn(Path path) {
    try {
      String text = Files.readString(path, StandardCharsets.US_ASCII).strip();
      return text.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(text));
    } catch (IOException | NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  private static void sleepBriefly() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted while waiting for the pid file", e);
    }
  }

  /** Deletes the pid file, then lets go of the lock. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      System.err.println("cfost: could not delete " + path + ": " + Errors.describe(e));
    }
    try {
      channel.close();
    } catch (IOException e) {
      // the lock goes with the process anyway
    }
  }
}
