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

  @Test
  void atFoldsFromTheNearestCheckpointToEveryVersion() throws Exception {
    AtomicLong clock = new AtomicLong(1L << 40);
    try (Cfost db = Cfost.open(CfostOptions.builder(dir.resolve("a.db")).captureInterval(Duration.ZERO).build());
        DocumentStore store = new DocumentStore(db, clock::incrementAndGet, 10)) {
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
}
