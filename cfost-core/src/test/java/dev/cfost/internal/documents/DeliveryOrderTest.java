package dev.cfost.internal.documents;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import dev.cfost.ChangeBatch;
import dev.cfost.Cursor;
import dev.cfost.DocumentException;
import dev.cfost.Documents;
import dev.cfost.Revision;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two writers edit one document concurrently (their clocks interleave, so each one's revisions land between
 * the other's); two readers receive them in opposite orders and batch sizes, folding in small windows with
 * small checkpoint intervals between deliveries, so they rewind across windows and drop checkpoints. All
 * four end with the same content, the same history and the same document at every third version.
 */
class DeliveryOrderTest {
  @TempDir Path dir;

  @Test
  void readersReceivingTwoWritersInOppositeOrdersAgreeOnHistoryAndPastVersions() {
    for (int seed = 0; seed < 4; seed++) {
      run(seed);
    }
  }

  private void run(int seed) {
    AtomicLong clockA = new AtomicLong(1L << 40);
    AtomicLong clockB = new AtomicLong((1L << 40) + 1);
    AtomicLong clock1 = new AtomicLong(1L << 40);
    AtomicLong clock2 = new AtomicLong(1L << 40);
    String s = "seed" + seed + "-";
    try (Cfost a = open(s + "a.db"); Cfost b = open(s + "b.db"); Cfost r1 = open(s + "r1.db");
        Cfost r2 = open(s + "r2.db");
        DocumentStore storeA = new DocumentStore(a, () -> clockA.addAndGet(2), 7, 30);
        DocumentStore storeB = new DocumentStore(b, () -> clockB.addAndGet(2), 7, 30);
        DocumentStore store1 = new DocumentStore(r1, clock1::incrementAndGet, 7, 30);
        DocumentStore store2 = new DocumentStore(r2, clock2::incrementAndGet, 5, 20)) {
      Documents ann = storeA.forUser("u");
      Documents bob = storeB.forUser("u");
      Documents first = store1.forUser("x");
      Documents second = store2.forUser("x");
      ann.create("d", "T", Json.parse("{\"t\":[1,2,3],\"v\":0}", "json"));
      send(a, b, 1000);
      Random r = new Random(seed);
      for (int round = 0; round < 4; round++) {
        edits(r, round * 1000).forEach(p -> refusable(ann, d -> d.update("d", p)));
        if (r.nextBoolean()) {
          refusable(ann, d -> d.updateEach("d", edits(r, 500).subList(0, 5)));
        }
        edits(r, round * 1000 + 100).forEach(p -> refusable(bob, d -> d.update("d", p)));
        refusable(bob, d -> d.undo("d"));
        send(a, r1, 7); // first: ann's, then bob's; second: bob's, then ann's
        first.get("d");
        send(b, r1, 1000);
        first.get("d");
        send(b, r2, 3);
        second.get("d");
        send(a, r2, 1000);
        second.get("d");
        if (r.nextBoolean()) { // the writers see each other now and then
          send(a, b, 13);
          send(b, a, 11);
        }
      }
      send(a, b, 1000);
      send(b, a, 1000);
      List<Revision> history = ann.history("d");
      for (Documents d : List.of(bob, first, second)) {
        assertThat(d.get("d").orElseThrow().content()).as("seed %d", seed)
            .isEqualTo(ann.get("d").orElseThrow().content());
        assertThat(d.history("d")).as("seed %d", seed).extracting(Revision::id, Revision::applied)
            .containsExactlyElementsOf(history.stream()
                .map(x -> org.assertj.core.groups.Tuple.tuple(x.id(), x.applied())).toList());
        for (int v = 1; v <= history.size(); v += 3) {
          long version = v;
          assertThat(outcome(d, x -> x.at("d", version).content())).as("seed %d, version %d", seed, v)
              .isEqualTo(outcome(ann, x -> x.at("d", version).content()));
        }
      }
    }
  }

  private Cfost open(String name) {
    return Cfost.open(CfostOptions.builder(dir.resolve(name)).captureInterval(Duration.ZERO).build());
  }

  /** Sends what {@code to} has not yet received from {@code from}, {@code batch} changes a merge. */
  private static void send(Cfost from, Cfost to, int batch) {
    Cursor cursor = to.peerCursor(from.siteId());
    while (true) {
      ChangeBatch b = from.changes(cursor, batch);
      to.merge(b.changes());
      cursor = b.next();
      to.savePeerCursor(from.siteId(), cursor);
      if (b.caughtUp()) {
        return;
      }
    }
  }

  /** 20 to 49 edits, adds and removes at the front and replaces: removes may find the array empty. */
  private static List<JsonNode> edits(Random r, int base) {
    List<JsonNode> out = new ArrayList<>();
    for (int i = 0, n = 20 + r.nextInt(30); i < n; i++) {
      int kind = r.nextInt(3);
      out.add(Json.parse(kind == 0 ? "[{\"op\":\"add\",\"path\":\"/t/0\",\"value\":" + (base + i) + "}]"
          : kind == 1 ? "[{\"op\":\"remove\",\"path\":\"/t/0\"}]"
          : "[{\"op\":\"replace\",\"path\":\"/v\",\"value\":" + (base + i) + "}]", "patch"));
    }
    return out;
  }

  /** An edit the schedule makes whether or not it applies (a remove from an empty array is refused). */
  private static void refusable(Documents d, java.util.function.Consumer<Documents> edit) {
    try {
      edit.accept(d);
    } catch (DocumentException refused) {
      assertThat(refused.reason()).isIn(DocumentException.Reason.PATCH_FAILED, DocumentException.Reason.CANNOT_UNDO);
    }
  }

  /** The result, or the reason it was refused. */
  private static Object outcome(Documents d, Function<Documents, Object> read) {
    try {
      return read.apply(d);
    } catch (DocumentException e) {
      return e.reason();
    }
  }
}
