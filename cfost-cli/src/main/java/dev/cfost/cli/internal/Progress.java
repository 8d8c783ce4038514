package dev.cfost.cli.internal;

import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * How far a long operation (an import, a replicate, an initial sync) has come: a progress bar with
 * counts, rate and time left when the command runs on a terminal, plain lines on stderr otherwise (a pipe,
 * a file, or {@code --json}). Only large operations report: below {@value #SHOW_FROM} items an operation
 * takes about a second, and its output stays what it always was.
 *
 * <p>Used from the command's thread only; the bar redraws itself on the library's own thread.
 */
final class Progress implements AutoCloseable {
  /** From this many items (rows, changes) an operation reports its progress; docs/CLI.md says the same. */
  static final long SHOW_FROM = 50_000;
  /** How often a plain line is printed while an operation runs. */
  static final long LINE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(2);

  private final String task;
  private final String unit;
  private final boolean terminal;
  private final PrintWriter err;
  private final long started = System.nanoTime();
  private long total = -1;
  private long done;
  private boolean shown;
  private boolean finished;
  private long lastLine;
  private ProgressBar bar;

  /**
   * @param task what is being done, first on each line: {@code import}, {@code replicate}, {@code sync}
   * @param unit what is counted, plural: {@code changes}, {@code rows}
   * @param terminal whether to draw a bar (on the process's stderr) rather than print plain lines to {@code err}
   */
  Progress(String task, String unit, boolean terminal, PrintWriter err) {
    this.task = task;
    this.unit = unit;
    this.terminal = terminal;
    this.err = err;
  }

  /** A bar when the command runs on a terminal (stdin and stdout) and prints text, plain lines otherwise. */
  static Progress of(String task, String unit, boolean json, PrintWriter err) {
    return new Progress(task, unit, !json && System.console() != null, err);
  }

  /** The number of items in all, once known; -1 while unknown. */
  void total(long items) {
    total = items;
    update();
  }

  /** How many items are done so far. */
  void done(long items) {
    done = items;
    update();
  }

  private void update() {
    if (!shown && Math.max(total, done) >= SHOW_FROM) {
      shown = true;
      lastLine = System.nanoTime();
      if (terminal) {
        err.flush();
        bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setUnit(" " + unit, 1)
            .setStyle(unicode() ? ProgressBarStyle.COLORFUL_UNICODE_BLOCK : ProgressBarStyle.ASCII).showSpeed().setUpdateIntervalMillis(200)
            .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
      } else {
        err.println(line());
        err.flush();
      }
    }
    if (!shown) {
      return;
    }
    if (bar != null) {
      bar.maxHint(total);
      bar.stepTo(done);
    } else if (System.nanoTime() - lastLine >= LINE_EVERY_NANOS) {
      lastLine = System.nanoTime();
      err.println(line());
      err.flush();
    }
  }

  /** Whether stderr encodes the bar's block characters; in another charset they would print as '?'. */
  private static boolean unicode() {
    String encoding = System.getProperty("sun.stderr.encoding", Charset.defaultCharset().name());
    return encoding.toUpperCase(Locale.ROOT).replace("-", "").equals("UTF8");
  }

  /** A plain line: {@code import: 30000/150000 changes (20%), 15000/s, 8 s left}. */
  String line() {
    long rate = rate();
    StringBuilder sb = new StringBuilder(task).append(": ").append(done);
    if (total >= 0) {
      sb.append('/').append(total);
    }
    sb.append(' ').append(unit);
    if (total > 0) {
      sb.append(" (").append(done * 100 / total).append("%)");
    }
    if (done > 0) {
      sb.append(", ").append(rate).append("/s");
    }
    if (total > 0 && rate > 0 && done < total) {
      sb.append(", ").append(seconds(Duration.ofSeconds((total - done + rate - 1) / rate))).append(" left");
    }
    return sb.toString();
  }

  private long rate() {
    long elapsed = System.nanoTime() - started;
    return elapsed <= 0 ? 0 : done * 1_000_000_000L / elapsed;
  }

  private static String seconds(Duration d) {
    return d.toMinutes() > 0 ? d.toMinutes() + " min " + d.toSecondsPart() + " s" : d.toSeconds() + " s";
  }

  /** The operation succeeded: {@link #close()} then prints the last line, with the time it took. */
  void finish() {
    finished = true;
  }

  /** Ends the report: the bar at its last count, and after {@link #finish()} a last plain line. */
  @Override
  public void close() {
    if (!shown) {
      return;
    }
    if (bar != null) {
      bar.stepTo(done);
      bar.close();
      return;
    }
    if (!finished) {
      return; // the error that follows says what happened
    }
    double secs = (System.nanoTime() - started) / 1e9;
    err.println(task + ": " + done + (total >= 0 ? "/" + total : "") + " " + unit + " in "
        + String.format(Locale.ROOT, "%.1f", secs) + " s (" + rate() + "/s)");
    err.flush();
  }
}
