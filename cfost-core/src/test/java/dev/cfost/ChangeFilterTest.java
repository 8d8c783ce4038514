package dev.cfost;

import static dev.cfost.TestDb.dump;
import static dev.cfost.TestDb.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChangeFilterTest {
  @TempDir Path dir;

  private static void pullFiltered(Cfost to, Cfost from, ChangeFilter filter) {
    Cursor cursor = to.peerCursor(from.siteId());
    while (true) {
      ChangeBatch b = from.changes(cursor, 3, filter);
      to.merge(b.changes());
      cursor = b.next();
      to.savePeerCursor(from.siteId(), cursor);
      if (b.caughtUp()) {
        return;
      }
    }
  }

  @Test
  void onlyTheChosenTablesAndMatchingRowsAreSentAndDeletesAlwaysAre() {
    try (Cfost a = TestDb.open(dir.resolve("a.db")); Cfost b = TestDb.open(dir.resolve("b.db"))) {
      for (Cfost db : new Cfost[] {a, b}) {
        // "cl" as a column name must not collide with the clock table's own columns.
        sql(db, "CREATE TABLE task(id TEXT PRIMARY KEY NOT NULL, owner TEXT, cl INTEGER)",
            "CREATE TABLE secret(id TEXT PRIMARY KEY NOT NULL, v)");
        db.replicate("task");
        db.replicate("secret");
      }
      ChangeFilter filter = ChangeFilter.ALL.onlyTables(List.of("task")).withRowFilter("task", "owner = 'ann'");
      sql(a, "INSERT INTO task VALUES ('1', 'ann', 1), ('2', 'bob', 2)", "INSERT INTO secret VALUES ('s', 'x')");
      pullFiltered(b, a, filter);
      assertThat(dump(b, "task")).containsExactly("text:1 | text:ann | integer:1");
      assertThat(dump(b, "secret")).isEmpty();

      // A row that stops matching is no longer sent; the receiver keeps the last version it had.
      sql(a, "UPDATE task SET owner = 'bob', cl = 9 WHERE id = '1'");
      pullFiltered(b, a, filter);
      assertThat(dump(b, "task")).containsExactly("text:1 | text:ann | integer:1");

      // A delete is sent whatever the filter.
      sql(a, "DELETE FROM task WHERE id = '1'");
      pullFiltered(b, a, filter);
      assertThat(dump(b, "task")).isEmpty();
    }
  }

  @Test
  void theReceiversOwnChangesAreNotEchoedBack() {
    try (Cfost a = TestDb.open(dir.resolve("a.db")); Cfost b = TestDb.open(dir.resolve("b.db"))) {
      for (Cfost db : new Cfost[] {a, b}) {
        sql(db, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
        db.replicate("t");
      }
      sql(a, "INSERT INTO t VALUES ('from-a', 1)");
      sql(b, "INSERT INTO t VALUES ('from-b', 2)");
      TestDb.pull(b, a, 10);
      List<Change> toA = TestDb.allChanges(b, 10);
      List<Change> filtered = b.changes(Cursor.START, 100, ChangeFilter.ALL.excludingSite(a.siteId())).changes();
      assertThat(toA).hasSize(2);
      assertThat(filtered).hasSize(1);
      assertThat(filtered.get(0).siteId()).isEqualTo(b.siteId());
    }
  }

  @Test
  void anInvalidRowFilterNamesTheProblem() {
    try (Cfost a = TestDb.open(dir.resolve("a.db"))) {
      sql(a, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
      a.replicate("t");
      assertThatThrownBy(() -> a.changes(Cursor.START, 10, ChangeFilter.ALL.withRowFilter("t", "nosuchcolumn = 1")))
          .isInstanceOf(CfostException.class).hasMessageContaining("nosuchcolumn");
    }
  }
}
