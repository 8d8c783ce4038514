package dev.cfost.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.Change;
import dev.cfost.internal.PackedKey;
import dev.cfost.server.internal.SqliteServerStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ServerStore#backupSqlite}: a copy taken while a store writes opens as a store with whole batches. */
class ServerBackupTest {
  private static final int ROWS_PER_BATCH = 10;

  @TempDir Path dir;

  /** Batch {@code n}: rows b{n}-0 ... b{n}-9, each with the cell a = n. */
  private static List<Change> batch(int n) {
    List<Change> out = new ArrayList<>();
    for (int j = 0; j < ROWS_PER_BATCH; j++) {
      out.add(TestChanges.cell("t", "b" + n + "-" + j, "a", (long) n, 1, 1, 1));
    }
    return out;
  }

  @Test
  void aBackupTakenDuringWritesRestoresToAStoreWithWholeBatches() throws Exception {
    Path data = dir.resolve("data");
    Path copy = dir.resolve("backup");
    List<String> users = List.of("alice", "bob");
    ExecutorService pool = Executors.newFixedThreadPool(3);
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch warmedUp = new CountDownLatch(users.size());
    long[] headAtBackup = new long[users.size()];
    try (ServerStore store = ServerStore.openSqlite(data)) {
      for (String u : users) {
        store.createAccount(u, u, u + "@example.org", ServerStoreContract.HASH);
      }
      List<Future<Integer>> writers = new ArrayList<>();
      for (String u : users) {
        writers.add(pool.submit(() -> {
          int n = 0;
          while (!stop.get()) {
            store.applyBatch(u, "notes", batch(n++), List.of());
            if (n == 20) {
              warmedUp.countDown();
            }
          }
          return n;
        }));
      }
      Future<Integer> tokens = pool.submit(() -> {
        int n = 0;
        while (!stop.get()) {
          store.issueRefreshToken("alice", Duration.ofDays(1));
          n++;
        }
        return n;
      });
      assertThat(warmedUp.await(30, TimeUnit.SECONDS)).isTrue();
      for (int i = 0; i < users.size(); i++) {
        headAtBackup[i] = store.head(users.get(i), "notes");
      }
      List<Path> written = ServerStore.backupSqlite(data, copy);
      Thread.sleep(50); // the writers go on a little after the copy
      stop.set(true);
      for (Future<Integer> w : writers) {
        assertThat(w.get(30, TimeUnit.SECONDS)).isGreaterThan(20);
      }
      assertThat(tokens.get(30, TimeUnit.SECONDS)).isPositive();
      assertThat(written.get(0)).isEqualTo(copy.resolve("accounts.db"));
      assertThat(written.subList(1, written.size())).containsExactlyInAnyOrder(
          copy.resolve("users").resolve(SqliteServerStore.userFilePath(data, "alice").getFileName()),
          copy.resolve("users").resolve(SqliteServerStore.userFilePath(data, "bob").getFileName()));
      assertThat(store.head("alice", "notes")).as("the store wrote on after the copy").isGreaterThan(headAtBackup[0]);
    } finally {
      pool.shutdownNow();
    }
    assertThat(Files.exists(copy.resolve("lock"))).as("the copy is not locked by the running store").isFalse();

    try (ServerStore restored = ServerStore.openSqlite(copy)) {
      for (int i = 0; i < users.size(); i++) {
        String u = users.get(i);
        assertThat(restored.account(u)).isPresent();
        long head = restored.head(u, "notes");
        assertThat(head).as("everything committed before the copy began").isGreaterThanOrEqualTo(headAtBackup[i]);
        assertThat(head % ROWS_PER_BATCH).as("no batch is cut in two").isZero();
        StoredChanges all = restored.changesAfter(u, "notes", 0, ServerStore.MAX_BATCH);
        assertThat(all.changes()).hasSize((int) head);
        Map<Long, Integer> rowsOfBatch = new HashMap<>();
        for (Change c : all.changes()) {
          String key = (String) PackedKey.unpack(c.pk()).get(0);
          assertThat(key).startsWith("b" + c.val() + "-");
          rowsOfBatch.merge((Long) c.val(), 1, Integer::sum);
        }
        assertThat(rowsOfBatch).hasSize((int) (head / ROWS_PER_BATCH));
        assertThat(rowsOfBatch.values()).containsOnly(ROWS_PER_BATCH);
      }
      // The restored store is a store like any other: it takes writes.
      long before = restored.head("alice", "notes");
      restored.applyBatch("alice", "notes", batch(1_000_000), List.of());
      assertThat(restored.head("alice", "notes")).isEqualTo(before + ROWS_PER_BATCH);
      assertThat(restored.issueAccessToken("bob", Duration.ofMinutes(5))).isNotBlank();
    }
  }

  @Test
  void aBackupNeedsAStoreAndANewDirectoryOutsideIt() throws Exception {
    Path data = dir.resolve("data");
    try (ServerStore store = ServerStore.openSqlite(data)) {
      store.createAccount("alice", "alice", "alice@example.org", ServerStoreContract.HASH);
      assertThatThrownBy(() -> ServerStore.backupSqlite(dir.resolve("nothing"), dir.resolve("b1")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no accounts.db");
      Files.createDirectories(dir.resolve("used"));
      Files.writeString(dir.resolve("used").resolve("x"), "x");
      assertThatThrownBy(() -> ServerStore.backupSqlite(data, dir.resolve("used")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not empty");
      assertThatThrownBy(() -> ServerStore.backupSqlite(data, data.resolve("backup")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("inside the data directory");
      Files.createDirectories(dir.resolve("empty"));
      assertThat(ServerStore.backupSqlite(data, dir.resolve("empty"))).containsExactly(dir.resolve("empty/accounts.db"));
    }
    try (ServerStore restored = ServerStore.openSqlite(dir.resolve("empty"))) {
      assertThat(restored.accountByLogin("ALICE@example.org")).isPresent();
    }
  }

  /**
   * A device that synced after the backup holds a cursor past the backup's head; after the restore, what
   * is written next must land above that cursor, or the device would never be sent it.
   */
  @Test
  void aRestoreMovesTheStreamsPastEveryCursorHandedOutBeforeIt() throws Exception {
    Path data = dir.resolve("data");
    long cursorOfADevice;
    try (ServerStore store = ServerStore.openSqlite(data)) {
      store.createAccount("alice", "alice", "alice@example.org", ServerStoreContract.HASH);
      store.applyBatch("alice", "notes", batch(1), List.of());
      ServerStore.backupSqlite(data, dir.resolve("backup"));
      store.applyBatch("alice", "notes", batch(2), List.of()); // after the backup: a device read it
      cursorOfADevice = store.head("alice", "notes");
    }
    assertThatThrownBy(() -> ServerStore.restoreSqlite(dir.resolve("backup"), data))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not empty");
    ServerStore.restoreSqlite(dir.resolve("backup"), dir.resolve("restored"));
    try (ServerStore restored = ServerStore.openSqlite(dir.resolve("restored"))) {
      assertThat(restored.changesAfter("alice", "notes", 0, 100).changes()).hasSize(ROWS_PER_BATCH);
      restored.applyBatch("alice", "notes", batch(3), List.of());
      StoredChanges news = restored.changesAfter("alice", "notes", cursorOfADevice, 100);
      assertThat(news.changes()).hasSize(ROWS_PER_BATCH).allMatch(c -> c.val().equals(3L));
    }
  }
}
