package dev.cfost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.cli.internal.Cli;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
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

/**
 * Runs the shaded {@code cfost.jar} as a child process, as a user's shell would; or, made by
 * {@link #inThisJvm}, runs commands in the test's JVM through the same entry point ({@link Cli#run}),
 * for tests that need no process of their own: a child JVM costs about a second of CPU per command.
 */
final class CfostProcess {
  /**
   * A class-data archive beside the jar, made once per build by the first child JVM that needs it: child
   * JVMs map the classes a command loads instead of loading and verifying them again.
   */
  private static final String CLASS_ARCHIVE = "cfost.jsa";
  /** Whether the archive was checked in this JVM: made when missing or older than the jar, once. */
  private static boolean archiveChecked;

  private final Path jar;
  private final boolean inThisJvm;
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
    this(scratch, false);
  }

  private CfostProcess(Path scratch, boolean inThisJvm) {
    this.jar = jar();
    assertThat(jar).as("the shaded jar (failsafe runs after package)").isRegularFile();
    this.scratch = scratch;
    this.inThisJvm = inThisJvm;
  }

  /** Commands run in this JVM, with their own stdin, stdout, stderr and {@code CFOST_DB}. */
  static CfostProcess inThisJvm(Path scratch) {
    return new CfostProcess(scratch, true);
  }

  static Path jar() {
    String configured = System.getProperty("cfost.jar");
    return configured != null ? Path.of(configured) : Path.of("target", "cfost.jar");
  }

  /**
   * The options of a child JVM that runs a command: start fast, since most commands last a second. Used
   * by {@link BackgroundCfost} too.
   */
  static List<String> javaCommand() {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-XX:TieredStopAtLevel=1"); // the C2 compiler would not pay off in a short process
    command.add("-XX:+UseSerialGC"); // no GC threads to start, for a heap this small
    Path archive = classArchive();
    if (archive != null) {
      command.add("-XX:SharedArchiveFile=" + archive);
      // An archive that does not match the jar is ignored, and its warning would break the empty stderr.
      command.add("-Xlog:cds*=off");
    }
    return command;
  }

  /**
   * The class-data archive for the current jar, made by a training run of {@code cfost init} when missing
   * or older than the jar; null when it cannot be made (the commands then run without it, only slower).
   */
  private static synchronized Path classArchive() {
    Path archive = jar().toAbsolutePath().resolveSibling(CLASS_ARCHIVE);
    if (archiveChecked) {
      return Files.isRegularFile(archive) ? archive : null;
    }
    archiveChecked = true;
    try {
      if (Files.isRegularFile(archive)
          && Files.getLastModifiedTime(archive).compareTo(Files.getLastModifiedTime(jar())) > 0) {
        return archive;
      }
      Files.deleteIfExists(archive);
      Path training = Files.createTempDirectory(archive.getParent(), "cds-training");
      Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:ArchiveClassesAtExit=" + archive, "-Xlog:cds*=off",
          "-jar", jar().toAbsolutePath().toString(), "--db", training.resolve("training.db").toString(), "init")
          .redirectErrorStream(true).redirectOutput(training.resolve("output.txt").toFile()).start();
      boolean ended = p.waitFor(120, TimeUnit.SECONDS);
      if (!ended) {
        p.destroyForcibly();
      }
      return ended && p.exitValue() == 0 && Files.isRegularFile(archive) ? archive : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  CfostProcess env(String name, String value) {
    env.put(name, value);
    return this;
  }

  CfostProcess jvmArg(String arg) {
    if (inThisJvm) {
      throw new IllegalStateException("JVM options need a process of its own: use new CfostProcess(dir)");
    }
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
    List<String> command = javaCommand();
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
    if (inThisJvm) {
      throw new IllegalStateException("a spawned command needs a process of its own: use new CfostProcess(dir)");
    }
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
    if (inThisJvm) {
      return runInThisJvm(args);
    }
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

  private Result runInThisJvm(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Map<String, String> environment = new HashMap<>(System.getenv());
    environment.remove("CFOST_DB");
    environment.putAll(env);
    int code = Cli.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), out, err, environment);
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
