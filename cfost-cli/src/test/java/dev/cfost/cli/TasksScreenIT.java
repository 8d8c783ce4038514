package dev.cfost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The interactive {@code cfost tasks} driven as a person would: the real jar in a pseudo-terminal, keys
 * typed, the screen read back through a terminal model. The scripts' subcommands run in this JVM.
 */
class TasksScreenIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration SHOWN = Duration.ofSeconds(10);

  private static final Pattern STARTED = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)\nstarted, pid (\\d+)");

  @TempDir Path dir;
  CfostProcess cfost;
  String laptop;
  /** The pid of the daemon a test started, killed after it whatever happened; 0 for none. */
  long daemon;

  @AfterEach
  void stopTheDaemon() {
    ProcessHandle.of(daemon).filter(h -> daemon != 0).ifPresent(h -> {
      h.destroyForcibly();
      h.onExit().orTimeout(10, TimeUnit.SECONDS).join();
    });
  }

  @BeforeEach
  void aDatabaseWithOneTask() {
    cfost = CfostProcess.inThisJvm(dir);
    laptop = dir.resolve("laptop.db").toString();
    cfost.run("--db", laptop, "init").ok();
    assertThat(cfost.run("--db", laptop, "tasks", "add", "Water", "the", "plants", "--priority", "low").ok())
        .startsWith("added ").endsWith(" Water the plants\n");
  }

  @Test
  @Timeout(60)
  void aPersonAddsCompletesAndDeletesTasksAndSeesAnotherDevicesTaskArriveLive() throws Exception {
    try (PtyCfost screen = PtyCfost.start(dir, "--db", laptop, "tasks")) {
      screen.awaitLine(SHOWN, "[ ] !   Water the plants");
      assertThat(screen.screen().get(0)).contains("cfost tasks", "1 open, 0 done", "laptop.db");
      assertThat(screen.screen().get(PtyCfost.ROWS - 1)).as("key hints")
          .contains("a add", "e edit", "space done", "d delete", "/ filter", "q quit");

      screen.type("a");
      screen.awaitLine(SHOWN, "New task:");
      screen.type("Buy milk !high #home\r");
      assertThat(screen.awaitLine(SHOWN, "> [ ] !!! Buy milk #home")).as("added, first (most urgent), selected")
          .isNotNull();
      screen.await("the new task above the low one", lines -> lines.indexOf(line(lines, "Buy milk"))
          < lines.indexOf(line(lines, "Water the plants")), SHOWN);

      screen.type(" ");
      screen.awaitLine(SHOWN, "[x] !!! Buy milk #home");
      screen.awaitLine(SHOWN, "1 open, 1 done");

      // Another device adds a task and syncs with this database's daemon, as docs/CLI.md says to run it:
      // the daemon merges, the screen shows the task with no key pressed.
      String phone = dir.resolve("phone.db").toString();
      String syncKey = cfost.run("--db", laptop, "sync-key").ok().strip();
      cfost.run("--db", phone, "init", "--sync-key", syncKey).ok();
      cfost.run("--db", phone, "tasks", "add", "Call mom", "--tag", "family").ok();
      Matcher started = STARTED.matcher(new CfostProcess(dir).run("--db", laptop, "start", "--daemon", "--listen",
          "127.0.0.1:0", "--no-mdns").ok());
      assertThat(started.find()).isTrue();
      daemon = Long.parseLong(started.group(2));
      assertThat(cfost.run("--db", phone, "sync", "--peer", "127.0.0.1:" + started.group(1), "--once").ok())
          .startsWith("received ");
      screen.awaitLine(SHOWN, "[ ] !!  Call mom #family");
      screen.awaitLine(SHOWN, "changes arrived from elsewhere");
      screen.awaitLine(SHOWN, "2 open, 1 done");

      // Another program writes the table with plain SQL, no CFOST in it: captured, and shown too.
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + laptop); Statement st = c.createStatement()) {
        st.execute("INSERT INTO tasks(id, title, priority, created) VALUES ('0000feed', 'Feed the cat', 'high', '1')");
      }
      screen.awaitLine(SHOWN, "[ ] !!! Feed the cat  0000feed");
      screen.type("g");
      screen.awaitLine(SHOWN, "> [ ] !!! Feed the cat");
      screen.type("x");
      screen.awaitLine(SHOWN, "[x] !!! Feed the cat");

      screen.type("/mom\r");
      screen.await("only the matching task", lines -> line(lines, "] !!  Call mom") != null
          && line(lines, "Water the plants") == null, SHOWN);
      screen.type("d");
      screen.awaitLine(SHOWN, "Delete 'Call mom'? y deletes");
      screen.type("n");
      screen.awaitLine(SHOWN, "not deleted");
      assertThat(line(screen.screen(), "] !!  Call mom")).as("kept after 'n'").isNotNull();
      screen.type("d");
      screen.awaitLine(SHOWN, "Delete 'Call mom'?");
      screen.type("y");
      screen.awaitLine(SHOWN, "deleted: Call mom");
      screen.type("\033");
      screen.await("the list without the deleted task", lines -> line(lines, "] !!  Call mom") == null
          && line(lines, "Water the plants") != null, SHOWN);

      screen.type("q");
      assertThat(screen.awaitExit(SHOWN)).isZero();
      assertThat(screen.raw()).as("the terminal is given back: main screen, cursor shown")
          .endsWith("\033[?25h\033[?1049l");
    }
    JsonNode tasks = JSON.readTree(cfost.run("--db", laptop, "tasks", "list", "--json").ok());
    assertThat(tasks).hasSize(3);
    assertThat(tasks.get(0).get("title").asText()).as("the one open task first").isEqualTo("Water the plants");
    JsonNode milk = task(tasks, "Buy milk");
    assertThat(milk.get("done").asBoolean()).isTrue();
    assertThat(milk.get("tags")).hasToString("[\"home\"]");
    assertThat(task(tasks, "Feed the cat").get("done").asBoolean()).isTrue();
  }

  @Test
  @Timeout(60)
  void aResizedScreenIsRedrawnAndCtrlCEndsItGivingTheTerminalBack() throws Exception {
    try (PtyCfost screen = PtyCfost.start(dir, "--db", laptop, "tasks")) {
      screen.awaitLine(SHOWN, "Water the plants");
      screen.resize(12, 40);
      screen.await("the key hints on the last of 12 rows, cut at 40 columns",
          lines -> lines.get(11).equals("up/down j/k move  a add  e edit  space d"), SHOWN);
      screen.type("e");
      screen.awaitLine(SHOWN, "Edit: Water the plants !low");
      screen.type("\u0003"); // Ctrl-C: the terminal sends SIGINT
      assertThat(screen.awaitExit(SHOWN)).isZero();
      assertThat(screen.raw()).endsWith("\033[?25h\033[?1049l");
    }
  }

  /** The task being edited is deleted by another program meanwhile: the edit saves nothing, elsewhere too. */
  @Test
  @Timeout(60)
  void anEditOfATaskDeletedMeanwhileNeverLandsOnAnotherTask() throws Exception {
    String id = JSON.readTree(cfost.run("--db", laptop, "tasks", "add", "Call", "mom", "--priority", "high", "--json")
        .ok()).get("id").asText();
    try (PtyCfost screen = PtyCfost.start(dir, "--db", laptop, "tasks")) {
      screen.awaitLine(SHOWN, "> [ ] !!! Call mom");
      screen.type("e");
      screen.awaitLine(SHOWN, "Edit: Call mom !high");
      screen.type(" today");
      screen.awaitLine(SHOWN, "Edit: Call mom !high today");
      cfost.run("--db", laptop, "tasks", "delete", id).ok();
      screen.await("the list without the deleted task", lines -> line(lines, "] !!! Call mom") == null
          && line(lines, "Water the plants") != null, SHOWN);
      screen.type("\r");
      screen.await("the screen's answer to Enter", lines -> line(lines, "saved: ") != null
          || line(lines, "deleted meanwhile") != null, SHOWN);
      screen.type("q");
      assertThat(screen.awaitExit(SHOWN)).isZero();
    }
    JsonNode tasks = JSON.readTree(cfost.run("--db", laptop, "tasks", "list", "--json").ok());
    assertThat(tasks).hasSize(1);
    assertThat(tasks.get(0).get("title").asText()).as("the other task keeps its title").isEqualTo("Water the plants");
    assertThat(tasks.get(0).get("priority").asText()).isEqualTo("low");
  }

  @Test
  void anEditSavesWhatTheLineChangedAndKeepsAFieldChangedElsewhereMeanwhile() throws Exception {
    String id = JSON.readTree(cfost.run("--db", laptop, "tasks", "add", "Call", "mom", "--priority", "high", "--tag",
        "family", "--json").ok()).get("id").asText();
    try (PtyCfost screen = PtyCfost.start(dir, "--db", laptop, "tasks")) {
      screen.awaitLine(SHOWN, "> [ ] !!! Call mom");
      screen.type("e");
      screen.awaitLine(SHOWN, "Edit: Call mom !high #family");
      screen.type(" today");
      // Another device (here another process) lowers the priority while the line is being edited.
      cfost.run("--db", laptop, "tasks", "edit", id, "--priority", "low").ok();
      screen.await("the list with the priority changed elsewhere", lines -> line(lines, "Call mom") != null
          && line(lines, "!!! Call mom") == null, SHOWN);
      screen.type("\r");
      screen.awaitLine(SHOWN, "saved: ");
      screen.type("q");
      assertThat(screen.awaitExit(SHOWN)).isZero();
    }
    JsonNode t = task(JSON.readTree(cfost.run("--db", laptop, "tasks", "list", "--json").ok()), "Call mom today");
    assertThat(t.get("priority").asText()).as("the priority changed elsewhere, which the line did not change")
        .isEqualTo("low");
    assertThat(t.get("tags").toString()).contains("family");
  }

  /**
   * The line cannot show every stored task exactly (its words are joined by one space; tags come lower-cased):
   * an edit that leaves the title alone must not write the title the line reads back, over one changed
   * elsewhere meanwhile.
   */
  @Test
  @Timeout(60)
  void anEditThatLeavesAFieldAloneWritesItNotAlsoWhenTheLineShowsItNormalized() throws Exception {
    String id = JSON.readTree(cfost.run("--db", laptop, "tasks", "add", "Call  mom", "--priority", "high", "--json")
        .ok()).get("id").asText();
    try (PtyCfost screen = PtyCfost.start(dir, "--db", laptop, "tasks")) {
      screen.awaitLine(SHOWN, "> [ ] !!! Call");
      screen.type("e");
      screen.awaitLine(SHOWN, "Edit: Call", "!high");
      screen.type(" #family");
      // Another device (here another process) renames the task while the line is being edited.
      cfost.run("--db", laptop, "tasks", "edit", id, "--title", "Call dad").ok();
      screen.awaitLine(SHOWN, "!!! Call dad");
      screen.type("\r");
      screen.awaitLine(SHOWN, "saved: ");
      screen.type("q");
      assertThat(screen.awaitExit(SHOWN)).isZero();
    }
    JsonNode tasks = JSON.readTree(cfost.run("--db", laptop, "tasks", "list", "--json").ok());
    JsonNode t = null;
    for (JsonNode x : tasks) {
      if (x.get("id").asText().equals(id)) {
        t = x;
      }
    }
    assertThat(t).as("the task in %s", tasks).isNotNull();
    assertThat(t.get("title").asText()).as("the title changed elsewhere, which the line did not change")
        .isEqualTo("Call dad");
    assertThat(t.get("tags").toString()).as("what the line changed").contains("family");
  }

  @Test
  void withoutATerminalItPointsToTheScriptCommands() {
    assertThat(cfost.run("--db", laptop, "tasks").fails(1)).contains("needs a terminal", "cfost tasks list");
  }

  private static JsonNode task(JsonNode tasks, String title) {
    for (JsonNode t : tasks) {
      if (t.get("title").asText().equals(title)) {
        return t;
      }
    }
    throw new AssertionError("no task '" + title + "' in " + tasks);
  }

  /** The first line containing {@code text}, or null. */
  private static String line(List<String> lines, String text) {
    return lines.stream().filter(l -> l.contains(text)).findFirst().orElse(null);
  }
}
