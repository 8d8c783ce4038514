package dev.cfost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cfost doc ...} as a user types it: the whole life in this JVM through the CLI's entry point, and
 * the family once as child processes of the shaded jar.
 */
class DocCliIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  CfostProcess cfost;
  String db;

  @BeforeEach
  void aDatabase() {
    cfost = CfostProcess.inThisJvm(dir);
    db = dir.resolve("notes.db").toString();
    cfost.run("--db", db, "init").ok();
  }

  @Test
  void aDocumentsLifeFromTheCommandLine() throws Exception {
    assertThat(cfost.run("--db", db, "doc", "create", "--id", "shop", "Groceries", "{\"items\":[\"milk\"]}").ok())
        .isEqualTo("created shop (version 1)\n");
    cfost.stdin("[{\"op\":\"add\",\"path\":\"/items/-\",\"value\":\"eggs\"}]");
    assertThat(cfost.run("--db", db, "doc", "update", "shop", "-").ok()).isEqualTo("updated shop (version 2)\n");
    cfost.stdin("");
    JsonNode doc = JSON.readTree(cfost.run("--db", db, "doc", "get", "shop", "--json").ok());
    assertThat(doc.get("content")).isEqualTo(JSON.readTree("{\"items\":[\"milk\",\"eggs\"]}"));
    assertThat(doc.get("version").asLong()).isEqualTo(2);

    String refused = cfost.run("--db", db, "doc", "update", "shop",
        "[{\"op\":\"remove\",\"path\":\"/items/5\"}]").fails(1);
    assertThat(refused).as("a patch that cannot apply names the operation, and nothing is applied")
        .contains("/items/5");
    assertThat(cfost.run("--db", db, "doc", "undo", "shop").ok()).isEqualTo("undone: now shop (version 3)\n");
    assertThat(JSON.readTree(cfost.run("--db", db, "doc", "get", "shop").ok()))
        .isEqualTo(JSON.readTree("{\"items\":[\"milk\"]}"));
    assertThat(JSON.readTree(cfost.run("--db", db, "doc", "at", "shop", "2").ok()))
        .as("time travel").isEqualTo(JSON.readTree("{\"items\":[\"milk\",\"eggs\"]}"));

    JsonNode history = JSON.readTree(cfost.run("--db", db, "doc", "history", "shop", "--json").ok());
    assertThat(history).hasSize(3);
    assertThat(history.get(0).get("kind").asText()).isEqualTo("create");
    assertThat(history.get(0).get("hlc").isTextual()).as("an exact integer above 2^53, as a string").isTrue();
    assertThat(history.get(1).get("reverse")).as("each revision keeps its reverse patch").isNotNull();
    assertThat(history.get(2).get("kind").asText()).isEqualTo("undo");

    cfost.run("--db", db, "doc", "delete", "shop").ok();
    assertThat(cfost.run("--db", db, "doc", "get", "shop").fails(1)).contains("no document 'shop'");
    assertThat(JSON.readTree(cfost.run("--db", db, "doc", "list", "--json").ok())).isEmpty();
    cfost.run("--db", db, "doc", "restore", "shop").ok();
    JsonNode listed = JSON.readTree(cfost.run("--db", db, "doc", "list", "--where", "/items/0=\"milk\"", "--json").ok());
    assertThat(listed).hasSize(1);
    assertThat(listed.get(0).get("title").asText()).isEqualTo("Groceries");
    assertThat(cfost.run("--db", db, "doc", "create", "Bad", "{not json").fails(1)).contains("not valid JSON");

    cfost.run("--db", db, "doc", "create", "--id", "esc", "Red\u001b[2J", "{}").ok(); // as another device may title it
    assertThat(cfost.run("--db", db, "doc", "list").ok()).as("no escape sequence reaches the terminal")
        .contains("Red\\u001b[2J").doesNotContain("\u001b");
  }

  @Test
  void theShadedJarRunsTheDocCommands() throws Exception {
    CfostProcess child = new CfostProcess(dir);
    child.run("--db", db, "doc", "create", "--id", "n1", "Note", "{\"text\":\"hi\"}").ok();
    child.stdin("[{\"op\":\"replace\",\"path\":\"/text\",\"value\":\"hello\"}]");
    child.run("--db", db, "doc", "update", "n1", "-").ok();
    assertThat(JSON.readTree(child.run("--db", db, "doc", "get", "n1").ok()))
        .isEqualTo(JSON.readTree("{\"text\":\"hello\"}"));
  }
}
