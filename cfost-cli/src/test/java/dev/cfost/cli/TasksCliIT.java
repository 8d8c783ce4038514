package dev.cfost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The script side of {@code cfost tasks}: its subcommands, run in this JVM through the CLI's entry point. */
class TasksCliIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  CfostProcess cfost;
  String db;

  @BeforeEach
  void aDatabase() {
    cfost = CfostProcess.inThisJvm(dir);
    db = dir.resolve("tasks.db").toString();
    cfost.run("--db", db, "init").ok();
  }

  private JsonNode json(String... args) throws Exception {
    return JSON.readTree(cfost.run(args).ok());
  }

  @Test
  void aTasksLifeFromScripts() throws Exception {
    JsonNode added = json("--db", db, "tasks", "add", "Renew passport", "--priority", "high", "--tag", "Admin",
        "--tag", "admin", "--json");
    String id = added.get("id").asText();
    assertThat(added.get("priority").asText()).isEqualTo("high");
    assertThat(added.get("tags")).as("lower-cased, once").hasToString("[\"admin\"]");
    assertThat(added.get("done").asBoolean()).isFalse();
    cfost.run("--db", db, "tasks", "add", "Buy", "stamps").ok();

    assertThat(cfost.run("--db", db, "tasks", "list").ok()).contains("open    high      Renew passport  #admin")
        .contains("open    medium    Buy stamps");
    assertThat(cfost.run("--db", db, "tasks", "done", id.substring(0, 6)).ok())
        .isEqualTo("done " + id.substring(0, 8) + " Renew passport\n");
    assertThat(json("--db", db, "tasks", "list", "--open", "--json")).hasSize(1);
    JsonNode edited = json("--db", db, "tasks", "edit", id, "--title", "Renew the passport", "--no-tags", "--json");
    assertThat(edited.get("title").asText()).isEqualTo("Renew the passport");
    assertThat(edited.get("tags")).isEmpty();
    assertThat(edited.get("done").asBoolean()).as("only what was given changes").isTrue();
    cfost.run("--db", db, "tasks", "reopen", id).ok();
    assertThat(json("--db", db, "tasks", "list", "--open", "--json")).hasSize(2);

    assertThat(cfost.run("--db", db, "replicate", "tasks").ok()).as("made replicated on first use")
        .isEqualTo("already replicated tasks\n");
    cfost.run("--db", db, "tasks", "delete", id).ok();
    assertThat(json("--db", db, "tasks", "list", "--json")).hasSize(1);
    assertThat(cfost.run("--db", db, "tasks", "done", id).fails(1)).contains("no task '" + id + "'");
  }

  @Test
  void wrongInputIsRefusedWithWhatWasWrongAndNothingWritten() throws Exception {
    assertThat(cfost.run("--db", db, "tasks", "add", "x", "--priority", "urgent").fails(1))
        .contains("priority 'urgent': expected low, medium or high");
    assertThat(cfost.run("--db", db, "tasks", "add", "x", "--tag", "two words").fails(1)).contains("tag 'two words'");
    assertThat(cfost.run("--db", db, "tasks", "add", " ").fails(1)).contains("a task needs a title");
    assertThat(cfost.run("--db", db, "tasks", "edit", "abc").fails(2)).contains("nothing to change");
    assertThat(json("--db", db, "tasks", "list", "--json")).isEmpty();
  }

  /** A title or tag another device wrote may hold escape sequences: the text lines show them escaped. */
  @Test
  void controlCharactersOfASyncedTaskNeverReachTheTerminal() {
    cfost.run("--db", db, "tasks", "list").ok();
    cfost.run("--db", db, "sql", "INSERT INTO tasks(id, title, tags) VALUES ('abcdef0123',"
        + " 'Pay' || char(27) || '[2J', 'home,x' || char(27) || ']0;owned' || char(7))").ok();

    String list = cfost.run("--db", db, "tasks", "list").ok();
    String done = cfost.run("--db", db, "tasks", "done", "abcdef").ok();

    assertThat(list).doesNotContain("\u001b").doesNotContain("\u0007").contains("Pay\\u001b[2J");
    assertThat(done).doesNotContain("\u001b").contains("Pay\\u001b[2J");
  }

  @Test
  void aTaskIdWrittenInUpperCaseByAnotherAppIsFoundInEitherCase() throws Exception {
    cfost.run("--db", db, "tasks", "list").ok();
    cfost.run("--db", db, "sql", "INSERT INTO tasks(id, title) VALUES ('ABCDEF0123', 'From the other app'),"
        + " ('abc999', 'Mine')").ok();
    assertThat(cfost.run("--db", db, "tasks", "done", "ABCDEF").ok()).contains("From the other app");
    assertThat(cfost.run("--db", db, "tasks", "reopen", "abcdef01").ok()).contains("From the other app");
    assertThat(cfost.run("--db", db, "tasks", "done", "abc").fails(1)).contains("'abc' is the start of 2 task ids");
    assertThat(cfost.run("--db", db, "tasks", "done", "abc999").ok()).contains("Mine");
  }

  /**
   * A start typed in one case that is another task's whole id in another case is still only a start: the
   * command must not pick that task over the one whose id it starts (this app's ids are lower case).
   */
  @Test
  void aStartThatIsAnotherTasksIdInAnotherCaseIsAmbiguous() throws Exception {
    cfost.run("--db", db, "tasks", "list").ok();
    cfost.run("--db", db, "sql", "INSERT INTO tasks(id, title) VALUES ('ABC', 'From the other app'),"
        + " ('abc999', 'Mine')").ok();
    assertThat(cfost.run("--db", db, "tasks", "done", "abc").fails(1)).contains("'abc' is the start of 2 task ids");
    assertThat(cfost.run("--db", db, "tasks", "list", "--json").ok()).doesNotContain("\"done\":true");
    assertThat(cfost.run("--db", db, "tasks", "done", "ABC").ok()).as("the whole id as written")
        .contains("From the other app");
  }

  @Test
  void aTableNamedTasksOfAnotherShapeIsLeftAlone() {
    cfost.run("--db", db, "sql", "CREATE TABLE tasks(id TEXT PRIMARY KEY NOT NULL, what TEXT)").ok();
    assertThat(cfost.run("--db", db, "tasks", "list").fails(1))
        .contains("the table 'tasks' exists without the columns [created, done, priority, tags, title, updated]");
    assertThat(cfost.run("--db", db, "sql", "--json", "SELECT count(*) AS n FROM cfost_tables WHERE name = 'tasks'")
        .ok()).as("not made replicated").isEqualTo("[{\"n\":0}]\n");
  }
}
