package dev.cfost;

import static dev.cfost.TestDb.dump;
import static dev.cfost.TestDb.open;
import static dev.cfost.TestDb.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Invariant 7: a malformed or unknown change refuses the whole batch, names what was wrong, applies nothing. */
class HostileInputTest {
  static final byte[] SITE = new byte[16];
  static final byte[] PK_T1 = Values.unhex("010b027431"); // ('t1')

  @TempDir Path dir;
  final AtomicLong now = new AtomicLong(1_800_000_000_000L);
  Cfost db;

  @BeforeEach
  void open() {
    db = TestDb.open(dir.resolve("h.db"), now::get);
    sql(db, "CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT)");
    db.replicate("todo");
  }

  @AfterEach
  void close() {
    db.close();
  }

  private static Change good(String id, String title) {
    return new Change("todo", PackedKeyOf.text(id), "title", title, 5, 1, SITE, 1, 0);
  }

  private void assertRefused(Change bad, String... messageParts) {
    long version = db.dbVersion();
    List<Change> batch = List.of(good("a", "ok"), bad, good("b", "ok"));
    var thrown = assertThatThrownBy(() -> db.merge(batch)).isInstanceOf(InvalidChangeException.class)
        .hasMessageContaining("change #1");
    for (String part : messageParts) {
      thrown.hasMessageContaining(part);
    }
    assertThat(dump(db, "todo")).as("nothing of the batch applied").isEmpty();
    assertThat(db.dbVersion()).isEqualTo(version);
  }

  @Test
  void anUnknownTableIsRefused() {
    assertRefused(new Change("nope\"; DROP TABLE todo; --", PK_T1, "title", "x", 1, 1, SITE, 1, 0),
        "unknown table 'nope\"; DROP TABLE todo; --'");
  }

  @Test
  void anUnknownColumnIsRefused() {
    assertRefused(new Change("todo", PK_T1, "owner", "x", 1, 1, SITE, 1, 0), "table 'todo' column 'owner' does not exist");
  }

  @Test
  void aKeyColumnAsCidIsRefused() {
    assertRefused(new Change("todo", PK_T1, "id", "x", 1, 1, SITE, 1, 0), "column 'id' is a primary-key column");
  }

  @Test
  void malformedKeysAreRefused() {
    assertRefused(new Change("todo", Values.unhex("010b0974"), "title", "x", 1, 1, SITE, 1, 0), "field 'pk'", "malformed");
    assertRefused(new Change("todo", Values.unhex("020b01740901"), "title", "x", 1, 1, SITE, 1, 0),
        "has 2 columns; the primary key [id] has 1");
    assertRefused(new Change("todo", Values.unhex("0105"), "title", "x", 1, 1, SITE, 1, 0), "key column 'id' is NULL");
    assertRefused(new Change("todo", null, "title", "x", 1, 1, SITE, 1, 0), "field 'pk' is missing");
  }

  @Test
  void aKeyThatSqliteWouldConvertInWaysNotReproducedIsRefused() {
    assertRefused(new Change("todo", dev.cfost.internal.PackedKey.pack(List.of(1.5)), "title", "x", 1, 1, SITE, 1, 0),
        "key column 'id' is a REAL, which SQLite would store as text");
    sql(db, "CREATE TABLE nums(id INTEGER NOT NULL PRIMARY KEY, body TEXT)");
    db.replicate("nums");
    assertRefused(new Change("nums", PackedKeyOf.text(" 1e3 "), "body", "x", 1, 1, SITE, 1, 0),
        "key column 'id' is text ' 1e3 ', which SQLite would store as a number");
  }

  @Test
  void aTextKeyForARowidTableIsRefused() {
    sql(db, "CREATE TABLE notes(id INTEGER PRIMARY KEY NOT NULL, body TEXT)");
    db.replicate("notes");
    assertRefused(new Change("notes", PackedKeyOf.text("n1"), "body", "x", 1, 1, SITE, 1, 0),
        "table 'notes'", "key column 'id' is INTEGER PRIMARY KEY (the rowid) and holds integers only, not TEXT");
  }

