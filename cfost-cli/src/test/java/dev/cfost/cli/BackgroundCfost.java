package dev.cfost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shaded {@code cfost.jar} running as a child process while the test goes on, such as
 * {@code device pair} waiting for a device: its stdout is read line by line as it comes.
 */
final class BackgroundCfost implements AutoCloseable {
  private static final String EOF = new String("end of stdout"); // a marker compared by identity

  private final Process process;
  private final Path err;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final StringBuilder out = new StringBuilder();

  private BackgroundCfost(Process process, Path err) {
    this.process = process;
    this.err = err;
    Thread reader = new Thread(this::readStdout, "cfost-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  static BackgroundCfost start(Path scratch, String... args) {
    BackgroundCfost b = interactive(scratch, args);
    try {
      b.process.getOutputStream().close();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return b;
  }

  /** Like {@link #start}, with stdin left open for {@link #type}. */
  static BackgroundCfost interactive(Path scratch, String... args) {
    List<String> command = CfostProcess.javaCommand();
    command.add("-jar");
    command.add(CfostProcess.jar().toAbsolutePath().toString());
    command.addAll(List.of(args));
    try {
      Path err = Files.createTempFile(scratch, "stderr", ".txt");
      ProcessBuilder pb = new ProcessBuilder(command).directory(scratch.toFile())
          .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
      pb.environment().remove("CFOST_DB");
      return new BackgroundCfost(pb.start(), err);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Writes {@code line} and a line end to the process's stdin. */
  void type(String line) {
    try {
      process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
      process.getOutputStream().flush();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private void readStdout() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        synchronized (out) {
          out.append(line).append('\n');
        }
        lines.add(line);
      }
    } catch (IOException e) {
      // the process was killed: what it printed so far is kept
    } finally {
      lines.add(EOF);
    }
  }

  /** The first group of {@code pattern} in the first stdout line that holds it, waiting up to 60 s. */
  String awaitMatch(Pattern pattern) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    try {
      while (true) {
        String line = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (line == null || line == EOF) {
          throw new AssertionError("no line matching " + pattern + " (" + (line == null ? "timed out" : "ended")
              + "); stdout so far:\n" + stdout() + "stderr:\n" + stderr());
        }
        Matcher m = pattern.matcher(line);
        if (m.find()) {
          return m.groupCount() > 0 ? m.group(1) : m.group();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Waits up to 60 s for the process to end by itself, and returns what it printed and returned. */
  CfostProcess.Result finish() {
    try {
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("cfost ended; stdout so far:\n%s", stdout()).isTrue();
      drain();
      return new CfostProcess.Result(process.exitValue(), stdout(), stderr());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Kills the process and waits until it is gone, so that its port is closed. */
  void kill() {
    process.destroy();
    try {
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("cfost ended after SIGTERM").isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private void drain() throws InterruptedException {
    // The reader thread adds EOF after the last line: then stdout() is complete.
    while (true) {
      String line = lines.poll(60, TimeUnit.SECONDS);
      if (line == null) {
        throw new AssertionError("stdout did not end");
      }
      if (line == EOF) {
        lines.add(EOF);
        return;
      }
    }
  }

  private String stdout() {
    synchronized (out) {
      return out.toString();
    }
  }

  private String stderr() {
    try {
      return Files.readString(err);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
  }
}
