package dev.cfost;

import static dev.cfost.TestDb.dump;
import static dev.cfost.TestDb.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Changes from a peer with a newer schema are not applied, and not lost either. */
class DeferredChangesTest {
  @TempDir Path dir;

  @Test
  void changesForUnknownColumnsAndTablesWaitUntilTheSchemaCatchesUp() {
    try (Cfost newer = TestDb.open(dir.resolve("new.db")); Cfost older = TestDb.open(dir.resolve("old.db"))) {
      sql(newer, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v, color TEXT)", "CREATE TABLE extra(id TEXT PRIMARY KEY NOT NULL, x)");
      newer.replicate("t");
      newer.replicate("extra");
      sql(older, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
      older.replicate("t");

      sql(newer, "INSERT INTO t VALUES ('r', 1, 'blue')", "INSERT INTO extra VALUES ('e', 'x')");
      List<Change> changes = TestDb.allChanges(newer, 100);
      assertThatThrownBy(() -> older.merge(changes)).isInstanceOf(InvalidChangeException.class);

      MergeResult result = older.mergeAll(changes.iterator(), true);
      assertThat(result.deferred()).isEqualTo(2);
      assertThat(dump(older, "t")).containsExactly("text:r | integer:1");

      older.addColumn("t", "color TEXT");
      assertThat(dump(older, "t")).containsExactly("text:r | integer:1 | text:blue");
      sql(older, "CREATE TABLE extra(id TEXT PRIMARY KEY NOT NULL, x)");
      older.replicate("extra");
      assertThat(dump(older, "extra")).containsExactly("text:e | text:x");
      assertThat(dump(older, "t")).isEqualTo(dump(newer, "t"));
    }
  }

  private static final byte[] SITE = Values.unhex("0102030405060708090a0b0c0d0e0f10");

  private static Change change(String table, byte[] pk, String cid, Object val) {
    return new Change(table, pk, cid, val, 5, 1, SITE, 1, 0);
  }

  private static byte[] pk(Object... parts) {
    return dev.cfost.internal.PackedKey.pack(java.util.Arrays.asList(parts));
  }

  @Test
  void aDeferredChangeThatBreaksAConstraintIsSetAsideAndNeitherWritesNorOpenFail() {
    Path file = dir.resolve("old.db");
    try (Cfost older = TestDb.open(file)) {
      sql(older, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
      older.replicate("t");
      MergeResult result = older.mergeAll(List.of(change("t", pk("r1"), "v", 1L), change("t", pk("r2"), "v", 2L),
          change("t", pk("r1"), "color", "blue"), change("t", pk("r2"), "color", "red")).iterator(), true);
      assertThat(result.deferred()).isEqualTo(2);
      // The application's own migration, through its own connection: the next engine write retries.
      sql(older, "ALTER TABLE t ADD COLUMN color TEXT CHECK (color <> 'red')");
      sql(older, "INSERT INTO t(id, v) VALUES ('local', 3)");
      older.capture();
      assertThat(dump(older, "t")).containsExactly("text:local | integer:3 | null:null",
          "text:r1 | integer:1 | text:blue", "text:r2 | integer:2 | null:null");
      assertThat(older.failedDeferredChanges()).isEqualTo(1);
    }
    try (Cfost reopened = TestDb.open(file)) {
      sql(reopened, "INSERT INTO t(id, v) VALUES ('after', 4)");
      reopened.capture();
      assertThat(dump(reopened, "t")).hasSize(4);
      assertThat(reopened.failedDeferredChanges()).isEqualTo(1);
    }
  }

  @Test
  void aDeferredChangeWhoseKeyDoesNotFitTheTableIsSetAside() {
    try (Cfost older = TestDb.open(dir.resolve("old.db"))) {
      sql(older, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
      older.replicate("t");
      older.mergeAll(List.of(change("extra", pk("a", "b"), "x", 1L), change("extra", pk("e"), "x", 2L),
          change("extra", pk("n"), "x", -1L)).iterator(), true);
      sql(older, "CREATE TABLE extra(id TEXT PRIMARY KEY NOT NULL, x CHECK (x > 0))");
      older.replicate("extra");
      assertThat(dump(older, "extra")).containsExactly("text:e | integer:2");
      assertThat(older.failedDeferredChanges()).isEqualTo(2);
      older.merge(List.of(change("t", pk("r"), "v", 1L)));
      assertThat(dump(older, "t")).containsExactly("text:r | integer:1");
    }
  }

  @Test
  void aDeferredChangeWithANullKeyPartIsRefusedOnArrival() {
    try (Cfost older = TestDb.open(dir.resolve("old.db"))) {
      sql(older, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
      older.replicate("t");
      assertThatThrownBy(() -> older.mergeAll(List.of(change("extra", pk("a", null), "x", 1L)).iterator(), true))
          .isInstanceOf(InvalidChangeException.class).hasMessageContaining("key column #2 is NULL");
      assertThatThrownBy(() -> older.mergeAll(List.of(change("t", pk(1.5), "color", 1L)).iterator(), true))
          .isInstanceOf(InvalidChangeException.class).hasMessageContaining("key column 'id' is a REAL");
    }
  }

  @Test
  void aDamagedDeferredRowIsSetAsideAndTheSchemaChangeStillHappens() {
    try (Cfost older = TestDb.open(dir.resolve("old.db"))) {
      sql(older, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
      older.replicate("t");
      older.mergeAll(List.of(change("extra", pk("e"), "x", 2L)).iterator(), true);
      sql(older, "INSERT INTO cfost_deferred(tbl, change) VALUES ('extra', '{not json')");
      sql(older, "CREATE TABLE extra(id TEXT PRIMARY KEY NOT NULL, x)");
      older.replicate("extra");
      assertThat(dump(older, "extra")).containsExactly("text:e | integer:2");
      assertThat(older.failedDeferredChanges()).isEqualTo(1);
    }
  }
}
