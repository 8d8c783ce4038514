package dev.cfost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import dev.cfost.net.SyncKey;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The progress of long operations as a user sees it: plain lines on stderr when the output is not a
 * terminal (here, in this JVM), a bar in a pseudo-terminal. Tables of 60,000 rows: above the size from
 * which commands report progress (50,000 items).
 */
class ProgressCliIT {
  private static final int ROWS = 60_000;
  private static final String FILL = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < "
      + ROWS + ") INSERT INTO item SELECT i, 'row ' || i FROM n";
  private static final Pattern STARTED = Pattern.compile("listening on ([^\\s:]+):(\\d+)\nstarted, pid (\\d+)");

  @TempDir Path dir;
  CfostProcess cfost;
  String laptop;

  @BeforeEach
  void aLargeTable() {
    cfost = CfostProcess.inThisJvm(dir);
    laptop = dir.resolve("laptop.db").toString();
    cfost.run("--db", laptop, "init").ok();
    cfost.run("--db", laptop, "sql", "CREATE TABLE item(id INTEGER PRIMARY KEY NOT NULL, a TEXT)").ok();
    cfost.run("--db", laptop, "sql", FILL).ok();
  }

  @Test
  void replicateAndImportPrintPlainLinesOnStderrWithoutATerminalAndABarOnOne() throws Exception {
    CfostProcess.Result replicated = cfost.run("--db", laptop, "replicate", "item");
    assertThat(replicated.code()).as(replicated.err()).isZero();
    assertThat(replicated.out()).isEqualTo("replicated item\n");
    List<String> lines = replicated.errLines();
    assertThat(lines.get(0)).isEqualTo("replicate: 0/" + ROWS + " rows (0%)");
    assertThat(lines.get(lines.size() - 1)).matches("replicate: " + ROWS + "/" + ROWS + " rows in [\\d.]+ s \\(\\d+/s\\)");

    Path bundle = dir.resolve("all.jsonl");
    assertThat(cfost.run("--db", laptop, "export", "--out", bundle.toString()).code()).isZero();
    String desktop = dir.resolve("desktop.db").toString();
    cfost.run("--db", desktop, "init").ok();
    CfostProcess.Result imported = cfost.run("--db", desktop, "import", bundle.toString(), "--json");
    assertThat(imported.code()).as(imported.err()).isZero();
    assertThat(imported.out()).as("--json: stdout is JSON only").startsWith("{\"applied\":").endsWith("}\n");
    long changes = Long.parseLong(imported.out().replaceAll(".*\"received\":(\\d+).*\\s*", "$1"));
    assertThat(changes).isGreaterThanOrEqualTo(ROWS);
    lines = imported.errLines();
    assertThat(lines.get(0)).isEqualTo("import: 0/" + changes + " changes (0%)");
    assertThat(lines).allMatch(l -> l.startsWith("import: "));
    assertThat(lines.get(lines.size() - 1)).matches("import: " + changes + "/" + changes + " changes in .*");

    CfostProcess.Result small = cfost.run("--db", desktop, "replicate", "item");
    assertThat(small.err()).as("nothing to turn into changes: no progress").isEmpty();

    String tablet = dir.resolve("tablet.db").toString();
    cfost.run("--db", tablet, "init").ok();
    try (PtyCfost terminal = PtyCfost.start(dir, "--db", tablet, "import", bundle.toString())) {
      assertThat(terminal.awaitExit(Duration.ofSeconds(60))).isZero();
      String raw = terminal.raw();
      // The rate is '?' while the bar has run less than a second, as a fast import of 60,000 changes may.
      assertThat(raw).as("on a terminal, a bar: task, percentage, counts, elapsed / left, rate")
          .containsPattern("import +100% .*" + changes + "/" + changes
              + " changes \\(\\d+:\\d\\d:\\d\\d / \\d+:\\d\\d:\\d\\d\\) ([\\d.]+|\\?) changes/s")
          .contains("applied " + changes + " of " + changes + " changes")
          .doesNotContain("import: ");
    }
  }

  @Test
  void aSyncOfManyRowsPrintsItsProgress() throws Exception {
    SyncKey key = SyncKey.generate();
    String phone = dir.resolve("phone.db").toString();
    for (String db : List.of(laptop, phone)) {
      key.save(Path.of(db));
      try (Cfost c = Cfost.open(Path.of(db)); Connection conn = c.connect(); Statement st = conn.createStatement()) {
        c.setDatabaseId("big");
        st.execute("CREATE TABLE IF NOT EXISTS item(id INTEGER PRIMARY KEY NOT NULL, a TEXT)");
        c.replicate("item");
      }
    }
    CfostProcess.Result started = new CfostProcess(dir).run("--db", laptop, "start", "--daemon", "--listen",
        "127.0.0.1:0", "--no-mdns");
    Matcher m = STARTED.matcher(started.out());
    assertThat(m.find()).as(started.out() + started.err()).isTrue();
    long pid = Long.parseLong(m.group(3));
    try {
      CfostProcess.Result synced = cfost.run("--db", phone, "sync", "--peer", "127.0.0.1:" + m.group(2), "--once");
      assertThat(synced.code()).as(synced.err()).isZero();
      assertThat(synced.out()).startsWith("received ");
      List<String> lines = synced.errLines();
      assertThat(lines).as(synced.err()).isNotEmpty().allMatch(l -> l.startsWith("sync: "));
      assertThat(lines.get(0)).matches("sync: \\d+/\\d+ rows \\(\\d+%\\).*");
      assertThat(lines.get(lines.size() - 1)).matches("sync: (\\d+)/\\1 rows in [\\d.]+ s \\(\\d+/s\\)");
    } finally {
      ProcessHandle.of(pid).ifPresent(h -> {
        h.destroyForcibly();
        h.onExit().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join();
      });
    }
  }
}
