package dev.cfost.bench;

import java.util.Locale;
import java.util.function.IntToDoubleFunction;

/** Prints the medians, the paired ratios against the targets, and the heap use. */
final class Report {
  private static final String[][] PHASES = {
      {"insert.plain", "(a) INSERT tx, plain table"},
      {"insert.replicated", "(a) INSERT tx, replicated table"},
      {"capture", "(a) deferred capture, db.capture()"},
      {"extract", "(c) changes(cursor, 2000) to caughtUp"},
      {"decode", "    decode the binary spill only"},
      {"merge.spill", "(b) mergeAll from the spill"},
      {"merge.streamed", "(b) mergeAll pulling changes() batches"},
  };

  private final Bench.Options options;
  private final Results r;

  Report(Bench.Options options, Results results) {
    this.options = options;
    this.r = results;
  }

  void print(double loadBefore, double loadAfter) {
    long rows = options.rows;
    long changes = r.changes;
    out("%nMedians of %d repetitions, %,d rows, %,d changes in %,d batches; load average %.2f before, %.2f after%n",
        options.reps, rows, changes, r.batches, loadBefore, loadAfter);
    out("%-41s %8s %20s %11s %11s %9s %9s%n", "phase", "median s", "each repetition, s", "rows/s", "changes/s",
        "peak MiB", "live MiB");
    for (String[] p : PHASES) {
      double[] s = r.seconds(p[0]);
      if (s.length == 0) {
        continue;
      }
      double m = Results.median(s);
      boolean perChange = !p[0].startsWith("insert");
      long peak = 0;
      long live = 0;
      for (Results.Sample x : r.phases.get(p[0])) {
        peak = Math.max(peak, x.peakHeap());
        live = Math.max(live, x.liveAfterGc());
      }
      out("%-41s %8.2f %20s %11s %11s %9.1f %9.1f%n", p[1], m, each(s), rate(rows / m),
          perChange ? rate(changes / m) : "", peak / 1048576.0, live / 1048576.0);
    }
    double[] spill = r.spillNanos.stream().mapToDouble(n -> n / 1e9).toArray();
    out("(writing the spill during the extraction took a median %.2f s, not counted in (c))%n%n",
        Results.median(spill));

    out("Ratios, taken per repetition (side by side) and then the median:%n");
    double[] plain = r.seconds("insert.plain");
    double[] repl = r.seconds("insert.replicated");
    double[] cap = r.seconds("capture");
    ratio("(a) replicated INSERT tx / plain INSERT tx", i -> repl[i] / plain[i], "<= 1.5", true);
    ratio("(a) (INSERT tx + capture) / plain INSERT tx", i -> (repl[i] + cap[i]) / plain[i], "none", true);
    double[] ms = r.seconds("merge.spill");
    ratio("(b) merge rate / raw insert rate, spill", i -> plain[i] / ms[i], ">= 0.5", false);
    double[] st = r.seconds("merge.streamed");
    if (st.length > 0) {
      ratio("(b) merge rate / raw insert rate, streamed", i -> plain[i] / st[i], ">= 0.5", false);
    }
    double[] ex = r.seconds("extract");
    double[] exRate = new double[ex.length];
    for (int i = 0; i < ex.length; i++) {
      exRate[i] = changes / ex[i];
    }
    out("%-46s %s changes/s (each: %s)%n", "(c) extraction rate", rate(Results.median(exRate)), eachRate(exRate));
    out("%nPeak MiB: the most heap the JVM held in the phase, garbage included (sum of the heap pools' peaks).%n");
    out("Live MiB: the most heap still in use right after a collection in the phase (0: no collection ran).%n");
    out("Max heap %d MiB.%n", Runtime.getRuntime().maxMemory() >> 20);
  }

  private void ratio(String name, IntToDoubleFunction f, String target, boolean atMost) {
    int n = Math.min(r.seconds("insert.plain").length, r.seconds(name.contains("spill") ? "merge.spill"
        : name.contains("streamed") ? "merge.streamed" : "insert.replicated").length);
    double[] xs = new double[n];
    for (int i = 0; i < n; i++) {
      xs[i] = f.applyAsDouble(i);
    }
    double m = Results.median(xs);
    StringBuilder each = new StringBuilder();
    for (double x : xs) {
      each.append(each.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.2f", x));
    }
    String verdict;
    if (target.equals("none")) {
      verdict = "(no target)";
    } else {
      double t = Double.parseDouble(target.substring(3));
      verdict = "target " + target + ": " + ((atMost ? m <= t : m >= t) ? "MET" : "MISSED");
    }
    out("%-46s %6.2f (each: %s)  %s%n", name, m, each, verdict);
  }

  private static String each(double[] xs) {
    StringBuilder sb = new StringBuilder();
    for (double x : xs) {
      sb.append(sb.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.2f", x));
    }
    return sb.toString();
  }

  private static String eachRate(double[] xs) {
    StringBuilder sb = new StringBuilder();
    for (double x : xs) {
      sb.append(sb.length() == 0 ? "" : " ").append(rate(x));
    }
    return sb.toString();
  }

  private static String rate(double perSecond) {
    return String.format(Locale.ROOT, "%,.0f", perSecond);
  }

  private static void out(String format, Object... args) {
    System.out.printf(Locale.ROOT, format, args);
  }
}
