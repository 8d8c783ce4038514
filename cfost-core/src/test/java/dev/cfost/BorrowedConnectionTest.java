package dev.cfost;

import static dev.cfost.TestDb.dump;
import static dev.cfost.TestDb.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteCommitListener;
import org.sqlite.SQLiteConnection;

/** {@link Cfost#withConnection}: connections kept open between short calls, and given up when they are unsafe. */
class BorrowedConnectionTest {
  @TempDir Path dir;
  final AtomicLong now = new AtomicLong(1_800_000_000_000L);

  @Test
  void aConnectionIsLentAgainAfterCleanWorkAndItsWritesReplicate() throws Exception {
    try (Cfost a = TestDb.open(dir.resolve("a.db"), now::get)) {
      sql(a, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
      a.replicate("t");
      Connection first = a.withConnection(c -> {
        try (Statement s = c.createStatement()) {
          s.executeUpdate("INSERT INTO t VALUES ('k', 1)");
        }
        return c;
      });
      Connection second = a.withConnection(c -> c);
      assertThat((Object) second).isSameAs(first);
      assertThat(first.isClosed()).isFalse();
      a.capture();
      assertThat(a.changes(Cursor.START, 100).changes()).extracting(Change::cid).contains("v");
      assertThat(dump(a, "t")).containsExactly("text:k | integer:1");
    }
  }

  @Test
  void aConnectionWhoseWorkThrewOrLeftATransactionOpenIsClosedNotLentAgain() throws Exception {
    try (Cfost a = TestDb.open(dir.resolve("a.db"), now::get)) {
      sql(a, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
      Connection[] seen = new Connection[2];
      assertThatThrownBy(() -> a.withConnection(c -> {
        seen[0] = c;
        throw new SQLException("the work failed");
      })).hasMessage("the work failed");
      assertThat(seen[0].isClosed()).isTrue();
      a.withConnection(c -> {
        seen[1] = c;
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
          s.executeUpdate("INSERT INTO t VALUES ('left', 1)");
        }
        return null;
      });
      assertThat(seen[1].isClosed()).isTrue(); // its transaction rolled back with it
      Connection next = a.withConnection(c -> c);
      assertThat((Object) next).isNotSameAs(seen[1]);
      assertThat(dump(a, "t")).isEmpty();
    }
  }

  @Test
  void aConnectionWhoseWorkLeftATransactionBegunAsSqlOpenIsClosedNotLentAgain() throws Exception {
    try (Cfost a = TestDb.open(dir.resolve("a.db"), now::get)) {
      sql(a, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
      Connection left = a.withConnection(c -> {
        try (Statement s = c.createStatement()) {
          s.execute("BEGIN IMMEDIATE"); // as SQL: the driver's auto-commit stays on
          s.executeUpdate("INSERT INTO t VALUES ('left', 1)");
        }
        return c;
      });
      assertThat(left.isClosed()).as("a connection still holding SQLite's write lock").isTrue();
      assertThat((Object) a.withConnection(c -> c)).isNotSameAs(left);
      try (Connection c = a.connect(); Statement s = c.createStatement()) {
        s.execute("PRAGMA busy_timeout = 0"); // the write lock is free now, not in 30 s
        s.executeUpdate("INSERT INTO t VALUES ('next', 2)");
      }
      assertThat(dump(a, "t")).containsExactly("text:next | integer:2");
    }
  }

  @Test
  void aStatementTheWorkLeftOpenIsClosedSoTheNextBorrowerReadsTheLatestCommits() throws Exception {
    try (Cfost a = TestDb.open(dir.resolve("a.db"), now::get)) {
      sql(a, "CREATE TABLE notes(id INTEGER PRIMARY KEY, v)", "INSERT INTO notes(v) VALUES (1), (2)");
      Connection leaky = a.withConnection(c -> {
        ResultSet rs = c.createStatement().executeQuery("SELECT v FROM notes"); // neither closed
        rs.next(); // a statement still stepping holds a read transaction: one snapshot
        return c;
      });
      sql(a, "INSERT INTO notes(v) VALUES (3)");
      long seen = a.withConnection(c -> {
        assertThat((Object) c).isSameAs(leaky);
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM notes")) {
          rs.next();
          return rs.getLong(1);
        }
      });
      assertThat(seen).as("rows the next borrower sees").isEqualTo(3);
      a.withConnection(c -> {
        try (Statement s = c.createStatement()) {
          return s.executeUpdate("INSERT INTO notes(v) VALUES (4)"); // on an old snapshot: SQLITE_BUSY_SNAPSHOT
        }
      });
      assertThat(dump(a, "notes")).hasSize(4);
    }
  }

  @Test
  void givingAConnectionBackFiresNoCommitHookOnlyTheWorksOwnCommitsDo() throws Exception {
    // The give-back's BEGIN and COMMIT and its PRAGMA shrink_memory must not look like a commit to the
    // engine's CommitWatcher: each would schedule a capture, and its retries, after every identity read.
    try (Cfost a = TestDb.open(dir.resolve("a.db"), now::get)) {
      sql(a, "CREATE TABLE notes(id INTEGER PRIMARY KEY, v)");
      AtomicInteger commits = new AtomicInteger();
      SQLiteCommitListener counter = new SQLiteCommitListener() {
        @Override
        public void onCommit() {
          commits.incrementAndGet();
        }

        @Override
        public void onRollback() {}
      };
      Connection lent = a.withConnection(c -> {
        c.unwrap(SQLiteConnection.class).addCommitListener(counter);
        return c;
      });
      for (int i = 0; i < 3; i++) {
        Connection again = a.withConnection(c -> {
          try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM notes")) {
            rs.next();
          }
          return c;
        });
        assertThat((Object) again).isSameAs(lent);
      }
      assertThat(commits.get()).as("commits seen after reads and give-backs").isZero();
      a.withConnection(c -> {
        try (Statement s = c.createStatement()) {
          return s.executeUpdate("INSERT INTO notes(v) VALUES ('one')");
        }
      });
      assertThat(commits.get()).as("the insert's commit, and no other").isEqualTo(1);
    }
  }

  @Test
  void concurrentBorrowersGetTheirOwnConnectionsAndCloseClosesThemAll() throws Exception {
    Cfost a = TestDb.open(dir.resolve("a.db"), now::get);
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Connection> held = CompletableFuture.supplyAsync(() -> {
      try {
        return a.withConnection(c -> {
          inside.countDown();
          try {
            release.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return c;
        });
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    });
    assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
    Connection other = a.withConnection(c -> c);
    release.countDown();
    Connection lent = held.get(10, TimeUnit.SECONDS);
    assertThat((Object) other).isNotSameAs(lent);
    assertThat(other.isClosed()).isFalse();
    a.close();
    assertThat(other.isClosed()).isTrue();
    assertThat(lent.isClosed()).isTrue();
    assertThatThrownBy(() -> a.withConnection(c -> c)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }
}
