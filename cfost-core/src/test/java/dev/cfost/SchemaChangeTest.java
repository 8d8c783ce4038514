package dev.cfost;

import static dev.cfost.TestDb.dump;
import static dev.cfost.TestDb.pull;
import static dev.cfost.TestDb.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A long-running engine survives every schema change an application makes with plain SQL: each is
 * followed, or refused with a clear message, and replication goes on.
 */
class SchemaChangeTest {
  @TempDir Path dir;
  final AtomicLong now = new AtomicLong(1_800_000_000_000L);
  Cfost a;
  Cfost b;

  @BeforeEach
  void openTwoReplicas() {
    a = TestDb.open(dir.resolve("a.db"), now::get);
    b = TestDb.open(dir.resolve("b.db"), now::get);
    for (Cfost db : new Cfost[] {a, b}) {
      sql(db, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v TEXT)", "CREATE TABLE other(id TEXT PRIMARY KEY NOT NULL, x)");
      db.replicate("t");
      db.replicate("other");
    }
  }

  @AfterEach
  void close() {
    a.close();
    b.close();
  }

  private void tick() {
    now.addAndGet(1_000);
  }

  /** The engine still captures, reads and merges: a write to the untouched table reaches b. */
  private void assertEngineWorks(String marker) {
    sql(a, "INSERT INTO other VALUES ('" + marker + "', 1)");
    a.capture();
    pull(b, a, 100);
    assertThat(dump(b, "other")).contains("text:" + marker + " | integer:1");
    sql(b, "INSERT INTO other VALUES ('back-" + marker + "', 2)");
    pull(a, b, 100);
    assertThat(dump(a, "other")).contains("text:back-" + marker + " | integer:2");
  }

  @Test
  void aRefusedMergeRightAfterAPlainSqlAddColumnLeavesTheEngineWorking() {
    sql(a, "ALTER TABLE t ADD COLUMN extra TEXT");
    byte[] site = new byte[16];
    Change bad = new Change("t", dev.cfost.internal.PackedKey.pack(List.of("k")), "nope", 1L, 1, 1, site, 1, 0);
    assertThatThrownBy(() -> a.merge(List.of(bad))).isInstanceOf(InvalidChangeException.class);
    assertEngineWorks("after-refusal");
    sql(a, "INSERT INTO t VALUES ('k', 'v', 'e')");
    sql(b, "ALTER TABLE t ADD COLUMN extra TEXT");
    pull(b, a, 100);
    assertThat(dump(b, "t")).containsExactly("text:k | text:v | text:e");
  }

  @Test
  void aFailedReplicateDoesNotLeaveTheTableListed() {
    sql(a, "CREATE TABLE bad(id TEXT PRIMARY KEY NOT NULL, v TEXT NOT NULL)");
    assertThatThrownBy(() -> a.replicate("bad")).hasMessageContaining("NOT NULL without a default");
    assertThat(a.replicatedTables()).containsExactlyInAnyOrder("other", "t");
    assertEngineWorks("after-failed-replicate");
  }

  @Test
  void aDroppedTableStopsReplicatingWithoutStoppingTheEngine() {
    sql(a, "INSERT INTO t VALUES ('k', 'v')");
    pull(b, a, 100);
    sql(a, "DROP TABLE t");
    assertEngineWorks("after-drop");
    assertThat(a.replicatedTables()).containsExactly("other");
    // b's edits of the dropped table are kept aside on a, not refused: sync goes on.
    tick();
    sql(b, "INSERT INTO t VALUES ('from b', 'b')");
    pull(a, b, 100);
    assertEngineWorks("after-changes-for-a-dropped-table");
  }

  @Test
  void aTableCreatedAgainResumesAndItsRowsAreCaptured() {
    sql(a, "INSERT INTO t VALUES ('k', 'v'), ('gone', 'x')");
    pull(b, a, 100);
    tick();
    // SQLite's way to change a table beyond ALTER: a new table, the rows copied, the old one dropped.
    sql(a, "CREATE TABLE t_new(id TEXT PRIMARY KEY NOT NULL, v TEXT)",
        "INSERT INTO t_new SELECT * FROM t WHERE id <> 'gone'",
        "DROP TABLE t", "ALTER TABLE t_new RENAME TO t", "INSERT INTO t VALUES ('new', 'n')");
    assertEngineWorks("after-rebuild");
    assertThat(a.replicatedTables()).containsExactlyInAnyOrder("other", "t");
    pull(b, a, 100);
    assertThat(dump(b, "t")).containsExactly("text:k | text:v", "text:new | text:n");
    sql(a, "UPDATE t SET v = 'later' WHERE id = 'k'");
    pull(b, a, 100);
    assertThat(dump(b, "t")).isEqualTo(dump(a, "t")).contains("text:k | text:later");
  }

