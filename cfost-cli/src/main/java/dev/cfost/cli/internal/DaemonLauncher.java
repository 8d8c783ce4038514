package dev.cfost.cli.internal;

import dev.cfost.cli.Main;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * {@code cfost start --daemon}: starts the same command in the background, as a new process of the same
 * Java with the same class path and JVM options, output appended to {@code <db>.log}; waits until it
 * listens (or fails), and prints its pid.
 */
final class DaemonLauncher {
  private static final long START_TIMEOUT_MILLIS = 30_000;
  private static final int TAIL_LINES = 20;
  private static final Pattern LISTENING = Pattern.compile("^listening on (\\S+)$", Pattern.MULTILINE);
  // JVM options that must not be given to a second JVM: a debugger or agent would want the same port.
  private static final List<String> NOT_INHERITED = List.of("-agentlib:", "-agentpath:", "-javaagent:", "-Xrunjdwp",
      "-Xdebug");

  private DaemonLauncher() {}

  static int launch(CommandLine cl, Path db, List<String> args) throws IOException, InterruptedException {
    OptionalLong running = PidFile.running(db);
    if (running.isPresent()) {
      throw PidFile.alreadyRunning(db, running.getAsLong());
    }
    Path log = DaemonFiles.log(db);
    long offset = Files.exists(log) ? Files.size(log) : 0;
    List<String> command = javaCommand();
    command.addAll(args);
    Process child = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new File(isWindows() ? "NUL" : "/dev/null")))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    long deadline = System.nanoTime() + START_TIMEOUT_MILLIS * 1_000_000L;
    while (true) {
      String written = readFrom(log, offset);
      Matcher m = LISTENING.matcher(written);
      if (m.find() && PidFile.running(db).equals(OptionalLong.of(child.pid()))) {
        PrintWriter out = cl.getOut();
        out.println("listening on " + m.group(1));
        out.println("started, pid " + child.pid() + ", log " + log);
        return 0;
      }
      if (!child.isAlive()) {
        printTail(cl.getErr(), readFrom(log, offset));
        throw new CliException("the daemon exited with code " + child.exitValue() + " before it started; log: " + log);
      }
      if (System.nanoTime() > deadline) {
        child.destroy();
        printTail(cl.getErr(), readFrom(log, offset));
        throw new CliException("the daemon did not start within " + START_TIMEOUT_MILLIS / 1000 + " s; it was"
            + " stopped; log: " + log);
      }
      Thread.sleep(50);
    }
  }

  private static List<String> javaCommand() {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (NOT_INHERITED.stream().noneMatch(arg::startsWith)) {
        command.add(arg);
      }
    }
    List<String> classPath = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      classPath.add(Path.of(entry).toAbsolutePath().toString());
    }
    command.add("-cp");
    command.add(String.join(File.pathSeparator, classPath));
    command.add(Main.class.getName());
    return command;
  }

  private static String readFrom(Path log, long offset) throws IOException {
    try (InputStream in = Files.newInputStream(log)) {
      in.skipNBytes(Math.min(offset, Files.size(log)));
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static void printTail(PrintWriter err, String text) {
    List<String> lines = text.lines().toList();
    for (String line : lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size())) {
      err.println(line);
    }
  }

  private static boolean isWindows() {
    return System.getProperty("os.name", "").startsWith("Windows");
  }
}
