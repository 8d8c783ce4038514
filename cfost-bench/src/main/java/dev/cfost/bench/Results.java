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
  long batches;

  void add(String phase, Span span, HeapWatch heap) {
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
