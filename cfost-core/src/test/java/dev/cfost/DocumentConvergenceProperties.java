package dev.cfost;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;

/**
 * Documents converge: three replicas edit one document concurrently (array insertions, removals and
 * moves, replacements, object members, undo, redo, delete, restore) while the engine's real change
 * exchange moves partial batches between their SQLite files in random order; once every replica has
 * every revision, all hold the same document and the same history, no-ops and their reasons included.
 */
class DocumentConvergenceProperties {
  /** One step: an edit on a replica, a partial delivery from one replica to another, or a clock tick. */
  record Step(int kind, int replica, int other, int index, int value, int batch) {}

  @Provide
  Arbitrary<List<Step>> scenarios() {
    Arbitrary<Step> step = Combinators.combine(
            Arbitraries.integers().between(0, 14),
            Arbitraries.integers().between(0, 2),
            Arbitraries.integers().between(0, 2),
            Arbitraries.integers().between(0, 5),
            Arbitraries.integers().between(0, 9),
            Arbitraries.integers().between(1, 7))
        .as(Step::new);
    return step.list().ofMinSize(5).ofMaxSize(30);
  }

  @Property(tries = 25, shrinking = ShrinkingMode.BOUNDED)
  void replicasHoldTheSameDocumentAndHistory(@ForAll("scenarios") List<Step> steps) throws Exception {
    Path dir = Files.createTempDirectory("cfost-docs-prop");
    AtomicLong now = new AtomicLong(1_800_000_000_000L);
    List<Cfost> dbs = new ArrayList<>();
    List<Documents> docs = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        Cfost db = TestDb.openAsSite(CfostOptions.builder(dir.resolve("r" + i + ".db"))
            .captureInterval(Duration.ZERO).wallClock(now::get).build(), i + 1);
        dbs.add(db);
        docs.add(db.documents("user" + i));
      }
      docs.get(0).create("d", "Doc", DocumentsTest.json("{'list':[0,1,2],'a':0,'o':{}}"));
      for (int i = 1; i < 3; i++) {
        TestDb.pull(dbs.get(i), dbs.get(0), 100);
      }
      for (Step s : steps) {
        apply(s, dbs, docs, now);
      }
      for (int round = 0; round < 2; round++) {
        for (int to = 0; to < 3; to++) {
          for (int from = 0; from < 3; from++) {
            if (to != from) {
              TestDb.pull(dbs.get(to), dbs.get(from), 5);
            }
          }
        }
      }
      List<String> first = dump(docs.get(0));
      for (int i = 1; i < 3; i++) {
        assertThat(dump(docs.get(i))).as("replica " + i).isEqualTo(first);
      }
    } finally {
      for (Cfost db : dbs) {
        db.close();
      }
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(dir);
    }
  }

  private static void apply(Step s, List<Cfost> dbs, List<Documents> docs, AtomicLong now) {
    Documents d = docs.get(s.replica());
    JsonNode v = JsonNodeFactory.instance.numberNode(s.value());
    try {
      switch (s.kind()) {
        case 0, 1 -> d.update("d", patch("add", "/list/" + s.index(), v));
        case 2 -> d.update("d", patch("remove", "/list/" + s.index(), null));
        case 3 -> d.update("d", patch("replace", "/a", v));
        case 4 -> d.update("d", patch("add", "/o/k" + s.index(), v));
        case 5 -> d.update("d", DocumentsTest.json("[{'op':'move','from':'/list/" + s.index() + "','path':'/list/0'}]"));
        case 6 -> d.undo("d");
        case 7 -> d.redo("d");
        case 8 -> d.delete("d");
        case 9 -> d.restore("d");
        case 10, 11 -> deliver(dbs.get(s.other()), dbs.get(s.replica()), s.batch());
        case 12 -> d.update("d", patch("remove", "/o/k" + s.index(), null));
        case 13 -> d.updateEach("d", run(s)); // one replicated row for several revisions
        default -> now.addAndGet(s.value());
      }
    } catch (DocumentException refused) {
      // The edit did not apply to this replica's current version: nothing was written, which is the point.
    }
  }

  /** {@code batch} patches in a row: insertions at the list's head and replaces of /a, as typing makes them. */
  private static List<JsonNode> run(Step s) {
    List<JsonNode> out = new ArrayList<>();
    for (int k = 0; k < s.batch(); k++) {
      JsonNode v = JsonNodeFactory.instance.numberNode(s.value() * 10 + k);
      out.add(k % 3 == 2 ? patch("replace", "/a", v) : patch("add", "/list/" + Math.min(k, s.index() % 2), v));
    }
    return out;
  }

  /** One batch of {@code from}'s change stream merged into {@code to}, as a sync session does it. */
  private static void deliver(Cfost to, Cfost from, int batch) {
    if (to == from) {
      return;
    }
    Cursor cursor = to.peerCursor(from.siteId());
    ChangeBatch b = from.changes(cursor, batch);
    if (!b.changes().isEmpty()) {
      to.merge(b.changes());
    }
    to.savePeerCursor(from.siteId(), b.next());
  }

  private static JsonNode patch(String op, String path, JsonNode value) {
    var o = JsonNodeFactory.instance.objectNode().put("op", op).put("path", path);
    if (value != null) {
      o.set("value", value);
    }
    return JsonNodeFactory.instance.arrayNode().add(o);
  }

  /** The document's current state and every revision's fields, as text. */
  private static List<String> dump(Documents docs) {
    List<String> out = new ArrayList<>();
    Document cur = docs.list(DocumentQuery.ALL.includeDeleted(true)).get(0);
    out.add(cur.version() + " " + cur.deleted() + " " + cur.content() + " " + cur.updatedBy());
    for (Revision r : docs.history("d")) {
      out.add(r.version() + " " + r.id() + " " + r.kind() + " " + r.user() + " " + r.applied() + " " + r.reason()
          + " " + r.patch() + " " + r.reverse() + " " + r.target());
    }
    return out;
  }
}
