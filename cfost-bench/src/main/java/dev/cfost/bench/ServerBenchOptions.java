package dev.cfost.bench;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/** The command-line options of {@link ServerBench}. */
final class ServerBenchOptions {
  static final String USAGE = String.join("\n",
      "usage: ./bench-server [--quick] [--rows N] [--samples S] [--spacing-ms MS] [--devices D]"
          + " [--fanout-samples F]\n                      [--fanout-warmup W] [--connections C] [--step K]"
          + " [--hold-s H] [--seed S] [--sync-warmup N] [--no-overlap] [--dir DIR]",
      "  --rows N            rows of the initial sync (default 1000000)",
      "  --sync-warmup N     rows synced first through the server by another user's pair, not timed (default"
          + " 50000; 0: none)",
      "  --no-overlap        skip (1b), the initial sync with B online while A pushes (another user's pair)",
      "  --quick             smoke run: 10000 rows, 100 live samples, 100 devices, 1000 connections held 11 s",
      "  --samples S         live changes measured (default 500), after 20 not counted",
      "  --spacing-ms MS     time from one live write to the next (default 50)",
      "  --devices D         lightweight devices of the fan-out (default 1000)",
      "  --fanout-samples F  changes fanned out and measured (default 60), after the warm-up",
      "  --fanout-warmup W   changes fanned out first and not counted (default 20)",
      "  --connections C     idle connections to open at most (default 10000)",
      "  --step K            idle connections opened between two measurements (default 1000)",
      "  --hold-s H          how long all of them are then held idle before the last measurement (default 21)",
      "  --seed S            seed of the generated rows (default 42)",
      "  --dir DIR           where the files go, in a new directory deleted afterwards");

  long rows = 1_000_000;
  long syncWarmup = 50_000;
  boolean overlap = true;
  int samples = 500;
  int warmup = 20;
  long spacingMillis = 50;
  int devices = 1000;
  // Like the live phase's 20: a server that runs for days has compiled its hot paths; 60 changes so that the
  // p99 of the arrivals is not the tail of one or two changes.
  int fanoutSamples = 60;
  int fanoutWarmup = 20;
  int connections = 10_000;
  int step = 1000;
  int holdSeconds = 21;
  long seed = 42;
  Path dir;

  static ServerBenchOptions parse(String[] args) {
    ServerBenchOptions o = new ServerBenchOptions();
    List<String> a = new ArrayList<>(List.of(args));
    while (!a.isEmpty()) {
      String arg = a.remove(0);
      switch (arg) {
        case "--rows" -> o.rows = Long.parseLong(a.remove(0).replace("_", ""));
        case "--quick" -> {
          o.rows = 10_000;
          o.samples = 100;
          o.devices = 100;
          o.fanoutSamples = 10;
          o.connections = 1000;
          o.step = 250;
          o.holdSeconds = 11;
        }
        case "--no-overlap" -> o.overlap = false;
        case "--sync-warmup" -> o.syncWarmup = Long.parseLong(a.remove(0).replace("_", ""));
        case "--samples" -> o.samples = Integer.parseInt(a.remove(0));
        case "--spacing-ms" -> o.spacingMillis = Long.parseLong(a.remove(0));
        case "--devices" -> o.devices = Integer.parseInt(a.remove(0));
        case "--fanout-samples" -> o.fanoutSamples = Integer.parseInt(a.remove(0));
        case "--fanout-warmup" -> o.fanoutWarmup = Integer.parseInt(a.remove(0));
        case "--connections" -> o.connections = Integer.parseInt(a.remove(0).replace("_", ""));
        case "--step" -> o.step = Integer.parseInt(a.remove(0));
        case "--hold-s" -> o.holdSeconds = Integer.parseInt(a.remove(0));
        case "--seed" -> o.seed = Long.parseLong(a.remove(0));
        case "--dir" -> o.dir = Paths.get(a.remove(0));
        case "-h", "--help" -> {
          return null;
        }
        default -> throw new IllegalArgumentException("unknown option '" + arg + "'\n" + USAGE);
      }
    }
    if (o.rows < 1 || o.samples < 1 || o.devices < 1 || o.fanoutSamples < 1 || o.connections < 1 || o.step < 1
        || o.holdSeconds < 0 || o.fanoutWarmup < 0 || o.syncWarmup < 0) {
      throw new IllegalArgumentException("--rows, --samples, --devices, --fanout-samples, --connections and --step"
          + " must be at least 1, --hold-s, --fanout-warmup and --sync-warmup at least 0");
    }
    return o;
  }
}
