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
}