  @Test
  void otherMalformedFieldsAreRefused() {
    assertRefused(new Change("todo", PK_T1, "title", "x", 1, 1, new byte[15], 1, 0), "field 'site_id' must be 16 bytes");
    assertRefused(new Change("todo", PK_T1, "title", "x", 1, 1, SITE, 0, 0), "field 'cl' must be >= 1");
    assertRefused(new Change("todo", PK_T1, "title", "x", -1, 1, SITE, 1, 0), "field 'col_version' must be >= 0");
    assertRefused(new Change("todo", PK_T1, "-1", "x", 2, 1, SITE, 2, 0), "sentinel", "must be null");
    assertRefused(new Change("todo", PK_T1, "title", new java.util.Date(), 1, 1, SITE, 1, 0), "unsupported type");
    assertRefused(new Change("todo", PK_T1, "title", Double.NaN, 1, 1, SITE, 1, 0), "NaN");
    assertRefused(new Change(null, PK_T1, "title", "x", 1, 1, SITE, 1, 0), "field 'table' is missing");
    assertRefused(new Change("todo", PK_T1, null, "x", 1, 1, SITE, 1, 0), "field 'cid' is missing");
  }

  @Test
  void aCausalLengthBeyondTwoToThe53IsRefused() {
    // Left in, a later local delete of the row would overflow cl + 1 and every receiver would refuse it.
    assertRefused(new Change("todo", PK_T1, "title", "x", 1, 1, SITE, Long.MAX_VALUE, 0), "field 'cl'", "2^53");
    assertRefused(new Change("todo", PK_T1, "title", "x", 1, 1, SITE, 1L << 53, 0), "field 'cl'");
    db.merge(List.of(new Change("todo", PK_T1, "title", "x", 1, 1, SITE, (1L << 53) - 1, 0)));
    assertThat(dump(db, "todo")).containsExactly("text:t1 | text:x");
  }

  @Test
  void aColVersionBeyondTwoToThe62IsRefusedWhateverTheDriftAllowed() {
    db.close();
    db = Cfost.open(CfostOptions.builder(dir.resolve("d.db")).captureInterval(java.time.Duration.ZERO)
        .wallClock(now::get).maxDrift(java.time.Duration.ofMillis(Long.MAX_VALUE)).build());
    sql(db, "CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT)");
    db.replicate("todo");
    assertRefused(new Change("todo", PK_T1, "title", "x", Long.MAX_VALUE - 1, 1, SITE, 1, 0), "field 'col_version'",
        "2^62");
    assertRefused(new Change("todo", PK_T1, "title", "x", 1L << 62, 1, SITE, 1, 0), "field 'col_version'");
  }

  @Test
  void aClockTooFarAheadRefusesTheBatchWithAClockError() {
    long ahead = ((now.get() + 61_000) << 16);
    List<Change> batch = List.of(good("a", "ok"), new Change("todo", PK_T1, "title", "x", ahead, 1, SITE, 1, 0));
    assertThatThrownBy(() -> db.merge(batch)).isInstanceOf(ClockDriftException.class).hasMessageContaining("ahead");
    assertThat(dump(db, "todo")).isEmpty();
    // Not adopted: a local edit afterwards carries a clock near the local wall clock.
    sql(db, "INSERT INTO todo VALUES ('local', 'x')");
    Change mine = TestDb.allChanges(db, 10).get(0);
    assertThat(mine.colVersion() >>> 16).isEqualTo(now.get());
  }

  @Test
  void malformedJsonLinesNameTheField() {
    assertThatThrownBy(() -> ChangeJson.read("{\"table\":\"todo\"}", 4)).hasMessageContaining("change #4")
        .hasMessageContaining("field 'pk' is missing");
    assertThatThrownBy(() -> ChangeJson.read("{not json", 0)).hasMessageContaining("not valid JSON");
    String line = ChangeJson.write(good("a", "x"));
    assertThatThrownBy(() -> ChangeJson.read(line.replace("\"pk\":\"", "\"pk\":\"zz"), 0))
        .hasMessageContaining("field 'pk' is not hex");
    assertThatThrownBy(() -> ChangeJson.read(line.replace("\"cl\":1", "\"cl\":1.5"), 0))
        .hasMessageContaining("field 'cl' must be an integer");
    assertThatThrownBy(() -> ChangeJson.read(line.replace("\"seq\":0", "\"seq\":99999999999999999999"), 0))
        .hasMessageContaining("outside the 64-bit range");
    assertThatThrownBy(() -> ChangeJson.read(line.replace("\"val\":\"x\"", "\"val\":[1]"), 0))
        .hasMessageContaining("field 'val' must be");
  }

  /** Packs single text keys for the tests above. */
  static final class PackedKeyOf {
    static byte[] text(String s) {
      return dev.cfost.internal.PackedKey.pack(List.of(s));
    }
  }
}
