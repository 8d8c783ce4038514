package dev.cfost.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cfost.Cfost;
import dev.cfost.Document;
import dev.cfost.DocumentException;
import dev.cfost.Documents;
import dev.cfost.Revision;
import dev.cfost.internal.documents.Json;
import dev.cfost.server.TestPostgres;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PostgreSQL documents keep the library's semantics: the same random sequence of updates (some that
 * fail half-way, some of several patches at once), undos, redos, deletes, restores and time travel, run on
 * the core's SQLite {@link Documents} and on {@link PostgresDocuments}, gives the same outcome at every step
 * (the document, or the refusal's reason) and the same histories. Seeded; the seed is in every failure's
 * message.
 */
class PostgresDocumentsParityIT {
  @TempDir Path dir;

  @Test
  void randomEditsUndosAndTimeTravelGiveTheSameOutcomesAsTheLibrarysDocuments() throws Exception {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    String url = TestPostgres.freshDatabase();
    try (Cfost db = Cfost.open(dir.resolve("docs.db"));
        PostgresPool pool = PostgresPool.open(url, null, null, 2)) {
      pool.tx("migrating", c -> {
        PostgresSchema.migrate(c, PostgresSchema.MIGRATIONS);
        return null;
      });
      Documents sqlite = db.documents("alice");
      Documents pg = new PostgresDocuments(pool, "alice", "0123456789ab", Clock.systemUTC());
      JsonNode first = Json.parse("{\"a\":1,\"b\":\"x\",\"list\":[1,2]}", "content");
      same(seed, "create", sqlite, pg, d -> d.create("d", "Doc", first));
      for (int step = 0; step < 400; step++) {
        String what = "step " + step;
        switch (random.nextInt(10)) {
          case 0, 1, 2 -> {
            JsonNode patch = patch(random);
            same(seed, what + " update " + patch, sqlite, pg, d -> d.update("d", patch));
          }
          case 3 -> { // several patches, all or none: one that fails undoes those before it
            List<JsonNode> patches = new java.util.ArrayList<>();
            for (int n = 1 + random.nextInt(3); n > 0; n--) {
              patches.add(patch(random));
            }
            same(seed, what + " updateEach " + patches, sqlite, pg, d -> d.updateEach("d", patches));
          }
          case 4 -> same(seed, what + " undo", sqlite, pg, d -> d.undo("d"));
          case 5 -> same(seed, what + " redo", sqlite, pg, d -> d.redo("d"));
          case 6 -> same(seed, what + " delete", sqlite, pg, d -> d.delete("d"));
          case 7 -> same(seed, what + " restore", sqlite, pg, d -> d.restore("d"));
          case 8 -> {
            long version = 1 + random.nextInt((int) sqlite.history("d").size() + 1);
            same(seed, what + " at " + version, sqlite, pg, d -> d.at("d", version));
          }
          default -> {
            ObjectNode content = Json.MAPPER.createObjectNode().put("a", random.nextInt(3));
            same(seed, what + " replace " + content, sqlite, pg, d -> d.replace("d", content));
          }
        }
      }
      List<Revision> expected = sqlite.history("d");
      List<Revision> actual = pg.history("d");
      assertThat(actual).as("seed %d: history length", seed).hasSameSizeAs(expected);
      for (int i = 0; i < expected.size(); i++) {
        Revision e = expected.get(i);
        Revision a = actual.get(i);
        String at = "seed " + seed + ": revision " + (i + 1);
        assertThat(a.version()).as(at).isEqualTo(e.version());
        assertThat(a.kind()).as(at).isEqualTo(e.kind());
        assertThat(a.user()).as(at).isEqualTo(e.user());
        assertThat(a.paths()).as(at).isEqualTo(e.paths());
        assertThat(sameJson(a.patch(), e.patch())).as(at + " patch %s vs %s", a.patch(), e.patch()).isTrue();
        assertThat(sameJson(a.reverse(), e.reverse())).as(at + " reverse %s vs %s", a.reverse(), e.reverse()).isTrue();
        assertThat(a.target() == null).as(at + " target").isEqualTo(e.target() == null);
      }
    }
  }

  /** A patch of one or two operations on the document's members; some do not apply, some fail half-way. */
  private static JsonNode patch(Random random) {
    ArrayNode p = Json.MAPPER.createArrayNode();
    int ops = 1 + random.nextInt(2);
    for (int i = 0; i < ops; i++) {
      switch (random.nextInt(5)) {
        case 0 -> p.addObject().put("op", "replace").put("path", "/a").put("value", random.nextInt(5));
        case 1 -> p.addObject().put("op", "add").put("path", "/list/-").put("value", random.nextInt(100));
        case 2 -> p.addObject().put("op", "remove").put("path", "/list/0");
        case 3 -> p.addObject().put("op", "add").put("path", "/k" + random.nextInt(4)).put("value", "v");
        default -> p.addObject().put("op", "remove").put("path", "/b");
      }
    }
    return p;
  }

  private static void same(long seed, String what, Documents sqlite, Documents pg, Function<Documents, Document> op) {
    Object expected = outcome(sqlite, op);
    Object actual = outcome(pg, op);
    if (expected instanceof Document e && actual instanceof Document a) {
      assertThat(a.version()).as("seed %d, %s: version", seed, what).isEqualTo(e.version());
      assertThat(a.deleted()).as("seed %d, %s: deleted", seed, what).isEqualTo(e.deleted());
      assertThat(a.title()).as("seed %d, %s: title", seed, what).isEqualTo(e.title());
      assertThat(Json.same(a.content(), e.content())).as("seed %d, %s: %s vs %s", seed, what, a.content(),
          e.content()).isTrue();
    } else {
      assertThat(actual).as("seed %d, %s", seed, what).isEqualTo(expected);
    }
  }

  /** The document, or the refusal's reason. */
  private static Object outcome(Documents d, Function<Documents, Document> op) {
    try {
      return op.apply(d);
    } catch (DocumentException e) {
      return e.reason();
    }
  }

  private static boolean sameJson(JsonNode a, JsonNode b) {
    return a == null || b == null ? a == b : Json.same(a, b);
  }
}
