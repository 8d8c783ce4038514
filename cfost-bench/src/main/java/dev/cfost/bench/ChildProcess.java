package dev.cfost.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM ({@link SyncChild}, {@link ServerChild}) started with this JVM's {@code java} and class
 * path, a maximum heap and the flags in the environment variable {@code BENCH_CHILD_JVM_OPTS}; its stderr
 * goes to ours. Lines it prints are queued by a reader thread and taken with {@link #await}. Used by one
 * thread.
 */
final class ChildProcess implements AutoCloseable {
  private final Process process;
  private final Writer in;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

  private ChildProcess(Process process) {
    this.process = process;
    this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(this::readLines, "sync-bench-child-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  static ChildProcess start(Path database) throws IOException {
    return start(SyncChild.class, "-Xmx128m", database.toString());
  }

  /** Starts {@code main} with the heap flag {@code xmx} (e.g. {@code -Xmx512m}) and {@code args}. */
  static ChildProcess start(Class<?> main, String xmx, String... args) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(java, xmx));
    String extra = System.getenv("BENCH_CHILD_JVM_OPTS");
    if (extra != null && !extra.isBlank()) {
      cmd.addAll(List.of(extra.trim().split("\\s+")));
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
    cmd.addAll(List.of(args));
    return new ChildProcess(new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start());
  }

  /** The child's process id. */
  long pid() {
    return process.pid();
  }

  private void readLines() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        lines.add(line);
      }
    } catch (IOException e) {
      // the child ended; await() reports it
    }
  }

  void send(String command) throws IOException {
    in.write(command + "\n");
    in.flush();
  }

  /**
   * The next line starting with {@code prefix}, without the prefix; lines before it are dropped (late
   * notices of earlier rows). Null if none came within {@code timeoutMillis}.
   *
   * @throws IOException if the child exited
   */
  String await(String prefix, long timeoutMillis) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    while (true) {
      long left = deadline - System.nanoTime();
      String line = lines.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
      if (line == null) {
        if (!process.isAlive()) {
          throw new IOException("the child process exited with status " + process.exitValue());
        }
        return null;
      }
      if (line.startsWith(prefix)) {
        return line.substring(prefix.length());
      }
    }
  }

  /** The child's CPU time so far, by thread. */
  ThreadCpu.Usage cpu() throws IOException, InterruptedException {
    send("cpu");
    String cpu = await("cpu ", 10_000);
    if (cpu == null) {
      throw new IOException("the child did not report its CPU time");
    }
    return ThreadCpu.Usage.decode(cpu);
  }

  @Override
  public void close() throws InterruptedException {
    try {
      send("quit");
    } catch (IOException e) {
      // already gone
    }
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroy();
      process.waitFor(5, TimeUnit.SECONDS);
    }
  }
}
