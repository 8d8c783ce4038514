package dev.cfost.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.server.internal.SqliteServerStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The embedded store passes the contract; and what is particular to its files. */
class SqliteServerStoreTest extends ServerStoreContract {
  @Override
  protected ServerStore openStore(Path dir, Clock clock) {
    return ServerStore.openSqlite(dir, clock);
  }

  @Test
  void eachUserHasAFileAndTokensAreStoredOnlyAsHashes() throws Exception {
    String token = store.issueRefreshToken("alice", Duration.ofDays(30));
    store.applyBatch("alice", "notes", java.util.List.of(dev.cfost.server.TestChanges.cell("t", "k", "a", 1L, 1, 1, 1)),
        java.util.List.of());
    store.close();
    assertThat(dev.cfost.server.internal.SqliteServerStore.userFilePath(dir, "alice")).exists();
    // Nothing of bob's was ever needed; and on a file system that ignores case, ALICE is not alice.
    assertThat(dev.cfost.server.internal.SqliteServerStore.userFilePath(dir, "bob")).doesNotExist();
    assertThat(dev.cfost.server.internal.SqliteServerStore.userFilePath(dir, "ALICE"))
        .isNotEqualTo(dev.cfost.server.internal.SqliteServerStore.userFilePath(dir, "alice"));
    String accounts = new String(Files.readAllBytes(dir.resolve("accounts.db")), StandardCharsets.ISO_8859_1);
    String wal = Files.exists(dir.resolve("accounts.db-wal"))
        ? new String(Files.readAllBytes(dir.resolve("accounts.db-wal")), StandardCharsets.ISO_8859_1) : "";
    assertThat(accounts + wal).doesNotContain(token);
  }

  @Test
  void aReopenedStoreHasEverythingAndASecondStoreOnTheDirectoryIsRefused() {
    store.applyBatch("alice", "notes", java.util.List.of(dev.cfost.server.TestChanges.cell("t", "k", "a", 1L, 1, 1, 1)),
        java.util.List.of());
    assertThatThrownBy(() -> ServerStore.openSqlite(dir, clock)).isInstanceOf(StoreException.class)
        .hasMessageContaining("in use");
    store.close();
    store = ServerStore.openSqlite(dir, clock);
    assertThat(store.account("alice")).isPresent();
    assertThat(store.head("alice", "notes")).isEqualTo(1);
  }

  @Test
  void manyUsersKeepAtMostABoundedNumberOfFilesOpen() {
    for (int i = 0; i < SqliteServerStore.MAX_OPEN_USERS + 5; i++) {
      String user = "u" + i;
      store.createAccount(user, user, user + "@example.org", HASH);
      store.applyBatch(user, "notes", java.util.List.of(dev.cfost.server.TestChanges.cell("t", "k", "a", (long) i, 1, 1, 1)),
          java.util.List.of());
    }
    // The first users' files were closed to make room; they open again on use.
    assertThat(store.changesAfter("u0", "notes", 0, 10).changes()).hasSize(1);
    assertThat(store.changesAfter("u1", "notes", 0, 10).changes().get(0).val()).isEqualTo(1L);
  }

  @Test
  void aFileOfANewerSchemaIsRefused() throws Exception {
    store.close();
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("accounts.db"));
        var s = c.createStatement()) {
      s.execute("UPDATE meta SET value = 99 WHERE key = 'schema'");
    }
    assertThatThrownBy(() -> ServerStore.openSqlite(dir, clock)).isInstanceOf(StoreException.class)
        .hasMessageContaining("newer");
    store = ServerStore.openSqlite(dir.resolve("fresh"), clock); // for the contract's close
  }

  @Test
  void refreshTokensOfASchemaOneFileStayRefreshTokensAfterTheUpgrade() throws Exception {
    String token = store.issueRefreshToken("alice", Duration.ofDays(30));
    store.close();
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("accounts.db"));
        var s = c.createStatement()) {
      // Back to schema 1, as an older server left it.
      s.execute("ALTER TABLE tokens DROP COLUMN device_id");
      s.execute("ALTER TABLE accounts DROP COLUMN identity_user");
      s.execute("ALTER TABLE tokens DROP COLUMN kind");
      s.execute("UPDATE meta SET value = 1 WHERE key = 'schema'");
    }
    store = ServerStore.openSqlite(dir, clock);
    assertThat(store.refreshTokenUser(token)).contains("alice");
    assertThat(store.accessTokenUser(token)).isEmpty();
  }

  private static final String HASH = dev.cfost.identity.internal.PasswordHash.dummy(
      new dev.cfost.identity.Argon2Params(64, 1, 1));
}
