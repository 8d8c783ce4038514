package dev.cfost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the shaded {@code cfost.jar} as a child process, as a user's shell would. */
final class CfostProcess {
  private final Path jar;
  private final Path scratch;
  private final Map<String, String> env = new HashMap<>();
  private final List<String> jvmArgs = new ArrayList<>();
  private String stdin = "";

  /** What a run printed and returned. */
  record Result(int code, String out, String err) {
    List<String> errLines() {
      return err.isEmpty() ? List.of() : Arrays.asList(err.split("\n"));
    }

    /** Asserts success with nothing on stderr, and returns stdout. */
    String ok() {
      assertThat(err).as("stderr").isEmpty();
      assertThat(code).as("exit code; stderr: %s", err).isZero();
      return out;
    }

    /** Asserts failure with {@code code}, nothing on stdout and one {@code cfost: } line on stderr; returns it. */
    String fails(int expectedCode) {
      assertThat(code).as("exit code; stdout: %s", out).isEqualTo(expectedCode);
      assertThat(errLines()).as("stderr").hasSize(1);
      assertThat(err).startsWith("cfost: ");
      return errLines().get(0);
    }
  }

  CfostProcess(Path scratch) {
    String configured = System.getProperty("cfost.jar");
    this.jar = configured != null ? Path.of(configured) : Path.of("target", "cfost.jar");
    assertThat(jar).as("the shaded jar (failsafe runs after package)").isRegularFile();
    this.scratch = scratch;
  }

  CfostProcess env(String name, String value) {
    env.put(name, value);
    return this;
  }

  CfostProcess jvmArg(String arg) {
    jvmArgs.add(arg);
    return this;
  }

  CfostProcess stdin(String text) {
    stdin = text;
    return this;
  }

  /**
   * A command still running, its output going to files: for daemons in the foreground, {@code logs
   * --follow}, and a sync to be killed. The caller ends it.
   */
  record Spawned(Process process, Path out, Path err) {
    String outText() {
      return read(out);
    }

    String errText() {
      return read(err);
    }

    private static String read(Path p) {
      try {
        return Files.readString(p);
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }
  }

  private List<String> command(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-XX:TieredStopAtLevel=1"); // a short-lived process: start fast
    // The SQLite driver unpacks its native library per process; a killed process leaves its copy behind.
    // In the scratch folder, every copy goes when the test's folder does. Daemons inherit the option.
    command.add("-Dorg.sqlite.tmpdir=" + scratch.resolve(".sqlite-native").toAbsolutePath());
    command.addAll(jvmArgs);
    command.add("-jar");
    command.add(jar.toAbsolutePath().toString());
    command.addAll(List.of(args));
    return command;
  }

  private Process start(List<String> command, Path out, Path err) throws IOException {
    Files.createDirectories(scratch.resolve(".sqlite-native"));
    ProcessBuilder pb = new ProcessBuilder(command).directory(scratch.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().remove("CFOST_DB");
    pb.environment().putAll(env);
    return pb.start();
  }

  /** Starts a command without waiting for it; stdin is closed at once. */
  Spawned spawn(String... args) {
    try {
      Path out = Files.createTempFile(scratch, "stdout", ".txt");
      Path err = Files.createTempFile(scratch, "stderr", ".txt");
      Process p = start(command(args), out, err);
      p.getOutputStream().close();
      return new Spawned(p, out, err);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  Result run(String... args) {
    try {
      Path out = Files.createTempFile(scratch, "stdout", ".txt");
      Path err = Files.createTempFile(scratch, "stderr", ".txt");
      Process p = start(command(args), out, err);
      try (OutputStream in = p.getOutputStream()) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("cfost " + String.join(" ", args) + " did not finish in 120 s");
      }
      Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
      Files.delete(out);
      Files.delete(err);
      return r;
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
