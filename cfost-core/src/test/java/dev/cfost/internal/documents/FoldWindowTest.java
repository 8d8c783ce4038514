package dev.cfost.internal.documents;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import dev.cfost.ChangeBatch;
import dev.cfost.Cursor;
import dev.cfost.Document;
import dev.cfost.Documents;
import dev.cfost.Revision;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A merge stores revisions in key order (a hash), not in time order: a replica that folds them in windows
 * smaller than the merge rewinds across windows, and must end with the writer's history all the same.
 */
class FoldWindowTest {
  @TempDir Path dir;

  private Cfost open(String name) {
    return Cfost.open(CfostOptions.builder(dir.resolve(name)).captureInterval(Duration.ZERO).build());
  }

  @Test
  void revisionsMergedInKeyOrderFoldAcrossWindowsIntoTheWritersHistory() {
    AtomicLong clockA = new AtomicLong(1L << 40);
    AtomicLong clockB = new AtomicLong(1L << 40);
    try (Cfost a = open("a.db"); Cfost b = open("b.db");
        DocumentStore writer = new DocumentStore(a, clockA::incrementAndGet, 10, 50);
        DocumentStore reader = new DocumentStore(b, clockB::incrementAndGet, 10, 50)) {
      Documents alice = writer.forUser("alice");
      alice.create("d", "T", Json.parse("{\"t\":[]}", "json"));
      Random r = new Random(3);
      List<JsonNode> patches = new ArrayList<>();
      int size = 0;
      for (int i = 0; i < 300; i++) {
        if (size > 0 && r.nextInt(4) == 0) {
          patches.add(Json.parse("[{\"op\":\"remove\",\"path\":\"/t/" + r.nextInt(size) + "\"}]", "patch"));
          size--;
        } else {
          patches.add(Json.parse("[{\"op\":\"add\",\"path\":\"/t/" + r.nextInt(size + 1) + "\",\"value\":" + i
              + "}]", "patch"));
          size++;
        }
      }
      alice.updateEach("d", patches);

      Cursor cursor = b.peerCursor(a.siteId());
      while (true) { // all in one merge
        ChangeBatch batch = a.changes(cursor, 1000);
        b.merge(batch.changes());
        cursor = batch.next();
        b.savePeerCursor(a.siteId(), cursor);
        if (batch.caughtUp()) {
          break;
        }
      }

      Documents bob = reader.forUser("bob");
      Document got = bob.get("d").orElseThrow();
      assertThat(got.version()).isEqualTo(301);
      assertThat(got.content()).isEqualTo(alice.get("d").orElseThrow().content());
      assertThat(bob.history("d")).extracting(Revision::id)
          .containsExactlyElementsOf(alice.history("d").stream().map(Revision::id).toList());
      assertThat(bob.history("d")).allMatch(Revision::applied);
      for (int v = 1; v <= 301; v += 13) {
        assertThat(bob.at("d", v).content()).as("version %d", v).isEqualTo(alice.at("d", v).content());
      }
    }
  }
}
