package dev.cfost.server;

import static dev.cfost.server.TestChanges.cell;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Change;
import dev.cfost.Registration;
import dev.cfost.server.internal.PostgresServerStore;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Commits wake the listeners of every process sharing the PostgreSQL store: two stores (two pools and two
 * listening connections, as two server processes have) on one database.
 */
class PostgresCommitsIT {
  String url;
  ServerStore one;
  ServerStore two;

  @BeforeEach
  void open() {
    url = TestPostgres.freshDatabase();
    one = ServerStore.openPostgres(url, null, null, 2, Clock.systemUTC());
    two = ServerStore.openPostgres(url, null, null, 2, Clock.systemUTC());
    one.createAccount("alice", "alice", "alice@example.org", ServerStoreContract.HASH);
  }

  @AfterEach
  void close() {
    one.close();
    two.close();
  }

  @Test
  void aBatchAppliedThroughOneProcessWakesTheOthersListenerWithinASecond() throws Exception {
    awaitListening(two);
    BlockingQueue<String> woken = new LinkedBlockingQueue<>();
    BlockingQueue<String> own = new LinkedBlockingQueue<>();
    try (Registration r = two.onCommit((user, db) -> woken.add(user + "/" + db));
        Registration o = one.onCommit((user, db) -> own.add(user + "/" + db))) {
      long start = System.nanoTime();
      one.applyBatch("alice", "notes", List.of(cell("t", "k", "a", 1L, 1, 1, 1)), List.of());
      assertThat(woken.poll(1, TimeUnit.SECONDS)).isEqualTo("alice/notes");
      System.out.printf("woken after %.1f ms%n", (System.nanoTime() - start) / 1e6);
      assertThat(own.poll(1, TimeUnit.SECONDS)).isEqualTo("alice/notes"); // its own process's too
      // A batch that changes nothing wakes nobody.
      one.applyBatch("alice", "notes", List.of(cell("t", "k", "a", 1L, 1, 1, 1)), List.of());
      assertThat(woken.poll(300, TimeUnit.MILLISECONDS)).isNull();
      assertThat(own).isEmpty();
    }
  }

  @Test
  void aBatchOfManyChangesSendsOneNotification() throws Exception {
    try (Connection c = TestPostgres.connect(url); Statement s = c.createStatement()) {
      s.execute("LISTEN cfost_commit");
      List<Change> batch = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        batch.add(cell("t", "k" + i, "a", (long) i, 1, 1, 1));
      }
      one.applyBatch("alice", "notes", batch, List.of());
      one.applyBatch("alice", "todo", batch.subList(0, 10), List.of());
      List<String> payloads = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      while (System.nanoTime() < deadline && payloads.size() < 3) {
        PGNotification[] ns = c.unwrap(PGConnection.class).getNotifications(200);
        if (ns != null) {
          for (PGNotification n : ns) {
            payloads.add(n.getParameter());
          }
        }
      }
      assertThat(payloads).hasSize(2);
      assertThat(payloads.get(0)).startsWith("alice notes ");
      assertThat(payloads.get(1)).startsWith("alice todo ");
    }
  }

  @Test
  void theListeningConnectionComesBackAfterItIsCutAndCatchesUp() throws Exception {
    awaitListening(two);
    BlockingQueue<String> woken = new LinkedBlockingQueue<>();
    try (Registration r = two.onCommit((user, db) -> woken.add(user + "/" + db));
        Connection c = TestPostgres.connect(url); Statement s = c.createStatement()) {
      // Both stores' listening connections are cut, as a restart of PostgreSQL or a proxy would; the batch
      // commits while they are away (they come back after 0.1 s at the earliest), so its notification is lost.
      s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '"
          + LISTEN_NAME + "'");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (listeners(s) > 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      one.applyBatch("alice", "notes", List.of(cell("t", "k", "a", 1L, 1, 1, 1)), List.of());
      // Whether the notification was lost or not, the reconnected listener names the database.
      assertThat(woken.poll(10, TimeUnit.SECONDS)).isEqualTo("alice/notes");
      awaitListening(two);
      woken.clear();
      one.applyBatch("alice", "notes", List.of(cell("t", "k", "a", 2L, 2, 1, 1)), List.of());
      assertThat(woken.poll(1, TimeUnit.SECONDS)).isEqualTo("alice/notes");
    }
  }

  private static final String LISTEN_NAME = "cfost-server-listen";

  private static int listeners(Statement s) throws java.sql.SQLException {
    try (java.sql.ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = '"
        + LISTEN_NAME + "'")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private static void awaitListening(ServerStore store) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!((PostgresServerStore) store).listening()) {
      assertThat(System.nanoTime()).isLessThan(deadline);
      Thread.sleep(10);
    }
  }
}
