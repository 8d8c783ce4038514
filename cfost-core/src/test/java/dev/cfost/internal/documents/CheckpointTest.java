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

/**
 * {@code at} folds from the nearest checkpoint, and checkpoints stay right when a late revision is placed;
 * reading the runs folded forward, interleaved or not, costs a read of each.
 */
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
  @Test
  void atAndHistoryOverTheRunsOfFiveDevicesInterleavedReadEachRunOnce() throws Exception {
    try (Cfost db = open("c.db"); DocumentStore store = new DocumentStore(db, new AtomicLong(1L << 40)::incrementAndGet,
        1000)) {
      long h = (1L << 41);
      RevisionRecord create = new RevisionRecord("d", h, site(9), "u", RevisionRecord.Kind.CREATE,
          RevisionRecord.Action.CREATE, "T", Json.parse("{\"t\":[]}", "json"), null, null, 0);
      insert(db, create.id(), create.encode());
      for (int device = 0; device < 5; device++) { // device k writes at h + 1 + k + 5 i: the runs interleave
        RevisionRun.Builder run = new RevisionRun.Builder();
        for (int i = 0; i < 180; i++) {
          run.add(new RevisionRecord("d", h + 1 + device + 5L * i, site(device), "u", RevisionRecord.Kind.UPDATE,
              RevisionRecord.Action.PATCH, null, null, JsonPatch.parse(Json.parse(
                  "[{\"op\":\"add\",\"path\":\"/t/-\",\"value\":" + i + "}]", "patch")), null, 0));
        }
        insert(db, run.key(), run.body());
      }
      Documents docs = store.forUser("u");
      assertThat(docs.get("d").orElseThrow().version()).isEqualTo(901);
      int before;
      synchronized (store) {
        before = store.runs.loads();
      }
      assertThat(docs.at("d", 900).content().get("t").size()).isEqualTo(899);
      assertThat(docs.history("d", 1, 1000)).hasSize(901);
      synchronized (store) {
        assertThat(store.runs.loads() - before).as("runs read back for at and history").isLessThanOrEqualTo(6);
      }
    }
  }

  private static byte[] site(int n) {
    byte[] site = new byte[16];
    java.util.Arrays.fill(site, (byte) (n + 1));
    return site;
  }

  /** A row as a peer's: written on a connection of its own, captured and folded like any. */
  private static void insert(Cfost db, long key, Object body) throws Exception {
    try (java.sql.Connection c = db.connect();
        java.sql.PreparedStatement ps = c.prepareStatement("INSERT INTO document_revisions(id, body) VALUES (?, ?)")) {
      ps.setLong(1, key);
      ps.setObject(2, body);
      ps.executeUpdate();
    }
  }
}
