package dev.cfost;

import static dev.cfost.TestDb.dump;
import static dev.cfost.TestDb.pull;
import static dev.cfost.TestDb.sql;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Columns over their life: renamed on every device, dropped and added again, dropped while others edit,
 * or given a collation only the application defines. Found by a review of the schema-change handling;
 * each failed before its fix.
 */
class ColumnLifecycleTest {
  @TempDir Path dir;
  final AtomicLong now = new AtomicLong(1_800_000_000_000L);

  void tick() {
    now.addAndGet(1_000);
  }

  Cfost open(String name, boolean schemaSync) {
    return Cfost.open(CfostOptions.builder(dir.resolve(name)).captureInterval(Duration.ZERO).wallClock(now::get)
        .schemaSync(schemaSync).build());
  }

  /** dropColumn javadoc: changes kept aside are "merged if a column of that name is added again". */
  @Test
  void aColumnDroppedAndAddedAgainGetsTheEditsKeptAsideAndKeepsOtherRows() {
    try (Cfost a = open("a.db", false); Cfost b = open("b.db", false)) {
      for (Cfost db : new Cfost[] {a, b}) {
        sql(db, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v TEXT)");
        db.replicate("t");
      }
      sql(a, "INSERT INTO t VALUES ('k', 'x'), ('k2', 'x2')");
      a.capture();
      pull(b, a, 100);
      tick();
      a.dropColumn("t", "v");
      tick();
      sql(b, "UPDATE t SET v = 'y' WHERE id = 'k'");
      b.capture();
      pull(a, b, 100); // b's edit of v is kept aside on a
      tick();
      a.addColumn("t", "v TEXT");
      pull(b, a, 100);
      pull(a, b, 100);
      assertThat(dump(b, "t")).containsExactly("text:k | text:y", "text:k2 | text:x2");
      assertThat(dump(a, "t")).containsExactly("text:k | text:y", "text:k2 | text:x2");
    }
  }

  /** The same migration (RENAME COLUMN) on each device: the device that migrates last re-stamps stale values. */
  @Test
  void theSameRenameOnEachDeviceLosesNoEditMadeBeforeIt() {
    try (Cfost a = open("a.db", false); Cfost b = open("b.db", false)) {
      for (Cfost db : new Cfost[] {a, b}) {
        sql(db, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v TEXT)");
        db.replicate("t");
      }
      sql(a, "INSERT INTO t VALUES ('k', 'old')");
      a.capture();
      pull(b, a, 100);
      tick();
      sql(a, "UPDATE t SET v = 'new'"); // the user's edit, the latest write of the cell
      a.capture();
      tick();
      sql(a, "ALTER TABLE t RENAME COLUMN v TO w");
      a.capture();
      tick();
      sql(b, "ALTER TABLE t RENAME COLUMN v TO w"); // b migrates, offline, before receiving the edit
      b.capture();
      for (int i = 0; i < 2; i++) {
        pull(b, a, 100);
        pull(a, b, 100);
      }
      assertThat(dump(a, "t")).containsExactly("text:k | text:new");
      assertThat(dump(b, "t")).containsExactly("text:k | text:new");
    }
  }

  /** schemaSync on: a column with an application-defined collation added with plain SQL. */
  @Test
  void aColumnWithACollationOnlyTheApplicationDefinesDoesNotStopTheEngine() throws Exception {
    try (Cfost a = open("a.db", true)) {
      sql(a, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v TEXT)");
      a.replicate("t");
      try (Connection c = a.connect(); Statement s = c.createStatement()) {
        org.sqlite.Collation.create(c, "foo", new org.sqlite.Collation() {
          @Override
          protected int xCompare(String x, String y) {
            return x.compareTo(y);
          }
        });
        s.execute("ALTER TABLE t ADD COLUMN w TEXT COLLATE foo");
        s.execute("INSERT INTO t(id, v) VALUES ('k', 'v')");
      }
      Throwable first = null;
      for (int i = 0; i < 3; i++) {
        try {
          a.capture();
        } catch (RuntimeException e) {
          first = first == null ? e : first;
        }
      }
      assertThat(first).isNull();
    }
  }

  /** dropColumn drops the triggers first, so follow() takes the table as "created again" and re-stamps every cell. */
  @Test
  void dropColumnLeavesTheOtherColumnsClocksAlone() {
    try (Cfost a = open("a.db", false); Cfost b = open("b.db", false)) {
      for (Cfost db : new Cfost[] {a, b}) {
        sql(db, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v TEXT, x TEXT)");
        db.replicate("t");
      }
      sql(a, "INSERT INTO t VALUES ('k', 'v', 'x')");
      a.capture();
      pull(b, a, 100);
      tick();
      sql(b, "UPDATE t SET x = 'edited on b'"); // the latest write of x
      b.capture();
      tick();
      a.dropColumn("t", "v"); // touches only v
      for (int i = 0; i < 2; i++) {
        pull(b, a, 100);
        pull(a, b, 100);
      }
      assertThat(dump(a, "t")).containsExactly("text:k | text:edited on b");
    }
  }

  /** Found in review: an edit under the old name, kept aside by a replica that renamed, came back only if re-sent. */
  @Test
  void anEditUnderTheOldNameReceivedAfterTheRenameIsNotLost() {
    try (Cfost a = open("a.db", false); Cfost b = open("b.db", false)) {
      for (Cfost db : new Cfost[] {a, b}) {
        sql(db, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v TEXT)");
        db.replicate("t");
      }
      sql(a, "INSERT INTO t VALUES ('k', 'old')");
      a.capture();
      pull(b, a, 100);
      tick();
      sql(a, "ALTER TABLE t RENAME COLUMN v TO w");
      a.capture();
      tick();
      sql(b, "UPDATE t SET v = 'new'");
      b.capture();
      pull(a, b, 100); // a keeps b's 'v' edit aside
      tick();
      sql(b, "ALTER TABLE t RENAME COLUMN v TO w");
      b.capture();
      for (int i = 0; i < 2; i++) {
        pull(b, a, 100);
        pull(a, b, 100);
      }
      assertThat(dump(b, "t")).containsExactly("text:k | text:new");
      assertThat(dump(a, "t")).containsExactly("text:k | text:new");
    }
  }
}
