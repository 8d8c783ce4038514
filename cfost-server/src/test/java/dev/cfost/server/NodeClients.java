package dev.cfost.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Third-party clients of the server in Node: the repository's {@code interop/server-clients/server-clients.mjs}
 * with npm {@code ws} and {@code eventsource}, run as child processes that print JSON lines.
 *
 * <p>{@link #prepare()} installs the npm packages of {@code interop/server-clients/package-lock.json}
 * under {@code target/} once per JVM ({@code npm ci}; skipped when a stamp shows the same package files
 * already installed) and copies the script beside them, so that its imports resolve there. It fails,
 * never skips, when Node 20+ or npm is missing. The folders come from the system properties
 * {@code cfost.interop.dir} and {@code cfost.interop.work}, which cfost-server's failsafe configuration sets.
 */
final class NodeClients {
  static final Duration RUN_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration NPM_TIMEOUT = Duration.ofMinutes(5);
  private static final int MIN_NODE_MAJOR = 20;
  private static final String SCRIPT = "server-clients.mjs";
  /** The document API client of {@code /ws}, run by {@link #startScript}. */
  static final String DOCUMENTS_SCRIPT = "ws-documents.mjs";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNode EOF = JSON.createObjectNode().put("eof", true);
  private static final AtomicInteger STARTED = new AtomicInteger();
  private static Path nodeDir; // guarded by NodeClients.class

  private NodeClients() {}

  /** Checks Node and npm and installs the clients' packages, once per JVM; returns the install folder. */
  static synchronized Path prepare() {
    if (nodeDir == null) {
      nodeDir = install();
    }
    return nodeDir;
  }

  private static Path install() {
    Path source = sourceDir();
    Path dir = Path.of(System.getProperty("cfost.interop.work", "target/server-clients-node")).toAbsolutePath();
    try {
      Files.createDirectories(dir);
      String version = run(List.of("node", "--version"), dir, Duration.ofSeconds(30), "node-version.log").trim();
      if (major(version) < MIN_NODE_MAJOR) {
        throw new AssertionError("ThirdPartyClientsIT needs Node.js " + MIN_NODE_MAJOR + " or newer on the PATH;"
            + " found " + version + ". Install a current Node.js (it includes npm).");
      }
      Map<String, String> wanted = dependencies(source.resolve("package.json"));
      String stamp = stamp(source);
      Path stampFile = dir.resolve(".cfost-npm-install");
      if (!stamp.equals(readOrEmpty(stampFile)) || !installed(dir, wanted).equals(wanted)) {
        Files.deleteIfExists(stampFile);
        for (String name : List.of("package.json", "package-lock.json")) {
          Files.copy(source.resolve(name), dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
        run(List.of("npm", "ci", "--no-audit", "--no-fund"), dir, NPM_TIMEOUT, "npm-install.log");
        Map<String, String> found = installed(dir, wanted);
        if (!found.equals(wanted)) {
          throw new AssertionError("npm ci in " + dir + " left versions " + found + ", expected " + wanted + "\n"
              + readOrEmpty(dir.resolve("npm-install.log")));
        }
        Files.writeString(stampFile, stamp);
      }
      for (String script : List.of(SCRIPT, DOCUMENTS_SCRIPT)) {
        Files.copy(source.resolve(script), dir.resolve(script), StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("preparing " + dir, e);
    }
    return dir;
  }

  /** The repository's interop/server-clients folder: from the system property, else found upwards. */
  private static Path sourceDir() {
    String property = System.getProperty("cfost.interop.dir");
    List<Path> tried = new ArrayList<>();
    if (property != null) {
      tried.add(Path.of(property, "server-clients").toAbsolutePath().normalize());
    } else {
      for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
        tried.add(p.resolve("interop").resolve("server-clients"));
      }
    }
    for (Path p : tried) {
      if (Files.isRegularFile(p.resolve(SCRIPT)) && Files.isRegularFile(p.resolve("package-lock.json"))) {
        return p;
      }
    }
    throw new AssertionError("cannot find interop/server-clients (" + SCRIPT + " and package-lock.json); tried "
        + tried + ". Run through Maven (failsafe sets cfost.interop.dir) or set -Dcfost.interop.dir.");
  }

  private static int major(String version) {
    try {
      return Integer.parseInt(version.replaceFirst("^v", "").split("\\.")[0]);
    } catch (NumberFormatException e) {
      throw new AssertionError("cannot read the Node.js version from 'node --version': '" + version + "'");
    }
  }

  /** The exact versions package.json pins. */
  private static Map<String, String> dependencies(Path packageJson) throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : JSON.readTree(packageJson.toFile()).path("dependencies").properties()) {
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  private static Map<String, String> installed(Path dir, Map<String, String> wanted) throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : wanted.keySet()) {
      Path pj = dir.resolve("node_modules").resolve(name).resolve("package.json");
      out.put(name, Files.exists(pj) ? JSON.readTree(pj.toFile()).path("version").asText() : "(missing)");
    }
    return out;
  }

  private static String stamp(Path source) throws IOException {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (String name : List.of("package.json", "package-lock.json")) {
        md.update(name.getBytes(StandardCharsets.UTF_8));
        md.update(Files.readAllBytes(source.resolve(name)));
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String readOrEmpty(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (IOException e) {
      return "";
    }
  }

  /** Runs a command to completion; returns its output, or fails with it. */
  private static String run(List<String> command, Path dir, Duration timeout, String logName) {
    Path log = dir.resolve(logName);
    List<String> cmd = new ArrayList<>(command);
    cmd.set(0, executable(cmd.get(0)));
    Process p;
    try {
      p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile())
          .start();
    } catch (IOException e) {
      throw new AssertionError("ThirdPartyClientsIT needs Node.js " + MIN_NODE_MAJOR + "+ and npm on the PATH; '"
          + cmd.get(0) + "' could not be started (" + e.getMessage() + "). Install Node.js (https://nodejs.org,"
          + " or the distribution's nodejs and npm packages).", e);
    }
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(String.join(" ", cmd) + " in " + dir + " did not finish within " + timeout
            + "; its output:\n" + readOrEmpty(log));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new AssertionError("interrupted while running " + cmd, e);
    }
    String out = readOrEmpty(log);
    if (p.exitValue() != 0) {
      throw new AssertionError(String.join(" ", cmd) + " in " + dir + " failed with exit code " + p.exitValue()
          + "; its output:\n" + out);
    }
    return out;
  }

  private static String executable(String name) {
    boolean windows = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
    return windows && name.equals("npm") ? "npm.cmd" : name;
  }

  /** Starts {@code node server-clients.mjs ARGS...}. */
  static Run start(String... args) {
    return startScript(SCRIPT, args);
  }

  /** Starts {@code node SCRIPT ARGS...}, a script of interop/server-clients. */
  static Run startScript(String script, String... args) {
    Path dir = prepare();
    Path stderr = dir.resolve("logs").resolve("client-" + STARTED.incrementAndGet() + ".stderr.log");
    List<String> cmd = new ArrayList<>(List.of(executable("node"), dir.resolve(script).toString()));
    cmd.addAll(List.of(args));
    try {
      Files.createDirectories(stderr.getParent());
      return new Run(new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(stderr.toFile()).start(), stderr,
          script.equals(SCRIPT) ? args[0] : script);
    } catch (IOException e) {
      throw new AssertionError("cannot start " + cmd + ": " + e, e);
    }
  }

  /** One running client: its JSON lines as they come, and a line to its stdin. */
  static final class Run implements AutoCloseable {
    private final Process process;
    private final Path stderr;
    private final String name;
    private final BlockingQueue<JsonNode> queue = new LinkedBlockingQueue<>();
    /** Every line read so far, in order; only the test thread reads it. */
    final List<JsonNode> lines = new ArrayList<>();

    private Run(Process process, Path stderr, String name) {
      this.process = process;
      this.stderr = stderr;
      this.name = name;
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8))) {
          for (String line = r.readLine(); line != null; line = r.readLine()) {
            try {
              queue.add(JSON.readTree(line));
            } catch (IOException e) {
              queue.add(JSON.createObjectNode().put("error", "not a JSON line: " + line));
            }
          }
        } catch (IOException e) {
          // the process is gone: EOF below
        } finally {
          queue.add(EOF);
        }
      }, "node-client-stdout");
      reader.setDaemon(true);
      reader.start();
    }

    /** The next line that matches, keeping every line read in {@link #lines}; fails on error or exit. */
    JsonNode await(String what, Predicate<JsonNode> wanted) {
      return await(what, wanted, RUN_TIMEOUT);
    }

    /** The next line that matches within {@code timeout}. */
    JsonNode await(String what, Predicate<JsonNode> wanted, Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        JsonNode line;
        try {
          line = queue.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw failure("interrupted while waiting for " + what);
        }
        if (line == null) {
          throw failure("no " + what + " within " + timeout);
        }
        if (line == EOF) {
          queue.add(EOF);
          throw failure("exited before " + what);
        }
        lines.add(line);
        if (line.has("error")) {
          throw failure("failed before " + what + ": " + line.get("error").asText());
        }
        if (wanted.test(line)) {
          return line;
        }
      }
    }

    /** Writes one line to the client's stdin. */
    void say(String line) {
      try {
        Writer w = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        w.write(line + "\n");
        w.flush();
      } catch (IOException e) {
        throw failure("cannot write to its stdin: " + e.getMessage());
      }
    }

    /** Waits for {@code {"done":true}} and a clean exit; returns every line it printed. */
    List<JsonNode> finish() {
      await("{\"done\":true}", l -> l.path("done").asBoolean());
      try {
        if (!process.waitFor(RUN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          throw failure("did not exit after done");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw failure("interrupted while waiting for its exit");
      }
      if (process.exitValue() != 0) {
        throw failure("exited with code " + process.exitValue());
      }
      return lines;
    }

    private AssertionError failure(String what) {
      String state = process.isAlive() ? "running" : "exit code " + process.exitValue();
      return new AssertionError("node client '" + name + "' (" + state + "): " + what + "\nits lines: " + lines
          + "\nits stderr:\n" + readOrEmpty(stderr));
    }

    @Override
    public void close() {
      process.destroyForcibly();
    }
  }
}
