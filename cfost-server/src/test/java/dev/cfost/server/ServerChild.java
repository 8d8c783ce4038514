package dev.cfost.server;

import dev.cfost.identity.Argon2Params;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A sync server in a JVM of its own, for tests that kill it: {@link #main} starts {@link CfostServer} on a
 * data directory (or on PostgreSQL, its password from {@code CFOST_SERVER_POSTGRES_PASSWORD} as
 * {@code cfost server} takes it), says {@code listening PORT} on stdout and runs until a signal, stopping
 * gracefully on SIGTERM as {@code cfost server} does (a shutdown hook closes the server). {@link #start}
 * runs it with this JVM's java and class path; its stderr goes to a file that failures quote.
 */
final class ServerChild implements AutoCloseable {
  static final String PREFIX = "server-child: ";
  /** A system property of the child: its SSE keep-alive interval in ms, when not the server's default. */
  private static final String SSE_KEEP_ALIVE = "server-child.sseKeepAliveMillis";
  private static final Object EOF = new Object();

  /** {@code ServerChild DATA_DIR [POSTGRES_JDBC_URL]}. */
  public static void main(String[] args) throws Exception {
    ServerConfig.Builder config = ServerConfig.builder().listen("127.0.0.1:0").dataDir(Path.of(args[0]))
        .argon2(new Argon2Params(256, 1, 1));
    Long keepAlive = Long.getLong(SSE_KEEP_ALIVE);
    if (keepAlive != null) {
      config.sseKeepAlive(java.time.Duration.ofMillis(keepAlive));
    }
    if (args.length > 1) {
      config.postgres(args[1], System.getenv(ServerConfig.ENV_PREFIX + "POSTGRES_PASSWORD"));
    }
    CfostServer server = CfostServer.start(config.build());
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println(PREFIX + "stopping");
      System.out.flush();
      try {
        server.close();
        System.out.println(PREFIX + "stopped");
      } catch (Throwable e) {
        System.out.println(PREFIX + "failed to stop: " + e);
      }
      System.out.flush();
    }, "server-child-stop"));
    System.out.println(PREFIX + "listening " + server.port());
    System.out.flush();
    new CountDownLatch(1).await(); // until a signal
  }

  private final Process process;
  private final Path stderr;
  private final BlockingQueue<Object> lines = new LinkedBlockingQueue<>();
  /** The child's other stdout lines (its log, if it logs there), for diagnostics. */
  private final List<String> other = java.util.Collections.synchronizedList(new ArrayList<>());
  final int port;

  private ServerChild(Process process, Path stderr) throws Exception {
    this.process = process;
    this.stderr = stderr;
    Thread reader = new Thread(this::read, "server-child-stdout");
    reader.setDaemon(true);
    reader.start();
    String listening = next(30);
    if (!listening.startsWith("listening ")) {
      throw new AssertionError("the server child said '" + listening + "'; " + diagnostics());
    }
    this.port = Integer.parseInt(listening.substring("listening ".length()));
  }

  /** Starts a server child on {@code dataDir} and waits (at most 30 s) until it listens. */
  static ServerChild start(Path dataDir, Path logDir) throws Exception {
    return start(dataDir, logDir, null, null, null);
  }

  /**
   * Like {@link #start(Path, Path)}, with the SSE keep-alive at {@code sseKeepAlive}: a stream whose client
   * vanished is only seen (and its connection gauge lowered) at its next write, the keep-alive when idle.
   */
  static ServerChild start(Path dataDir, Path logDir, java.time.Duration sseKeepAlive) throws Exception {
    return start(dataDir, logDir, null, null, sseKeepAlive);
  }

  static ServerChild start(Path dataDir, Path logDir, String postgresUrl, String password) throws Exception {
    return start(dataDir, logDir, postgresUrl, password, null);
  }

  /**
   * Starts a server child on PostgreSQL at {@code postgresUrl} (if not null), with {@code password} in its
   * environment (if not null), and waits (at most 30 s) until it listens.
   */
  private static ServerChild start(Path dataDir, Path logDir, String postgresUrl, String password,
      java.time.Duration sseKeepAlive) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // C1 only and the serial collector: the child lives seconds on the build's few cores.
    List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
    if (sseKeepAlive != null) {
      command.add("-D" + SSE_KEEP_ALIVE + "=" + sseKeepAlive.toMillis());
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), ServerChild.class.getName(),
        dataDir.toString()));
    if (postgresUrl != null) {
      command.add(postgresUrl);
    }
    Path stderr = Files.createTempFile(logDir, "server-child-", ".stderr");
    ProcessBuilder builder = new ProcessBuilder(command).redirectError(stderr.toFile());
    if (password != null) {
      builder.environment().put(ServerConfig.ENV_PREFIX + "POSTGRES_PASSWORD", password);
    }
    Process p = builder.start();
    try {
      return new ServerChild(p, stderr);
    } catch (Exception | AssertionError e) {
      p.destroyForcibly();
      throw e;
    }
  }

  private void read() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.startsWith(PREFIX)) {
          lines.add(line.substring(PREFIX.length()));
        } else if (other.size() < 200) {
          other.add(line);
        }
      }
    } catch (IOException e) {
      // the child is gone
    } finally {
      lines.add(EOF);
    }
  }

  /** The child's next line, waiting at most {@code seconds}. */
  String next(long seconds) throws InterruptedException {
    Object line = lines.poll(seconds, TimeUnit.SECONDS);
    if (line == null || line == EOF) {
      throw new AssertionError((line == null ? "the server child said nothing for " + seconds + " s"
          : "the server child ended") + "; " + diagnostics());
    }
    return (String) line;
  }

  /** SIGKILL: the process dies at once, in the middle of whatever it does. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError("the server child outlived SIGKILL by 30 s");
    }
    if (process.exitValue() != 128 + 9) {
      throw new AssertionError("the server child was not killed by SIGKILL: exit " + process.exitValue());
    }
  }

  /** SIGTERM: the server stops gracefully; returns once the process ended (at most 30 s). */
  void terminate() throws InterruptedException {
    // The handle's destroy only signals; Process.destroy would also close our end of its stdout, whose last
    // lines (the shutdown hook's) the test reads.
    process.toHandle().destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the server child did not stop within 30 s of SIGTERM; " + diagnostics());
    }
  }

  long pid() {
    return process.pid();
  }

  /** What the child wrote to stderr so far: its log (WARN and above, logback-test.xml). */
  String stderrText() throws IOException {
    return Files.readString(stderr);
  }

  int exitValue() {
    return process.exitValue();
  }

  String diagnostics() {
    try {
      String err = Files.readString(stderr);
      return "its stderr: " + (err.length() > 4000 ? err.substring(err.length() - 4000) : err)
          + (other.isEmpty() ? "" : "; its stdout: " + String.join("\n", other));
    } catch (IOException e) {
      return "its stderr is unreadable: " + e;
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
