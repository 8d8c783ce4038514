package dev.cfost.bench;

import dev.cfost.bench.Stopwatch.Span;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The measurements of all repetitions: per phase, its time and heap use in each repetition. */
final class Results {
  /** One phase of one repetition. */
  record Sample(Span span, long peakHeap, long liveAfterGc, long collections) {}

  final Map<String, List<Sample>> phases = new LinkedHashMap<>();
  final List<Span> spill = new ArrayList<>();
  long changes;
  private final boolean verbose;

  /** With {@code verbose}, each phase is printed as it ends. */
  Results(boolean verbose) {
    this.verbose = verbose;
  }
  long batches;

  void add(String phase, Span span, HeapWatch heap) {
    if (verbose) {
      System.out.printf(java.util.Locale.ROOT, "  %-26s %8.2f s wall %8.2f s CPU%n", phase, span.wall() / 1e9,
          span.cpu() / 1e9);
    }
    phases.computeIfAbsent(phase, k -> new ArrayList<>())
        .add(new Sample(span, heap.peakUsed(), heap.maxLiveAfterGc(), heap.collections()));
  }

  /** The phase's wall times in seconds, by repetition. */
  double[] seconds(String phase) {
    return seconds(phase, false);
  }

  /** The phase's wall or CPU times in seconds, by repetition. */
  double[] seconds(String phase, boolean cpu) {
    List<Sample> s = phases.getOrDefault(phase, List.of());
    double[] out = new double[s.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (cpu ? s.get(i).span().cpu() : s.get(i).span().wall()) / 1e9;
    }
    return out;
  }

  static double median(double[] xs) {
    if (xs.length == 0) {
      return Double.NaN;
    }
    double[] sorted = xs.clone();
    java.util.Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
