package dev.cfost.bench;

import com.sun.management.HotSpotDiagnosticMXBean;
import dev.cfost.server.CfostServer;
import dev.cfost.server.ServerConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;

/**
 * The sync server process of {@link ServerBench}: a {@link CfostServer} on 127.0.0.1 with its data in
 * {@code args[0]}, or in the PostgreSQL database of the JDBC URL {@code args[1]} if given (several such
 * processes share it), with the default configuration (the server's own thread pools, Argon2 parameters and
 * limits). Prints {@code port P} once it listens, then answers commands on stdin, one per line:
 * {@code heap} runs two full collections, which leave the committed heap as it was (below), and prints
 * {@code heap USED COMMITTED MAX THREADS RSS} (bytes, then the live thread count and the resident set size
 * in KiB from /proc, -1 if unknown); {@code cpu}
 * prints its CPU time by thread ({@link ThreadCpu}); {@code quit} (or end of input) stops the server
 * and exits.
 */
public final class ServerChild {
  private ServerChild() {}

  public static void main(String[] args) throws Exception {
    // The heap probes' full collections must not change what they measure between: G1 shrinks the heap to
    // 70% free after one (MaxHeapFreeRatio), and a server left at 50 MiB committed started a concurrent cycle
    // every few 600 KB batches of the next sync (humongous in 1 MiB regions; 822 cycles in one run), up to 3 s
    // of GC CPU a hop. So this one never shrinks its heap (G1 would also shrink after a concurrent cycle, by the
    // same ratio; a server that nobody probes has none of those full collections).
    ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).setVMOption("MaxHeapFreeRatio", "100");
    Path data = Paths.get(args[0]);
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    // The benchmarks' sessions are all one user's: the per-user bound (2,000 by default) would stop the idle
    // sessions long before the process's own, which is what they measure.
    ServerConfig.Builder config = ServerConfig.builder().listen("127.0.0.1:0").dataDir(data)
        .sessionsPerUser(ServerConfig.MAX_SESSIONS);
    if (args.length > 1) {
      config.postgres(args[1], null);
    }
    try (CfostServer server = CfostServer.start(config.build())) {
      out.println("port " + server.port());
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line = in.readLine(); line != null && !line.equals("quit"); line = in.readLine()) {
        if (line.equals("heap")) {
          System.gc();
          System.gc();
          var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
          out.println(String.format(Locale.ROOT, "heap %d %d %d %d %d", heap.getUsed(), heap.getCommitted(),
              heap.getMax(), ManagementFactory.getThreadMXBean().getThreadCount(), rssKib()));
        } else if (line.equals("cpu")) {
          out.println("cpu " + ThreadCpu.Usage.now().encode());
        } else {
          System.err.println("server child: unknown command '" + line + "'");
        }
      }
    }
  }

  /** VmRSS of this process in KiB, -1 where /proc is not there. */
  private static long rssKib() {
    try {
      for (String l : Files.readAllLines(Paths.get("/proc/self/status"))) {
        if (l.startsWith("VmRSS:")) {
          return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
      }
    } catch (Exception e) {
      // not Linux
    }
    return -1;
  }
}