  @Test
  void aTableRenamedAwayNoLongerLogsAndResumesWhenRenamedBack() throws Exception {
    sql(a, "INSERT INTO t VALUES ('k', 'v')");
    a.capture();
    sql(a, "ALTER TABLE t RENAME TO renamed");
    assertEngineWorks("after-rename");
    sql(a, "INSERT INTO renamed VALUES ('while away', 'w')");
    a.capture();
    try (Connection c = a.connect(); Statement s = c.createStatement();
        java.sql.ResultSet rs = s.executeQuery("SELECT count(*) FROM cfost__log_t")) {
      rs.next();
      assertThat(rs.getLong(1)).as("rows logged for t by the renamed table's old triggers").isZero();
    }
    sql(a, "ALTER TABLE renamed RENAME TO t");
    assertEngineWorks("after-rename-back");
    pull(b, a, 100);
    assertThat(dump(b, "t")).containsExactly("text:k | text:v", "text:while away | text:w");
  }

  @Test
  void aRenamedColumnIsFollowedAndItsValuesTravelUnderTheNewName() {
    sql(a, "INSERT INTO t VALUES ('k', 'v')");
    pull(b, a, 100);
    tick();
    sql(a, "ALTER TABLE t RENAME COLUMN v TO w");
    sql(a, "INSERT INTO t VALUES ('k2', 'v2')");
    sql(b, "ALTER TABLE t RENAME COLUMN v TO w");
    assertEngineWorks("after-column-rename");
    pull(b, a, 100);
    assertThat(dump(b, "t")).isEqualTo(dump(a, "t")).containsExactly("text:k | text:v", "text:k2 | text:v2");
    tick();
    sql(b, "UPDATE t SET w = 'edited on b' WHERE id = 'k'");
    pull(a, b, 100);
    assertThat(dump(a, "t")).contains("text:k | text:edited on b");
  }

  /** Found by SchemaChangeProperties: the row's only cells were gone, and a first life sends no sentinel. */
  @Test
  void aRowWhoseOnlyCellsWereRenamedAwayStillArrives() {
    sql(a, "INSERT INTO t(id) VALUES ('only a key')"); // v stays at its default: the rename stamps nothing
    a.capture();
    sql(a, "ALTER TABLE t RENAME COLUMN v TO w");
    sql(b, "ALTER TABLE t RENAME COLUMN v TO w");
    pull(b, a, 100);
    assertThat(dump(b, "t")).containsExactly("text:only a key | null:null");
  }

  @Test
  void aColumnRenamedBackIsWrittenAnewEvenWhereItHoldsItsDefault() {
    sql(a, "INSERT INTO t VALUES ('k', 'v')");
    pull(b, a, 100);
    tick();
    sql(a, "ALTER TABLE t RENAME COLUMN v TO w");
    a.capture();
    sql(a, "UPDATE t SET w = NULL WHERE id = 'k'");
    a.capture();
    sql(a, "ALTER TABLE t RENAME COLUMN w TO v");
    assertEngineWorks("after-rename-back");
    pull(b, a, 100);
    assertThat(dump(b, "t")).isEqualTo(dump(a, "t")).containsExactly("text:k | null:null");
  }

  @Test
  void dropColumnDropsItHereAndReplicationGoesOn() {
    sql(a, "ALTER TABLE t ADD COLUMN extra TEXT", "INSERT INTO t VALUES ('k', 'v', 'e')");
    sql(b, "ALTER TABLE t ADD COLUMN extra TEXT");
    pull(b, a, 100);
    tick();
    a.dropColumn("t", "extra");
    assertThatThrownBy(() -> a.dropColumn("t", "id")).hasMessageContaining("PRIMARY KEY");
    assertThatThrownBy(() -> a.dropColumn("nope", "x")).hasMessageContaining("table 'nope' is not replicated");
    sql(a, "UPDATE t SET v = 'after drop' WHERE id = 'k'");
    assertEngineWorks("after-drop-column");
    pull(b, a, 100);
    assertThat(dump(b, "t")).containsExactly("text:k | text:after drop | text:e");
    // b's edits of the column a dropped are kept aside on a, not refused: sync from b goes on.
    tick();
    sql(b, "UPDATE t SET extra = 'x', v = 'from b' WHERE id = 'k'");
    pull(a, b, 100);
    assertThat(dump(a, "t")).containsExactly("text:k | text:from b");
    b.dropColumn("t", "extra");
    pull(a, b, 100);
    assertThat(dump(a, "t")).isEqualTo(dump(b, "t"));
  }

  @Test
  void aPlainSqlDropColumnOfAReplicatedTableIsRefusedAndTheEngineGoesOn() {
    assertThatThrownBy(() -> sql(a, "ALTER TABLE t DROP COLUMN v")).hasMessageContaining("cfost__upd_t");
    assertEngineWorks("after-refused-drop");
  }
}
