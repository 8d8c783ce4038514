package dev.cfost;

import static dev.cfost.TestDb.sql;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventsTest {
  @TempDir Path dir;

  @Test
  void listenersLearnLocalAndRemoteChangesOffTheWritingThread() throws Exception {
    try (Cfost a = Cfost.open(CfostOptions.builder(dir.resolve("a.db")).captureInterval(Duration.ofMillis(10)).build());
        Cfost b = TestDb.open(dir.resolve("b.db"))) {
      for (Cfost db : new Cfost[] {a, b}) {
        sql(db, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
        db.replicate("t");
      }
      BlockingQueue<ChangeEvent> events = new LinkedBlockingQueue<>();
      BlockingQueue<String> threads = new LinkedBlockingQueue<>();
      Registration reg = a.addListener(e -> {
        threads.add(Thread.currentThread().getName());
        events.add(e);
      });

      // A plain JDBC write, captured by the background thread.
      sql(a, "INSERT INTO t VALUES ('local', 1)");
      ChangeEvent local = events.poll(5, TimeUnit.SECONDS);
      assertThat(local).isNotNull();
      assertThat(local.origin()).isEqualTo(ChangeEvent.Origin.LOCAL);
      assertThat(local.tables()).containsExactly("t");
      assertThat(local.rows()).containsExactly(new ChangeEvent.RowRef("t", List.of("local"), false));

      sql(b, "INSERT INTO t VALUES ('remote', 2)");
      a.merge(TestDb.allChanges(b, 10));
      ChangeEvent remote = events.poll(5, TimeUnit.SECONDS);
      assertThat(remote).isNotNull();
      assertThat(remote.origin()).isEqualTo(ChangeEvent.Origin.REMOTE);
      assertThat(remote.rows()).containsExactly(new ChangeEvent.RowRef("t", List.of("remote"), false));
      assertThat(threads).containsOnly("cfost-listeners");

      reg.close();
      sql(a, "DELETE FROM t");
      a.capture();
      assertThat(events.poll(300, TimeUnit.MILLISECONDS)).as("no event after the registration is closed").isNull();
    }
  }

  @Test
  void aCommitThroughConnectIsCapturedRightAfterItWithoutWaitingForThePoll() throws Exception {
    // A poll far slower than the test's patience: only the commit hook can capture these writes in time.
    try (Cfost a = Cfost.open(CfostOptions.builder(dir.resolve("a.db")).captureInterval(Duration.ofMinutes(10)).build())) {
      TestDb.sql(a, "CREATE TABLE t(id INTEGER PRIMARY KEY NOT NULL, v)");
      a.replicate("t");
      BlockingQueue<ChangeEvent> events = new LinkedBlockingQueue<>();
      a.addListener(events::add);
      try (java.sql.Connection c = a.connect(); java.sql.Statement s = c.createStatement()) {
        s.executeUpdate("INSERT INTO t VALUES (1, 'autocommit')");
        ChangeEvent first = events.poll(5, TimeUnit.SECONDS);
        assertThat(first).as("the event of a capture right after the commit").isNotNull();
        assertThat(first.rows()).containsExactly(new ChangeEvent.RowRef("t", List.of(1L), false));

        c.setAutoCommit(false);
        s.executeUpdate("INSERT INTO t VALUES (2, 'in a transaction')");
        assertThat(events.poll(200, TimeUnit.MILLISECONDS)).as("nothing is captured before the commit").isNull();
        c.commit();
        ChangeEvent second = events.poll(5, TimeUnit.SECONDS);
        assertThat(second).isNotNull();
        assertThat(second.rows()).containsExactly(new ChangeEvent.RowRef("t", List.of(2L), false));

        // A burst: 200 commits in a row are all captured, in far fewer capture transactions than commits
        // (synchronous off so that the commits are quick on any disk: the burst lasts milliseconds).
        c.setAutoCommit(true);
        s.execute("PRAGMA synchronous = OFF");
        long before = a.dbVersion();
        for (int i = 3; i < 203; i++) {
          s.executeUpdate("INSERT INTO t VALUES (" + i + ", 'burst')");
        }
        int rows = 0;
        while (rows < 200) {
          ChangeEvent e = events.poll(5, TimeUnit.SECONDS);
          assertThat(e).as("events for the burst's 200 rows, " + rows + " so far").isNotNull();
          rows += e.rows().size();
        }
        assertThat(rows).isEqualTo(200);
        assertThat(a.dbVersion() - before).as("capture transactions for 200 commits").isLessThan(100);
      }
    }
  }

  @Test
  void aCommitToATableThatDoesNotReplicateLeavesTheNextReplicatedCommitCapturedRightAfterIt() throws Exception {
    // The capture after a commit that left nothing to capture only notes it as seen; a later commit to a
    // replicated table, and one made by another connection meanwhile, must still be captured (no poll here).
    try (Cfost a = Cfost.open(CfostOptions.builder(dir.resolve("a.db")).captureInterval(Duration.ofMinutes(10)).build())) {
      TestDb.sql(a, "CREATE TABLE t(id INTEGER PRIMARY KEY NOT NULL, v)", "CREATE TABLE local_notes(id INTEGER PRIMARY KEY, v)");
      a.replicate("t");
      BlockingQueue<ChangeEvent> events = new LinkedBlockingQueue<>();
      a.addListener(events::add);
      long before = a.dbVersion();
      for (int i = 0; i < 20; i++) {
        int n = i;
        a.withConnection(c -> {
          try (java.sql.Statement s = c.createStatement()) {
            return s.executeUpdate("INSERT INTO local_notes(v) VALUES (" + n + ")");
          }
        });
        Thread.sleep(6); // apart, not a burst
      }
      assertThat(events.poll(200, TimeUnit.MILLISECONDS)).as("nothing replicated was written").isNull();
      assertThat(a.dbVersion()).isEqualTo(before);
      try (java.sql.Connection other = java.sql.DriverManager.getConnection("jdbc:sqlite:" + a.path());
          java.sql.Statement s = other.createStatement()) {
        s.execute("PRAGMA busy_timeout = 5000");
        s.executeUpdate("INSERT INTO t VALUES (1, 'by a connection the engine does not watch')");
      }
      try (java.sql.Connection c = a.connect(); java.sql.Statement s = c.createStatement()) {
        s.executeUpdate("INSERT INTO local_notes(v) VALUES ('then a local note')");
        s.executeUpdate("INSERT INTO t VALUES (2, 'replicated')");
      }
      java.util.Set<Object> captured = new java.util.HashSet<>();
      while (captured.size() < 2) {
        ChangeEvent e = events.poll(5, TimeUnit.SECONDS);
        assertThat(e).as("the captures after the commits; captured so far: " + captured).isNotNull();
        e.rows().forEach(r -> captured.add(r.key().get(0)));
      }
      assertThat(captured).containsExactlyInAnyOrder(1L, 2L);
    }
  }

  @Test
  void theBackgroundCaptureDoesNotHoldTheEngineWhileAnApplicationHoldsTheWriteLock() throws Exception {
    Path file = dir.resolve("held.db");
    try (Cfost a = Cfost.open(CfostOptions.builder(file).captureInterval(Duration.ofMillis(20)).build())) {
      TestDb.sql(a, "CREATE TABLE t(id INTEGER PRIMARY KEY NOT NULL, v)");
      a.replicate("t");
      try (java.sql.Connection other = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file);
          java.sql.Connection app = a.connect(); java.sql.Statement o = other.createStatement();
          java.sql.Statement s = app.createStatement()) {
        o.executeUpdate("INSERT INTO t VALUES (1, 'for the poll')"); // not through connect(): the poll finds it
        s.execute("BEGIN IMMEDIATE"); // the application now holds the write lock, and the poll's capture meets it
        s.executeUpdate("INSERT INTO t VALUES (2, 'held')");
        Thread.sleep(200);
        var read = java.util.concurrent.CompletableFuture.supplyAsync(a::dbVersion);
        try {
          assertThat(read.get(5, TimeUnit.SECONDS)).as("an engine call while the application holds the lock")
              .isGreaterThanOrEqualTo(0);
        } finally {
          s.execute("COMMIT");
        }
      }
      a.capture();
      assertThat(TestDb.dump(a, "t")).hasSize(2);
      assertThat(TestDb.allChanges(a, 100)).extracting(Change::val).contains("for the poll", "held");
    }
  }

  @Test
  void writesThatAnotherEngineCapturedAreStillAnnouncedAsLocal() throws Exception {
    Path file = dir.resolve("shared.db");
    // Two engines on one file stand for two processes: a sync daemon, and a command that writes and
    // stamps its own writes when it closes.
    try (Cfost daemon = Cfost.open(CfostOptions.builder(file).captureInterval(Duration.ofMillis(10)).build())) {
      sql(daemon, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)", "CREATE TABLE u(id TEXT PRIMARY KEY NOT NULL)");
      daemon.replicate("t");
      daemon.replicate("u");
      BlockingQueue<ChangeEvent> events = new LinkedBlockingQueue<>();
      daemon.addListener(events::add);
      // The other engine stamps the row in the same transaction that writes it (a merge), so that this
      // engine's background capture cannot stamp it first (which would be right too, but another case).
      try (Cfost command = TestDb.open(file); Cfost source = TestDb.open(dir.resolve("source.db"))) {
        sql(source, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
        source.replicate("t");
        sql(source, "INSERT INTO t VALUES ('x', 1)");
        command.merge(TestDb.allChanges(source, 10));
      }
      ChangeEvent e = events.poll(5, TimeUnit.SECONDS);
      assertThat(e).as("an event for the write the other engine stamped").isNotNull();
      assertThat(e.origin()).isEqualTo(ChangeEvent.Origin.LOCAL);
      assertThat(e.tables()).containsExactly("t");
      assertThat(e.truncated()).isTrue(); // the rows are not known to this engine
      assertThat(e.dbVersion()).isEqualTo(daemon.dbVersion());

      sql(daemon, "INSERT INTO u VALUES ('y')"); // its own write: announced once, with its row
      ChangeEvent own = events.poll(5, TimeUnit.SECONDS);
      assertThat(own.tables()).containsExactly("u");
      assertThat(own.rows()).hasSize(1);
      assertThat(events.poll(200, TimeUnit.MILLISECONDS)).isNull();
    }
  }

  @Test
  void aListenerRunsOnTheExecutorItWasRegisteredWith() throws Exception {
    try (Cfost a = TestDb.open(dir.resolve("a.db"))) {
      sql(a, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
      a.replicate("t");
      BlockingQueue<String> threads = new LinkedBlockingQueue<>();
      var executor = java.util.concurrent.Executors.newSingleThreadExecutor(r -> new Thread(r, "app-ui"));
      try {
        a.addListener(executor, e -> threads.add(Thread.currentThread().getName()));
        sql(a, "INSERT INTO t VALUES ('x', 1)");
        a.capture();
        assertThat(threads.poll(5, TimeUnit.SECONDS)).isEqualTo("app-ui");
      } finally {
        executor.shutdownNow();
      }
    }
  }

  @Test
  void aFailingListenerDoesNotStopLaterEvents() throws Exception {
    try (Cfost a = TestDb.open(dir.resolve("a.db"))) {
      sql(a, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
      a.replicate("t");
      BlockingQueue<Long> versions = new LinkedBlockingQueue<>();
      a.addListener(e -> {
        versions.add(e.dbVersion());
        throw new IllegalStateException("listener bug (expected in this test)");
      });
      sql(a, "INSERT INTO t VALUES ('x', 1)");
      a.capture();
      sql(a, "INSERT INTO t VALUES ('y', 1)");
      a.capture();
      Long first = versions.poll(5, TimeUnit.SECONDS);
      Long second = versions.poll(5, TimeUnit.SECONDS);
      assertThat(first).isNotNull();
      assertThat(second).isNotNull().isGreaterThan(first);
    }
  }
}
