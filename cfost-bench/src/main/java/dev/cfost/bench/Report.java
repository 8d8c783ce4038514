package dev.cfost.bench;

import java.util.Locale;
import java.util.function.BiFunction;

/** Prints the medians, the paired ratios against the targets, and the heap use. */
final class Report {
  private static final String[][] PHASES = {
      {"insert.plain", "(a) INSERT tx, plain table"},
      {"insert.replicated", "(a) INSERT tx, replicated table"},
      {"capture", "(a) deferred capture, db.capture()"},
      {"insert.plain.nokeys", "(a) INSERT tx, plain, gen. keys off"},
      {"insert.replicated.nokeys", "(a) INSERT tx, replicated, keys off"},
      {"extract", "(c) changes(cursor, 2000) to caughtUp"},
      {"decode", "    decode the binary spill only"},
      {"merge.spill", "(b) mergeAll from the spill"},
      {"merge.interleaved", "(b) same, out of key order"},
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
    out("%-40s %7s %20s %7s %10s %10s %8s %8s%n", "phase", "wall s", "each repetition", "CPU s", "rows/s",
        "changes/s", "peak MiB", "live MiB");
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
      out("%-40s %7.2f %20s %7.2f %10s %10s %8.1f %8.1f%n", p[1], m, each(s), Results.median(r.seconds(p[0], true)),
          rate(rows / m), perChange && changes > 0 ? rate(changes / m) : "", peak / 1048576.0, live / 1048576.0);
    }
    if (r.spill.isEmpty()) {
      out("Rates are from the median wall time.%n%n");
    } else {
      double spill = Results.median(r.spill.stream().mapToDouble(x -> x.wall() / 1e9).toArray());
      out("Rates are from the median wall time. Writing the spill during (c) took a median %.2f s, not counted.%n%n",
          spill);
    }
    out("Ratios, taken per repetition (side by side), then the median; wall time, then CPU time of the thread:%n");
    ratio("(a) replicated / plain INSERT tx", "<= 1.5",
        (cpu, i) -> t("insert.replicated", cpu, i) / t("insert.plain", cpu, i));
    ratio("(a) same, generated keys off", "<= 1.5",
        (cpu, i) -> t("insert.replicated.nokeys", cpu, i) / t("insert.plain.nokeys", cpu, i));
    ratio("(a) (INSERT tx + capture) / plain INSERT tx", "none",
        (cpu, i) -> (t("insert.replicated", cpu, i) + t("capture", cpu, i)) / t("insert.plain", cpu, i));
    if (r.seconds("merge.spill").length > 0) {
      ratio("(b) merge rate / raw insert rate, spill", ">= 0.5",
          (cpu, i) -> t("insert.plain", cpu, i) / t("merge.spill", cpu, i));
      ratio("(b) same, raw insert with gen. keys off", ">= 0.5",
          (cpu, i) -> t("insert.plain.nokeys", cpu, i) / t("merge.spill", cpu, i));
    }
    if (r.seconds("merge.interleaved").length > 0) {
      ratio("(b) same, spill out of key order", ">= 0.5",
          (cpu, i) -> t("insert.plain", cpu, i) / t("merge.interleaved", cpu, i));
      ratio("(b) same, out of key order, keys off", ">= 0.5",
          (cpu, i) -> t("insert.plain.nokeys", cpu, i) / t("merge.interleaved", cpu, i));
    }
    if (r.seconds("merge.streamed").length > 0) {
      ratio("(b) merge rate / raw rate, streamed", ">= 0.5",
          (cpu, i) -> t("insert.plain", cpu, i) / t("merge.streamed", cpu, i));
      ratio("(b) same, raw insert with gen. keys off", ">= 0.5",
          (cpu, i) -> t("insert.plain.nokeys", cpu, i) / t("merge.streamed", cpu, i));
    }
    double[] ex = r.seconds("extract");
    if (ex.length == 0) {
      out("%nMax heap %d MiB.%n", Runtime.getRuntime().maxMemory() >> 20);
      return;
    }
    double[] exRate = new double[ex.length];
    for (int i = 0; i < ex.length; i++) {
      exRate[i] = changes / ex[i];
    }
    out("%-44s %s changes/s (each: %s)%n", "(c) extraction rate", rate(Results.median(exRate)), eachRate(exRate));
    out("%nPeak MiB: the most heap the JVM held in the phase, garbage included (sum of the heap pools' peaks).%n");
    out("Live MiB: the most heap still in use right after a collection in the phase (0: no collection ran).%n");
    out("Max heap %d MiB.%n", Runtime.getRuntime().maxMemory() >> 20);
  }

  private double t(String phase, boolean cpu, int i) {
    return r.seconds(phase, cpu)[i];
  }

  private void ratio(String name, String target, BiFunction<Boolean, Integer, Double> f) {
    int n = r.seconds("insert.plain").length;
    double[] wall = new double[n];
    double[] cpu = new double[n];
    for (int i = 0; i < n; i++) {
      wall[i] = f.apply(false, i);
      cpu[i] = f.apply(true, i);
    }
    double m = Results.median(wall);
    double c = Results.median(cpu);
    String verdict;
    if (target.equals("none")) {
      verdict = "(no target)";
    } else {
      double limit = Double.parseDouble(target.substring(3));
      boolean atMost = target.startsWith("<=");
      verdict = "target " + target + ": wall " + ((atMost ? m <= limit : m >= limit) ? "MET" : "MISSED")
          + ", CPU " + ((atMost ? c <= limit : c >= limit) ? "MET" : "MISSED");
    }
    out("%-44s %5.2f (each %s)  CPU %5.2f (each %s)  %s%n", name, m, each(wall), c, each(cpu), verdict);
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
