package dev.cfost.server;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Measures a server child process from outside, for soak tests: heap after a full GC (forced with
 * {@code jcmd PID GC.run}, then read from its {@code /metrics}), its live Java threads and open sync
 * connections (from {@code /metrics}), its open file descriptors ({@code /proc/PID/fd}) and its error
 * counters ({@code cfost_errors_total}).
 */
final class ServerFigures {
  private static final Pattern LINE = Pattern.compile("^([a-z_]+)(\\{[^}]*\\})?\\s+([-+0-9.eE]+|NaN)$",
      Pattern.MULTILINE);
  private static final Pattern CODE = Pattern.compile("code=\"([^\"]*)\"");

  /** One measurement, {@code atMillis} after the soak began. */
  record Sample(long atMillis, long heapAfterGcBytes, int threads, long fds, int websocketOpen, int sseOpen) {
    @Override
    public String toString() {
      return String.format("t=%ds heap=%.1fMiB threads=%d fds=%d ws=%d sse=%d", atMillis / 1000,
          heapAfterGcBytes / 1048576.0, threads, fds, websocketOpen, sseOpen);
    }
  }

  private final ServerChild child;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  ServerFigures(ServerChild child) {
    this.child = child;
  }

  Sample sample(long startNanos) throws Exception {
    fullGc();
    String text = metrics();
    return new Sample(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos),
        (long) sum(text, "jvm_memory_used_bytes", "area=\"heap\""), (int) sum(text, "jvm_threads_live_threads", ""),
        fds(), openConnections(text, "websocket"), openConnections(text, "sse"));
  }

  /** The sync connections the server counts as open on {@code transport}, now. */
  int openConnections(String transport) throws Exception {
    return openConnections(metrics(), transport);
  }

  private static int openConnections(String metrics, String transport) {
    return (int) sum(metrics, "cfost_sync_connections_open", "transport=\"" + transport + "\"");
  }

  /** Every error code the server counted, with its count (codes at 0 left out). */
  Map<String, Double> errors() throws Exception {
    Map<String, Double> out = new TreeMap<>();
    Matcher m = LINE.matcher(metrics());
    while (m.find()) {
      if (m.group(1).equals("cfost_errors_total") && m.group(2) != null && Double.parseDouble(m.group(3)) > 0) {
        Matcher code = CODE.matcher(m.group(2));
        out.merge(code.find() ? code.group(1) : m.group(2), Double.parseDouble(m.group(3)), Double::sum);
      }
    }
    return out;
  }

  /** The server's log lines at ERROR (its stderr). */
  long errorLogLines() throws IOException {
    return child.stderrText().lines().filter(l -> l.contains(" ERROR ")).count();
  }

  String errorLog() throws IOException {
    return String.join("\n", child.stderrText().lines().filter(l -> l.contains(" ERROR ")).limit(20).toList());
  }

  private String metrics() throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + child.port + "/metrics"))
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new AssertionError("GET /metrics answered " + r.statusCode() + ": " + r.body());
    }
    return r.body();
  }

  /** The sum of the series {@code name} whose labels contain {@code labels}. */
  private static double sum(String metrics, String name, String labels) {
    double total = 0;
    boolean found = false;
    Matcher m = LINE.matcher(metrics);
    while (m.find()) {
      if (m.group(1).equals(name) && (labels.isEmpty() || (m.group(2) != null && m.group(2).contains(labels)))) {
        total += Double.parseDouble(m.group(3));
        found = true;
      }
    }
    if (!found) {
      throw new AssertionError("no series " + name + " " + labels + " in /metrics");
    }
    return total;
  }

  private void fullGc() throws Exception {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process p = new ProcessBuilder(Files.exists(jcmd) ? jcmd.toString() : "jcmd", Long.toString(child.pid()), "GC.run")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("jcmd GC.run did not finish within 60 s");
    }
    if (p.exitValue() != 0) {
      throw new AssertionError("jcmd " + child.pid() + " GC.run exited with " + p.exitValue());
    }
  }

  private long fds() throws IOException {
    try (Stream<Path> open = Files.list(Path.of("/proc", Long.toString(child.pid()), "fd"))) {
      return open.count();
    }
  }
}
