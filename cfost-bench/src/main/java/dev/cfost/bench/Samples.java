package dev.cfost.bench;

import java.util.Arrays;
import java.util.Locale;

/** Durations in nanoseconds, summarized by nearest-rank percentiles in milliseconds. */
final class Samples {
  private long[] values = new long[16];
  private int size;

  void add(long nanos) {
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
    }
    values[size++] = nanos;
  }

  int size() {
    return size;
  }

  /** The nearest-rank percentile {@code p} (0 to 100) in ms, NaN if empty. */
  double percentileMillis(double p) {
    if (size == 0) {
      return Double.NaN;
    }
    long[] sorted = Arrays.copyOf(values, size);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100 * size);
    return sorted[Math.max(0, Math.min(size - 1, rank - 1))] / 1e6;
  }

  double medianMillis() {
    return percentileMillis(50);
  }

  double maxMillis() {
    return percentileMillis(100);
  }

  double minMillis() {
    return percentileMillis(0);
  }

  /** "p50 a, p90 b, p99 c, max d ms (n samples)". */
  String summary() {
    return String.format(Locale.ROOT, "p50 %.2f, p90 %.2f, p99 %.2f, max %.2f ms (%d samples)",
        percentileMillis(50), percentileMillis(90), percentileMillis(99), maxMillis(), size);
  }

  /** Every value in ms, in the order added. */
  String list() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < size; i++) {
      b.append(i == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.1f", values[i] / 1e6));
    }
    return b.toString();
  }
}
