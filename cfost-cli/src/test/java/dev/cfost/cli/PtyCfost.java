package dev.cfost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A {@code cfost} command in a pseudo-terminal, as a person runs it: started under util-linux's
 * {@code script}, which gives it a terminal of {@value #ROWS} rows and {@value #COLS} columns, copies
 * what the test types to it, and copies what it draws into a {@link VtScreen}.
 */
final class PtyCfost implements AutoCloseable {
  static final int ROWS = 20;
  static final int COLS = 100;

  private final Process process;
  private final VtScreen screen = new VtScreen(ROWS, COLS);
  /** Everything the command wrote, escape sequences included; guarded by itself. */
  private final StringBuilder raw = new StringBuilder();
  private final Thread reader;

  private PtyCfost(Process process) {
    this.process = process;
    this.reader = new Thread(this::copyOutput, "pty-output");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code cfost args} in a terminal; the scratch folder holds the SQLite driver's native copy. */
  static PtyCfost start(Path scratch, String... args) throws IOException {
    assertThat(Path.of("/usr/bin/script")).as("util-linux 'script', which gives the command a terminal")
        .isExecutable();
    List<String> java = new ArrayList<>(CfostProcess.javaCommand());
    Path nativeDir = scratch.resolve(".sqlite-native");
    Files.createDirectories(nativeDir);
    java.add("-Dorg.sqlite.tmpdir=" + nativeDir.toAbsolutePath());
    java.add("-jar");
    java.add(CfostProcess.jar().toAbsolutePath().toString());
    java.addAll(List.of(args));
    StringBuilder shell = new StringBuilder("stty cols " + COLS + " rows " + ROWS + " && exec");
    java.forEach(word -> shell.append(" '").append(word.replace("'", "'\\''")).append('\''));
    // -q: no "Script started" lines; -e: its exit code is the command's; -f: output as soon as written.
    ProcessBuilder pb = new ProcessBuilder("/usr/bin/script", "-qefc", shell.toString(), "/dev/null")
        .directory(scratch.toFile()).redirectErrorStream(true);
    pb.environment().remove("CFOST_DB");
    pb.environment().put("TERM", "xterm-256color");
    return new PtyCfost(pb.start());
  }

  private void copyOutput() {
    char[] buffer = new char[8192];
    try (Reader in = new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        screen.feed(buffer, n);
        synchronized (raw) {
          raw.append(buffer, 0, n);
        }
      }
    } catch (IOException e) {
      // The process ended: what it wrote until then is in the screen.
    }
  }

  /** Types {@code keys} as a person would: in one go, as a terminal sends a pasted or typed burst. */
  PtyCfost type(String keys) throws IOException {
    OutputStream in = process.getOutputStream();
    in.write(keys.getBytes(StandardCharsets.UTF_8));
    in.flush();
    return this;
  }

  /** Waits until the screen shows what {@code expected} accepts; fails with the screen as it was. */
  List<String> await(String what, Predicate<List<String>> expected, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      List<String> lines = screen.lines();
      if (expected.test(lines)) {
        return lines;
      }
      if (System.nanoTime() > deadline || !process.isAlive() && !reader.isAlive()) {
        throw new AssertionError("the screen did not show " + what + " within " + within.toMillis() + " ms"
            + (process.isAlive() ? "" : " (the command ended)") + "; it shows:\n" + screen.text());
      }
      Thread.sleep(20);
    }
  }

  /** Waits until a line of the screen contains every one of {@code parts}; returns that line. */
  String awaitLine(Duration within, String... parts) throws InterruptedException {
    Predicate<String> line = l -> List.of(parts).stream().allMatch(l::contains);
    List<String> lines = await("a line with " + List.of(parts), s -> s.stream().anyMatch(line), within);
    return lines.stream().filter(line).findFirst().orElseThrow();
  }

  /** Waits for the command to end and returns its exit code. */
  int awaitExit(Duration within) throws InterruptedException {
    assertThat(process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)).as("the command ended; screen:\n%s",
        screen.text()).isTrue();
    reader.join(within.toMillis());
    return process.exitValue();
  }

  /**
   * Resizes the terminal, as a person dragging the window's corner does: the command's terminal gets the
   * new size and the command a SIGWINCH. The model keeps its size; the command draws into its top left.
   */
  void resize(int rows, int cols) throws IOException, InterruptedException {
    ProcessHandle command = process.descendants().filter(p -> p.info().command().orElse("").endsWith("java"))
        .findFirst().orElseThrow(() -> new AssertionError("no java process under script"));
    Path tty = Files.readSymbolicLink(Path.of("/proc", Long.toString(command.pid()), "fd", "0"));
    Process stty = new ProcessBuilder("stty", "-F", tty.toString(), "cols", Integer.toString(cols), "rows",
        Integer.toString(rows)).redirectErrorStream(true).start();
    assertThat(stty.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(stty.exitValue()).as(new String(stty.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
        .isZero();
  }

  List<String> screen() {
    return screen.lines();
  }

  /** All the command wrote, escape sequences included. */
  String raw() {
    synchronized (raw) {
      return raw.toString();
    }
  }

  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }
}
