package dev.cfost;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link CrashChild} in its own JVM, killed with SIGKILL by the test.
 *
 * <p>The child's reports (stdout lines starting with {@link CrashChild#PREFIX}) are read by a daemon
 * thread and handed to the test thread through {@link #next}; its stderr goes to a file that failures
 * quote. {@link #kill} kills with {@link Process#destroyForcibly()}, which on Linux sends SIGKILL, and
 * checks that: the exit status of a process that died of signal 9 is 128 + 9.
 */
final class CrashProcess implements AutoCloseable {
  static final int SIGKILL_STATUS = 128 + 9;
  private static final String EOF = "\u0000eof";
  private static final long TIMEOUT_SECONDS = 120;

  private final Process process;
  private final Path stderr;
  private final BlockingQueue<String> queue = new LinkedBlockingQueue<>();
  private final List<String> reports = Collections.synchronizedList(new ArrayList<>());
  private final Thread reader;

  private CrashProcess(Process process, Path stderr) {
    this.process = process;
    this.stderr = stderr;
    this.reader = new Thread(this::readReports, "crash-child-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code CrashChild args...} with this JVM's java and class path; stderr goes into {@code dir}. */
  static CrashProcess start(Path dir, String... args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // C1 only and the serial collector: the child lives seconds, and C2's compiler threads would take
    // most of its CPU on the two busy cores the build shares.
    List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), CrashChild.class.getName()));
    command.addAll(List.of(args));
    Path stderr = Files.createTempFile(dir, "child-", ".stderr");
    Process p = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
    return new CrashProcess(p, stderr);
  }

  long pid() {
    return process.pid();
  }

  private void readReports() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.startsWith(CrashChild.PREFIX)) {
          String report = line.substring(CrashChild.PREFIX.length());
          reports.add(report);
          queue.add(report);
        }
      }
    } catch (IOException e) {
      queue.add("error reading the child's stdout: " + e);
    } finally {
      queue.add(EOF);
    }
  }

  /**
   * The next report, waiting for it.
   *
   * @throws AssertionError if the child ended first, reported an error, or said nothing for two minutes
   */
  String next() throws InterruptedException {
    String r = queue.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (r == null) {
      kill();
      throw new AssertionError("the child said nothing for " + TIMEOUT_SECONDS + " s; " + diagnostics());
    }
    if (r.equals(EOF) || r.startsWith("error")) {
      process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      throw new AssertionError("the child failed (" + r.replace(EOF, "ended") + "); " + diagnostics());
    }
    return r;
  }

  /** Reads reports until one starts with {@code word} (and a space or its end); returns it. */
  String awaitReport(String word) throws InterruptedException {
    while (true) {
      String r = next();
      if (r.equals(word) || r.startsWith(word + " ")) {
        return r;
      }
    }
  }

  /** Reads reports until one is {@code word n ...} with {@code n >= atLeast}; returns it. */
  String awaitAtLeast(String word, long atLeast) throws InterruptedException {
    while (true) {
      String r = awaitReport(word);
      if (Long.parseLong(r.split(" ")[1]) >= atLeast) {
        return r;
      }
    }
  }

  /**
   * Sends SIGKILL, checks the child died of it, and returns every report the child had written, including
   * those written between the test's last read and the kill.
   */
  List<String> kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      throw new AssertionError("the child " + process.pid() + " did not die of SIGKILL");
    }
    reader.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
    if (process.exitValue() != SIGKILL_STATUS) {
      throw new AssertionError("the child exited with " + process.exitValue() + ", not of SIGKILL ("
          + SIGKILL_STATUS + "); " + diagnostics());
    }
    synchronized (reports) {
      return List.copyOf(reports);
    }
  }

  /** Kills the child if it still runs (a test that failed before its kill leaves no process behind). */
  @Override
  public void close() {
    process.destroyForcibly();
  }

  private String diagnostics() {
    String err;
    try {
      err = Files.readString(stderr);
    } catch (IOException e) {
      err = "(cannot read " + stderr + ": " + e + ")";
    }
    List<String> said;
    synchronized (reports) {
      said = List.copyOf(reports.subList(Math.max(0, reports.size() - 5), reports.size()));
    }
    return "last reports " + said + ", stderr:\n" + err;
  }
}
