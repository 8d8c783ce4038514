package dev.cfost.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The plain-line form of {@link Progress}: what a pipe, a log file or a --json run gets on stderr. */
class ProgressTest {
  private final StringWriter err = new StringWriter();

  private Progress progress(String task, String unit) {
    return new Progress(task, unit, false, new PrintWriter(err));
  }

  @Test
  void aSmallOperationPrintsNothing() {
    try (Progress p = progress("import", "changes")) {
      p.total(Progress.SHOW_FROM - 1);
      p.done(Progress.SHOW_FROM - 1);
      p.finish();
    }
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void aLargeOperationPrintsAFirstAndALastLineWithCountsAndRate() {
    long total = Progress.SHOW_FROM * 2;
    try (Progress p = progress("import", "changes")) {
      p.total(total);
      p.done(total / 2);
      p.done(total);
      p.finish();
    }
    String[] lines = err.toString().split("\n");
    assertThat(lines[0]).isEqualTo("import: 0/" + total + " changes (0%)");
    assertThat(lines[lines.length - 1]).matches("import: " + total + "/" + total + " changes in \\d+\\.\\d s \\(\\d+/s\\)");
  }

  @Test
  void aLineInTheMiddleSaysThePercentageTheRateAndTheTimeLeft() {
    Progress p = progress("replicate", "rows");
    p.total(Progress.SHOW_FROM * 4);
    p.done(Progress.SHOW_FROM);
    assertThat(p.line()).matches("replicate: 50000/200000 rows \\(25%\\), \\d+/s, (\\d+ min )?\\d+ s left");
  }

  @Test
  void anUnknownTotalShowsOnceTheCountPassesTheThreshold() {
    try (Progress p = progress("import", "changes")) {
      p.total(-1);
      p.done(Progress.SHOW_FROM - 1);
      assertThat(err.toString()).isEmpty();
      p.done(Progress.SHOW_FROM);
      assertThat(err.toString()).startsWith("import: " + Progress.SHOW_FROM + " changes, ");
      p.finish();
    }
    assertThat(err.toString()).containsPattern("\nimport: " + Progress.SHOW_FROM + " changes in ");
  }

  @Test
  void aFailedOperationEndsWithoutTheLastLine() {
    try (Progress p = progress("import", "changes")) {
      p.total(Progress.SHOW_FROM);
    }
    assertThat(err.toString()).isEqualTo("import: 0/" + Progress.SHOW_FROM + " changes (0%)\n");
  }
}
