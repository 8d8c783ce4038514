package dev.cfost.internal.documents;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import dev.cfost.Documents;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code at} folds from the nearest checkpoint, and checkpoints stay right when a late revision is placed. */
class CheckpointTest {
  @TempDir Path dir;

  private Cfost open(String name) {
    return Cfost.open(CfostOptions.builder(dir.resolve(name)).captureInterval(Duration.ZERO).build());
  }

  private static DocumentStore checkpointsEvery10(Cfost db) {
    AtomicLong clock = new AtomicLong(1L << 40);
    return new DocumentStore(db, clock::incrementAndGet, 10);
  }

  @Test
  void atFoldsFromTheNearestCheckpointToEveryVersion() throws Exception {
    try (Cfost db = open("a.db"); DocumentStore store = checkpointsEvery10(db)) {
      Documents docs = store.forUser("u");
      docs.create("d", "T", Json.parse("{\"list\":[]}", "json"));
      for (int i = 1; i < 45; i++) {
        docs.update("d", Json.parse("[{\"op\":\"add\",\"path\":\"/list/0\",\"value\":" + i + "}]", "patch"));
      }
      try (Statement s = store.conn.createStatement();
          ResultSet rs = s.executeQuery("SELECT group_concat(pos) FROM cfost_doc_checkpoints")) {
        assertThat(rs.getString(1)).isEqualTo("10,20,30,40");
      }
      for (int v = 1; v <= 45; v++) {
        JsonNode list = docs.at("d", v).content().get("list");
        assertThat(list.size()).as("version " + v).isEqualTo(v - 1);
        if (v > 1) {
          assertThat(list.get(0).asInt()).isEqualTo(v - 1);
        }
      }
    }
  }

  @Test
  void aLargeDocumentsCheckpointsAreSpacedByTheirSize() throws Exception {
    try (Cfost db = open("b.db"); DocumentStore store = checkpointsEvery10(db)) {
      Documents docs = store.forUser("u");
      StringBuilder noise = new StringBuilder();
      java.util.Random r = new java.util.Random(7);
      for (int i = 0; i < 16_000; i++) {
        noise.append((char) ('a' + r.nextInt(26)));
      }
      docs.create("d", "T", Json.MAPPER.createObjectNode().put("noise", noise.toString()).set("list",
          Json.MAPPER.createArrayNode()));
      java.util.List<JsonNode> patches = new java.util.ArrayList<>();
      for (int i = 1; i < 400; i++) {
        patches.add(Json.parse("[{\"op\":\"add\",\"path\":\"/list/0\",\"value\":" + i + "}]", "patch"));
      }
      docs.updateEach("d", patches);
      long first;
      long second;
      long bytes;
      try (Statement s = store.conn.createStatement();
          ResultSet rs = s.executeQuery("SELECT pos, length(state) FROM cfost_doc_checkpoints ORDER BY pos")) {
        assertThat(rs.next()).isTrue();
        first = rs.getLong(1);
        bytes = rs.getLong(2);
        assertThat(rs.next()).isTrue();
        second = rs.getLong(1);
        assertThat(rs.next()).isFalse();
      }
      // 16,000 random letters deflate to about 10 KB: the next checkpoint comes ~300 versions later, not 10
      assertThat(first).isEqualTo(10);
      assertThat(second - first).isEqualTo(bytes / DocumentStore.CHECKPOINT_BYTES_PER_VERSION).isGreaterThan(200);
      for (int v = 1; v <= 400; v += 7) {
        JsonNode list = docs.at("d", v).content().get("list");
        assertThat(list.size()).as("version " + v).isEqualTo(v - 1);
      }
    }
  }
}
