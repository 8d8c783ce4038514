package dev.cfost.server;

import static dev.cfost.server.TestChanges.cell;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.Change;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import org.junit.jupiter.api.Test;

/** The PostgreSQL store passes the contract (each test on a fresh database); and what is particular to it. */
class PostgresServerStoreIT extends ServerStoreContract {
  String url;

  @Override
  protected ServerStore openStore(Path dir, Clock clock) {
    url = TestPostgres.freshDatabase();
    return ServerStore.openPostgres(url, null, null, 4, clock);
  }

  /** The contract's property, with fewer tries: each one starts a store on a database of its own. */
  @Override
  @Property(tries = 12, shrinking = ShrinkingMode.BOUNDED)
  void theStoreHoldsWhatAReplicaMergingTheSameChangesHolds(@ForAll("changeSets") List<Change> changes,
      @ForAll("seeds") long seed) throws Exception {
    super.theStoreHoldsWhatAReplicaMergingTheSameChangesHolds(changes, seed);
  }

  @Test
  void valuesKeepTheirTypeAndBits() {
    List<Object> values = List.of(-0.0, 0.0, Double.MIN_VALUE, -Double.MAX_VALUE, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY, 0.1 + 0.2, 1e-310, Long.MIN_VALUE, Long.MAX_VALUE, 0L, "", "nul \0 inside",
        "é\uD83D\uDE00", new byte[0], new byte[] {0, -1, 0});
    List<Change> batch = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      batch.add(cell("t", "k", "c" + i, values.get(i), 1, 1, 1));
    }
    batch.add(cell("t", "null", "a", null, 1, 1, 1));
    store.applyBatch("alice", DB, batch, List.of());
    List<String> expected = new ArrayList<>();
    for (Change c : batch) {
      expected.add(TestChanges.shape(c));
    }
    // Read often: pgjdbc reads a statement's first results as text, and once it is prepared on the server (the
    // fifth use on a connection) as binary.
    for (int round = 0; round < 24; round++) {
      assertThat(stream("alice", DB)).containsExactlyElementsOf(expected);
    }
  }

  @Test
  void tokensAreStoredOnlyAsHashes() throws Exception {
    String token = store.issueRefreshToken("alice", Duration.ofDays(30));
    try (Connection c = TestPostgres.connect(url); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM tokens WHERE encode(hash, 'escape') LIKE '%"
            + token.substring(0, 8) + "%'")) {
      rs.next();
      assertThat(rs.getLong(1)).isZero();
    }
    assertThat(store.refreshTokenUser(token)).contains("alice");
  }

  @Test
  void aReopenedStoreHasEverything() {
    store.applyBatch("alice", DB, List.of(cell("t", "k", "a", 1L, 1, 1, 1)), List.of());
    store.close();
    store = ServerStore.openPostgres(url, null, null, 2, clock);
    assertThat(store.account("alice")).isPresent();
    assertThat(store.head("alice", DB)).isEqualTo(1);
  }

  /**
   * A device that synced after the dump holds a cursor past the dump's head; after the restore and
   * {@link ServerStore#restorePostgres}, what is written next must land above that cursor. The dump is a
   * copy of the database as it stood ({@code CREATE DATABASE ... TEMPLATE}: what pg_dump and pg_restore
   * give, without needing client tools of the server's version).
   */
  @Test
  void aRestoredDumpIsMovedPastEveryCursorHandedOutBeforeIt() throws Exception {
    List<Change> first = List.of(cell("t", "a", "c", 1L, 1, 1, 1), cell("t", "b", "c", 1L, 1, 1, 1));
    store.applyBatch("alice", DB, first, List.of());
    store.close();
    String name = url.substring(url.lastIndexOf('/') + 1, url.indexOf('?') < 0 ? url.length() : url.indexOf('?'));
    String copy = name + "_dump";
    try (Connection c = TestPostgres.server().getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + copy + " TEMPLATE " + name);
    }
    store = ServerStore.openPostgres(url, null, null, 2, clock);
    store.applyBatch("alice", DB, List.of(cell("t", "a", "c", 2L, 2, 1, 1)), List.of()); // after the dump
    long cursorOfADevice = store.head("alice", DB);
    store.close();

    String restoredUrl = url.replace("/" + name, "/" + copy);
    assertThat(ServerStore.restorePostgres(restoredUrl, null, null)).as("databases moved").isEqualTo(1);
    store = ServerStore.openPostgres(restoredUrl, null, null, 2, clock);
    assertThat(store.changesAfter("alice", DB, 0, 100).changes()).hasSize(2);
    store.applyBatch("alice", DB, List.of(cell("t", "b", "c", 3L, 3, 1, 1)), List.of());
    assertThat(store.changesAfter("alice", DB, cursorOfADevice, 100).changes())
        .extracting(Change::val).containsExactly(3L);
    assertThatThrownBy(() -> ServerStore.restorePostgres(TestPostgres.freshDatabase(), null, null))
        .isInstanceOf(StoreException.class).hasMessageContaining("no CFOST server store");
  }

  @Test
  void aDatabaseOfANewerSchemaIsRefused() throws Exception {
    store.close();
    try (Connection c = TestPostgres.connect(url); Statement s = c.createStatement()) {
      s.execute("UPDATE meta SET value = '99' WHERE key = 'schema'");
    }
    assertThatThrownBy(() -> ServerStore.openPostgres(url, null, null, 2, clock)).isInstanceOf(StoreException.class)
        .hasMessageContaining("newer");
    store = ServerStore.openPostgres(TestPostgres.freshDatabase(), null, null, 2, clock); // for the contract's close
  }

  @Test
  void processesStartingAtOnceOnAnEmptyDatabaseMakeOneSchema() throws Exception {
    String empty = TestPostgres.freshDatabase();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Callable<ServerStore>> starts = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        starts.add(() -> ServerStore.openPostgres(empty, null, null, 2, clock));
      }
      List<ServerStore> stores = new ArrayList<>();
      for (Future<ServerStore> f : pool.invokeAll(starts)) {
        stores.add(f.get());
      }
      stores.get(0).createAccount("carol", "carol", "carol@example.org", HASH);
      for (ServerStore s : stores) {
        assertThat(s.account("carol")).isPresent();
        s.close();
      }
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void aWrongUrlOrUnreachableServerFailsAtOpenNamingIt() {
    assertThatThrownBy(() -> ServerStore.openPostgres("jdbc:sqlite:x.db")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("jdbc:postgresql:");
    assertThatThrownBy(() -> ServerStore.openPostgres(url.replace("/cfost_test_", "/no_such_db_"), null, null, 1, clock))
        .isInstanceOf(StoreException.class).hasMessageContaining("no_such_db_");
  }

  @Test
  void aPageAndItsSealsAreReadInOneSnapshotWhileAnotherProcessSupersedesThem() throws Exception {
    String device = dev.cfost.identity.DeviceKeys.generate().deviceId().toString();
    List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    try (ServerStore writer = ServerStore.openPostgres(url, null, null, 2, clock)) {
      Thread w = new Thread(() -> {
        try {
          for (int i = 1; !stop.get(); i++) {
            // Each batch supersedes the last one's cells, so their seal is deleted at its end.
            Change a = cell("t", "k", "a", (long) i, i, 1, 1);
            Change b = cell("t", "j", "b", (long) i, i, 1, 1);
            writer.applyBatch("alice", DB, List.of(a, b), List.of(TestChanges.seal(device, List.of(a, b), i)));
          }
        } catch (Throwable e) {
          errors.add(e);
        }
      });
      w.start();
      long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(2);
      int pages = 0;
      while (System.nanoTime() < end && errors.isEmpty()) {
        StoredChanges page = store.changesAfter("alice", DB, 0, 10);
        if (!page.changes().isEmpty()) {
          assertThat(page.seals()).isNotEmpty();
          pages++;
        }
      }
      stop.set(true);
      w.join();
      assertThat(errors).isEmpty();
      assertThat(pages).isPositive();
    }
  }
}
