package dev.cfost;

import static dev.cfost.TestDb.dump;
import static dev.cfost.TestDb.open;
import static dev.cfost.TestDb.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.internal.PackedKey;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The merge finds a row's clocks whatever the key's value type and the key column's declared type, also
 * when it looks many keys up at once: a key that SQLite converts on storage (a number in a TEXT column)
 * must still find its row, or a second change for it would be taken for a new row.
 */
class KeyLookupTest {
  private static final byte[] SITE = Values.unhex("0102030405060708090a0b0c0d0e0f10");
  private static final int ROWS = 600; // more than two batches of the engine's multi-key lookup

  @TempDir Path dir;

  @ParameterizedTest(name = "{0} key given as {1}")
  @CsvSource({
      "TEXT, text", "TEXT, integer", "TEXT, blob",
      "INTEGER, integer",
      "BLOB, blob", "BLOB, integer", "BLOB, real", "'', text",
      "REAL, real", "REAL, integer",
      "NUMERIC, integer", "NUMERIC, text"})
  void laterBatchesFindEachRowsClocks(String declared, String given) {
    try (Cfost db = open(dir.resolve("k.db"))) {
      sql(db, "CREATE TABLE t(id " + declared + " PRIMARY KEY NOT NULL, v TEXT)");
      db.replicate("t");
      db.merge(changes(given, 3, "third"));
      // Older versions of the same cells must lose: only a lookup that finds the row's clocks knows.
      db.merge(changes(given, 2, "second"));
      db.merge(changes(given, 1, "first"));

      List<String> rows = dump(db, "t");
      assertThat(rows).hasSize(ROWS);
      assertThat(rows).allSatisfy(r -> assertThat(r).endsWith("| text:third"));
      List<Change> out = db.changes(Cursor.START, 10 * ROWS).changes();
      assertThat(out).filteredOn(c -> !c.isSentinel()).hasSize(ROWS).allMatch(c -> "third".equals(c.val()));
    }
  }

  /** For each row a sentinel and a value at {@code version}. */
  private static List<Change> changes(String type, long version, String value) {
    List<Change> out = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) {
      byte[] pk = PackedKey.pack(List.of(key(type, i)));
      out.add(new Change("t", pk, Change.SENTINEL, null, 1, 1, SITE, 1, 0));
      out.add(new Change("t", pk, "v", value, version, 1, SITE, 1, 1));
    }
    return out;
  }

  private static Object key(String type, int i) {
    switch (type) {
      case "integer":
        return (long) (i * 7919 % 1000) + 1000L * (i / 1000);
      case "real":
        return i + 0.5;
      case "blob":
        return new byte[] {(byte) (i >> 8), (byte) i};
      default:
        return "k" + i;
    }
  }
}
