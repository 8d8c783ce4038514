package dev.cfost.net;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link PeerCrashChild} life in its own JVM. Its reports are read on a daemon thread; {@link #await}
 * hands them to the test thread, {@link #kill} sends SIGKILL ({@link Process#destroyForcibly()} on Linux)
 * and returns everything the child reported, also what it wrote just before dying.
 */
final class ChildPeer implements AutoCloseable {
  private static final String ENDED = "\u0000ended";
  private static final long QUIET_SECONDS = 60;

  private final Process process;
  private final Path stderr;
  private final BlockingQueue<String> unread = new LinkedBlockingQueue<>();
  private final List<String> all = new ArrayList<>();
  private final Thread reader;

  private ChildPeer(Process process, Path stderr) {
    this.process = process;
    this.stderr = stderr;
    this.reader = new Thread(this::read, "child-peer-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code PeerCrashChild args...} with this JVM's java and test class path. */
  static ChildPeer start(Path logDir, String... args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // C1 only and the serial collector: a life lasts a second or two on the build's two busy cores.
    List<String> command = new ArrayList<>(List.of(java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-Xshare:auto", "-cp", System.getProperty("java.class.path"), PeerCrashChild.class.getName()));
    command.addAll(List.of(args));
    Path err = Files.createTempFile(logDir, "child-peer-", ".stderr");
    return new ChildPeer(new ProcessBuilder(command).redirectError(err.toFile()).start(), err);
  }

  private void read() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.startsWith(PeerCrashChild.PREFIX)) {
          String report = line.substring(PeerCrashChild.PREFIX.length());
          synchronized (all) {
            all.add(report);
          }
          unread.add(report);
        }
      }
    } catch (IOException e) {
      unread.add("error reading the child's stdout: " + e);
    } finally {
      unread.add(ENDED);
    }
  }

  /**
   * Reads reports until the {@code n}-th one (counted from now) that starts with {@code prefix}; returns it.
   *
   * @throws AssertionError if the child ended first or that report did not come within 60 s
   */
  String await(String prefix, int n) throws InterruptedException {
    int seen = 0;
    // A deadline for the whole wait, not only for silence: the child reports its commits all the time.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(QUIET_SECONDS);
    while (true) {
      String r = unread.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (r == null || r.equals(ENDED) || r.startsWith("error")) {
        process.destroyForcibly();
        throw new AssertionError((r == null ? "no '" + prefix + "' #" + n + " from the child within " + QUIET_SECONDS
            + " s" : "the child ended (" + r.replace(ENDED, "exit") + ") while the test waited for '" + prefix
            + "' #" + n) + "; " + diagnostics());
      }
      if (r.startsWith(prefix) && ++seen == n) {
        return r;
      }
    }
  }

  /** The reports not read yet, without waiting. */
  List<String> drain() {
    List<String> out = new ArrayList<>();
    unread.drainTo(out);
    out.remove(ENDED);
    return out;
  }

  /** SIGKILL; checks the child died of it (exit status 128 + 9) and returns every report it wrote. */
  List<String> kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(QUIET_SECONDS, TimeUnit.SECONDS)) {
      throw new AssertionError("the child " + process.pid() + " outlived SIGKILL");
    }
    reader.join(TimeUnit.SECONDS.toMillis(QUIET_SECONDS));
    if (process.exitValue() != 128 + 9) {
      throw new AssertionError("the child exited with " + process.exitValue() + ", not of SIGKILL; " + diagnostics());
    }
    synchronized (all) {
      return List.copyOf(all);
    }
  }

  String diagnostics() {
    List<String> last;
    synchronized (all) {
      last = List.copyOf(all.subList(Math.max(0, all.size() - 8), all.size()));
    }
    String err;
    try {
      err = Files.readString(stderr);
    } catch (IOException e) {
      err = "(unreadable: " + e + ")";
    }
    return "its last reports " + last + ", its stderr:\n" + (err.length() > 4000 ? err.substring(err.length() - 4000) : err);
  }

  /** Kills the child if a failed test left it running. */
  @Override
  public void close() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(QUIET_SECONDS, TimeUnit.SECONDS);
  }
}
