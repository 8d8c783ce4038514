package dev.cfost.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cfost.Cfost;
import dev.cfost.Document;
import dev.cfost.DocumentQuery;
import dev.cfost.Documents;
import dev.cfost.internal.documents.Json;
import dev.cfost.server.TestPostgres;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pointer filter finds on PostgreSQL what it finds in the library's documents: an array is entered only
 * by an RFC 6901 index ({@code 0} or digits without a leading zero), although PostgreSQL's {@code #>}
 * also reads {@code -1} (from the end), {@code 01}, {@code +1} and {@code " 1"} as array indexes.
 */
class PostgresDocumentPointerIT {
  @TempDir Path dir;

  @Test
  void aTokenThatIsNoRfc6901IndexFindsNothingInAnArrayOnBothStores() throws Exception {
    String url = TestPostgres.freshDatabase();
    try (Cfost db = Cfost.open(dir.resolve("docs.db"));
        PostgresPool pool = migratedPool(url)) {
      Documents sqlite = db.documents("alice");
      Documents pg = new PostgresDocuments(pool, "alice", "0123456789ab", Clock.systemUTC());
      JsonNode content = Json.parse("{\"grid\":[[\"a\",\"b\",\"c\"]],\"NULL\":[\"n\"]}", "content");
      for (Documents d : List.of(sqlite, pg)) {
        d.create("m", "Matrix", content);
      }
      String[][] filters = {{"/grid/0/-1", "\"c\""}, {"/grid/0/01", "\"b\""}, {"/grid/0/+1", "\"b\""},
          {"/grid/0/ 1", "\"b\""}, {"/grid/0/1", "\"b\""}, {"/NULL/0", "\"n\""}};
      for (String[] f : filters) {
        DocumentQuery q = DocumentQuery.ALL.where(f[0], Json.parse(f[1], "value"));
        assertThat(ids(pg.list(q))).as("pointer '%s'", f[0]).isEqualTo(ids(sqlite.list(q)));
      }
      assertThat(ids(pg.list(DocumentQuery.ALL.where("/grid/0/1", Json.parse("\"b\"", "value")))))
          .as("a real index finds it").containsExactly("m");
    }
  }

  /**
   * A /ws message may be 64 MiB: a pointer of 100,000 tokens, deeper than any document can be (JSON is
   * written at most 1,000 levels deep), finds nothing, as in the library, and at once.
   */
  @Test
  void aPointerDeeperThanAnyDocumentFindsNothingAtOnce() {
    String url = TestPostgres.freshDatabase();
    try (PostgresPool pool = migratedPool(url)) {
      Documents pg = new PostgresDocuments(pool, "alice", "0123456789ab", Clock.systemUTC());
      pg.create("m", "Matrix", Json.parse("{\"grid\":[[1]]}", "content"));
      for (String pointer : List.of("/a".repeat(100_000), "/grid/0" + "/-1".repeat(100_000))) {
        DocumentQuery q = DocumentQuery.ALL.where(pointer, Json.parse("1", "value"));
        List<Document> found = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
            java.time.Duration.ofSeconds(20), () -> pg.list(q));
        assertThat(found).isEmpty();
      }
      assertThat(pg.list(DocumentQuery.ALL.where("/a".repeat(PostgresDocumentQuery.MAX_POINTER_TOKENS),
          Json.parse("{\"b\":1}", "value")))).as("a pointer as deep as allowed, to an object").isEmpty();
      assertThat(ids(pg.list(DocumentQuery.ALL.where("/grid/0/0", Json.parse("1", "value"))))).containsExactly("m");
    }
  }

  /** A pool on the database of {@code url}, with the store's tables. */
  static PostgresPool migratedPool(String url) {
    PostgresPool pool = PostgresPool.open(url, null, null, 2);
    pool.tx("migrating", c -> {
      PostgresSchema.migrate(c, PostgresSchema.MIGRATIONS);
      return null;
    });
    return pool;
  }

  private static List<String> ids(List<Document> documents) {
    return documents.stream().map(Document::id).toList();
  }
}
