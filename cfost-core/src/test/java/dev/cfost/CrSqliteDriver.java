package dev.cfost;

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

/**
 * A real cr-sqlite (npm {@code @vlcn.io/crsqlite-wasm} 0.16.0) with one in-memory database, run by Node
 * as a child process through the repository's {@code interop/crsqlite-driver.mjs}: one JSON command per
 * line on its stdin, one JSON answer per line on its stdout, changes in {@link ChangeJson}'s format.
 *
 * <p>{@link #prepare()} installs the npm packages under {@code target/} once per JVM (skipped when the
 * right versions are already there); it fails, never skips, when Node 20+ or npm is missing. The
 * repository's interop folder and the install folder come from the system properties
 * {@code cfost.interop.dir} and {@code cfost.interop.work}, which cfost-core's failsafe configuration
 * sets. Every call fails the test with an {@link AssertionError} that quotes the driver's stderr when
 * the driver refuses a command, dies or does not answer in {@link #ANSWER_TIMEOUT}.
 *
 * <p>Not thread-safe: one test thread drives one instance.
 */
final class CrSqliteDriver implements AutoCloseable {
  static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);
  static final Duration NPM_TIMEOUT = Duration.ofMinutes(5);
  private static final int MIN_NODE_MAJOR = 20;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HexFormat HEX = HexFormat.of();
  private static final String EOF = new String("<end of driver output>"); // compared by identity
  private static final AtomicInteger STARTED = new AtomicInteger();
  private static Setup setup; // guarded by CrSqliteDriver.class

  /** Where the driver script is and where its node_modules were installed. */
  record Setup(Path interopDir, Path nodeDir, String nodeVersion) {}

  private final Process process;
  private final Writer stdin;
  private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
  private final Path stderrLog;

  private CrSqliteDriver(Process process, Path stderrLog) {
    this.process = process;
    this.stderrLog = stderrLog;
    this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          answers.add(line);
        }
      } catch (IOException e) {
        // the process is gone; call() reports it with the driver's stderr
      } finally {
        answers.add(EOF);
      }
    }, "crsqlite-driver-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  // ---- setup ----

  /** Checks Node and npm and installs the driver's npm packages, once per JVM. */
  static synchronized Setup prepare() {
    if (setup == null) {
      setup = install();
    }
    return setup;
  }

  private static Setup install() {
    Path interop = interopDir();
    Path nodeDir = Path.of(System.getProperty("cfost.interop.work", "target/crsqlite-node")).toAbsolutePath();
    try {
      Files.createDirectories(nodeDir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + nodeDir, e);
    }
    String version = run(List.of("node", "--version"), nodeDir, Duration.ofSeconds(30), "node-version.log").trim();
    int major = parseMajor(version);
    if (major < MIN_NODE_MAJOR) {
      throw new AssertionError("CrSqliteInteropIT needs Node.js " + MIN_NODE_MAJOR + " or newer on the PATH; found "
          + version + ". Install a current Node.js (it includes npm).");
    }
    Map<String, String> wanted = dependencies(interop.resolve("package.json"));
    String stamp = stamp(interop);
    Path stampFile = nodeDir.resolve(".cfost-npm-install");
    if (!stamp.equals(readOrEmpty(stampFile)) || !installedVersions(nodeDir, wanted).equals(wanted)) {
      try {
        Files.deleteIfExists(stampFile);
        Files.copy(interop.resolve("package.json"), nodeDir.resolve("package.json"), StandardCopyOption.REPLACE_EXISTING);
        Path lock = interop.resolve("package-lock.json");
        if (Files.exists(lock)) {
          Files.copy(lock, nodeDir.resolve("package-lock.json"), StandardCopyOption.REPLACE_EXISTING);
        }
        run(List.of("npm", "install", "--no-audit", "--no-fund"), nodeDir, NPM_TIMEOUT, "npm-install.log");
        Map<String, String> found = installedVersions(nodeDir, wanted);
        if (!found.equals(wanted)) {
          throw new AssertionError("npm install in " + nodeDir + " left versions " + found + ", expected " + wanted
              + "\n" + readOrEmpty(nodeDir.resolve("npm-install.log")));
        }
        Files.writeString(stampFile, stamp);
      } catch (IOException e) {
        throw new UncheckedIOException("preparing " + nodeDir, e);
      }
    }
    return new Setup(interop, nodeDir, version);
  }

  /** The repository's interop/ folder: the system property, else found upwards from the working folder. */
  private static Path interopDir() {
    String property = System.getProperty("cfost.interop.dir");
    List<Path> tried = new ArrayList<>();
    if (property != null) {
      tried.add(Path.of(property).toAbsolutePath().normalize());
    } else {
      for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
        tried.add(p.resolve("interop"));
      }
    }
    for (Path p : tried) {
      if (Files.isRegularFile(p.resolve("crsqlite-driver.mjs")) && Files.isRegularFile(p.resolve("package.json"))) {
        return p;
      }
    }
    throw new AssertionError("cannot find the repository's interop/ folder (crsqlite-driver.mjs and package.json);"
        + " tried " + tried + ". Run through Maven (failsafe sets cfost.interop.dir) or set -Dcfost.interop.dir.");
  }

  private static int parseMajor(String version) {
    try {
      return Integer.parseInt(version.replaceFirst("^v", "").split("\\.")[0]);
    } catch (NumberFormatException e) {
      throw new AssertionError("cannot read the Node.js version from 'node --version': '" + version + "'");
    }
  }

  /** The exact versions package.json asks for (it pins exact versions, so they can be compared). */
  private static Map<String, String> dependencies(Path packageJson) {
    Map<String, String> out = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, JsonNode> e : JSON.readTree(packageJson.toFile()).path("dependencies").properties()) {
        out.put(e.getKey(), e.getValue().asText());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + packageJson, e);
    }
    if (out.isEmpty()) {
      throw new AssertionError(packageJson + " lists no dependencies");
    }
    return out;
  }

  private static Map<String, String> installedVersions(Path nodeDir, Map<String, String> wanted) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : wanted.keySet()) {
      Path pj = nodeDir.resolve("node_modules").resolve(name).resolve("package.json");
      try {
        out.put(name, Files.exists(pj) ? JSON.readTree(pj.toFile()).path("version").asText() : "(missing)");
      } catch (IOException e) {
        out.put(name, "(unreadable: " + e.getMessage() + ")");
      }
    }
    return out;
  }

  /** A digest of the interop folder's package files: a change to them means installing again. */
  private static String stamp(Path interop) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (String name : List.of("package.json", "package-lock.json")) {
        Path p = interop.resolve(name);
        md.update(name.getBytes(StandardCharsets.UTF_8));
        if (Files.exists(p)) {
          md.update(Files.readAllBytes(p));
        }
      }
      return HEX.formatHex(md.digest());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
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
      p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(log.toFile()).start();
    } catch (IOException e) {
      throw new AssertionError("CrSqliteInteropIT needs Node.js " + MIN_NODE_MAJOR + "+ and npm on the PATH to run a"
          + " real cr-sqlite; '" + cmd.get(0) + "' could not be started (" + e.getMessage() + "). Install Node.js"
          + " (https://nodejs.org, or the distribution's nodejs and npm packages).", e);
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

  // ---- process ----

  /** Starts a driver with a fresh in-memory cr-sqlite database. */
  static CrSqliteDriver start() {
    Setup s = prepare();
    Path logs = s.nodeDir().resolve("logs");
    Path stderr = logs.resolve("driver-" + STARTED.incrementAndGet() + ".stderr.log");
    try {
      Files.createDirectories(logs);
      Process p = new ProcessBuilder(executable("node"), s.interopDir().resolve("crsqlite-driver.mjs").toString(),
          s.nodeDir().toString()).redirectError(stderr.toFile()).start();
      return new CrSqliteDriver(p, stderr);
    } catch (IOException e) {
      throw new AssertionError("cannot start node " + s.interopDir().resolve("crsqlite-driver.mjs") + ": " + e, e);
    }
  }

  /** Sends one command line and returns the answer, failing unless it is {@code "ok":true}. */
  JsonNode call(String command) {
    try {
      stdin.write(command);
      stdin.write('\n');
      stdin.flush();
    } catch (IOException e) {
      throw failure("cannot send " + abbreviate(command) + ": " + e.getMessage());
    }
    String line;
    try {
      line = answers.poll(ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failure("interrupted while waiting for the answer to " + abbreviate(command));
    }
    if (line == null) {
      throw failure("no answer within " + ANSWER_TIMEOUT + " to " + abbreviate(command));
    }
    if (line == EOF) {
      answers.add(EOF);
      throw failure("the driver exited while answering " + abbreviate(command));
    }
    JsonNode answer;
    try {
      answer = JSON.readTree(line);
    } catch (IOException e) {
      throw failure("unreadable answer '" + abbreviate(line) + "' to " + abbreviate(command));
    }
    if (!answer.path("ok").asBoolean(false)) {
      throw new AssertionError("cr-sqlite refused " + abbreviate(command) + ": " + answer.path("error").asText(line));
    }
    return answer;
  }

  private AssertionError failure(String what) {
    String exit = process.isAlive() ? "still running" : "exit code " + process.exitValue();
    return new AssertionError("cr-sqlite driver (" + exit + "): " + what + "\nits stderr (" + stderrLog + "):\n"
        + readOrEmpty(stderrLog));
  }

  /** Runs SQL (all statements; {@code params} bind to each statement that has parameters); returns all rows. */
  List<List<Object>> exec(String sql, Object... params) {
    StringBuilder cmd = new StringBuilder("{\"op\":\"exec\",\"sql\":").append(quote(sql)).append(",\"params\":[");
    for (int i = 0; i < params.length; i++) {
      cmd.append(i == 0 ? "" : ",").append(valueJson(params[i]));
    }
    JsonNode answer = call(cmd.append("]}").toString());
    List<List<Object>> rows = new ArrayList<>();
    for (JsonNode r : answer.path("rows")) {
      List<Object> row = new ArrayList<>();
      for (JsonNode v : r) {
        row.add(value(v));
      }
      rows.add(row);
    }
    return rows;
  }

  /** Every site's changes with a db_version above {@code since}, in db_version, seq order. */
  List<Change> changes(long since) {
    JsonNode answer = call("{\"op\":\"changes\",\"since\":" + since + "}");
    List<Change> out = new ArrayList<>();
    int i = 0;
    for (JsonNode c : answer.path("changes")) {
      try {
        out.add(ChangeJson.read(JSON.writeValueAsString(c), i++));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }

  /** Merges changes, written by {@link ChangeJson#write}, in one cr-sqlite transaction. */
  void merge(List<Change> changes) {
    StringBuilder cmd = new StringBuilder("{\"op\":\"merge\",\"changes\":[");
    for (int i = 0; i < changes.size(); i++) {
      cmd.append(i == 0 ? "" : ",").append(ChangeJson.write(changes.get(i)));
    }
    long count = call(cmd.append("]}").toString()).path("count").asLong(-1);
    if (count != changes.size()) {
      throw new AssertionError("cr-sqlite merged " + count + " changes of " + changes.size());
    }
  }

  byte[] siteId() {
    return HEX.parseHex(call("{\"op\":\"siteId\"}").path("siteId").asText());
  }

  long dbVersion() {
    return (Long) exec("SELECT crsql_db_version()").get(0).get(0);
  }

  /** Finalizes and closes the database and waits for the process to exit. */
  @Override
  public void close() {
    try {
      if (process.isAlive()) {
        call("{\"op\":\"close\"}");
      }
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        throw failure("did not exit within 10 s after close");
      }
      if (process.exitValue() != 0) {
        throw failure("exited with code " + process.exitValue());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw failure("interrupted while closing");
    } finally {
      process.destroyForcibly();
    }
  }

  // ---- values: the same JSON form as ChangeJson's val ----

  static String valueJson(Object v) {
    if (v == null || v instanceof Long || v instanceof Integer) {
      return String.valueOf(v);
    } else if (v instanceof Double) {
      double d = (Double) v;
      if (Double.isNaN(d)) {
        throw new IllegalArgumentException("NaN has no SQLite value");
      }
      return Double.isInfinite(d) ? "{\"real\":\"" + (d > 0 ? "Infinity" : "-Infinity") + "\"}" : Double.toString(d);
    } else if (v instanceof String) {
      return quote((String) v);
    } else if (v instanceof byte[]) {
      return "{\"blob\":\"" + HEX.formatHex((byte[]) v) + "\"}";
    }
    throw new IllegalArgumentException("not a SQLite value: " + v.getClass().getName());
  }

  static Object value(JsonNode v) {
    if (v.isNull()) {
      return null;
    } else if (v.isIntegralNumber()) {
      if (!v.canConvertToLong()) {
        throw new AssertionError("integer outside 64 bits from cr-sqlite: " + v);
      }
      return v.longValue();
    } else if (v.isFloatingPointNumber()) {
      return v.doubleValue();
    } else if (v.isTextual()) {
      return v.textValue();
    } else if (v.isObject() && v.size() == 1 && v.path("blob").isTextual()) {
      return HEX.parseHex(v.path("blob").textValue());
    } else if (v.isObject() && v.size() == 1 && v.path("real").isTextual()) {
      String r = v.path("real").textValue();
      if (r.equals("Infinity") || r.equals("-Infinity")) {
        return r.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
      }
    }
    throw new AssertionError("not a value in ChangeJson's form: " + v);
  }

  private static String quote(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 300 ? s : s.substring(0, 297) + "...";
  }
}
