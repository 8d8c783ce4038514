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
      // Back to schema 1, as an older server left it: without the columns of schemas 2 and 3, nor 4's table.
      s.execute("DROP TABLE challenges");
      s.execute("ALTER TABLE tokens DROP COLUMN kind");
      s.execute("ALTER TABLE tokens DROP COLUMN device_id");
      s.execute("ALTER TABLE accounts DROP COLUMN identity_user");
      s.execute("UPDATE meta SET value = 1 WHERE key = 'schema'");
    }
    store = ServerStore.openSqlite(dir, clock);
    assertThat(store.refreshTokenUser(token)).contains("alice");
    assertThat(store.accessTokenUser(token)).isEmpty();
  }

  /**
   * An accounts.db as a schema-2 server left it, written here statement by statement (schema 1, then 2),
   * opens as schema 4 with its accounts, tokens and devices, and takes device tokens, bindings and challenges.
   */
  @Test
  void aSchemaTwoAccountsFileIsMigratedToFourKeepingAccountsTokensAndDevices() throws Exception {
    Path old = dir.resolve("v2");
    Files.createDirectories(old);
    String refresh = "refresh-token-of-a-schema-two-server-0000000";
    String access = "access-token-of-a-schema-two-server-00000000";
    String revoked = "revoked-access-token-of-a-schema-two-server0";
    dev.cfost.identity.DeviceKeys k = dev.cfost.identity.DeviceKeys.generate();
    long created = clock.millis() - 1000;
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + old.resolve("accounts.db"));
        var s = c.createStatement()) {
      for (String sql : new String[] {
          "CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID",
          // schema 1
          "CREATE TABLE accounts(user_id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, name_key TEXT NOT NULL"
              + " UNIQUE, email TEXT NOT NULL, email_key TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,"
              + " created_at INTEGER NOT NULL)",
          "CREATE TABLE tokens(hash BLOB PRIMARY KEY NOT NULL, user_id TEXT NOT NULL,"
              + " expires_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID",
          "CREATE INDEX tokens_user ON tokens(user_id)",
          "CREATE TABLE devices(device_id TEXT PRIMARY KEY NOT NULL, user_id TEXT NOT NULL,"
              + " public_key BLOB NOT NULL, revoked INTEGER NOT NULL) WITHOUT ROWID",
          "CREATE INDEX devices_user ON devices(user_id)",
          // schema 2
          "ALTER TABLE tokens ADD COLUMN kind INTEGER NOT NULL DEFAULT 0",
          "INSERT INTO meta VALUES ('schema', 2), ('kind', 'accounts')"}) {
        s.execute(sql);
      }
      try (var ps = c.prepareStatement("INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?)")) {
        ps.setString(1, "dave");
        ps.setString(2, "Dave");
        ps.setString(3, "dave");
        ps.setString(4, "Dave@example.org");
        ps.setString(5, "dave@example.org");
        ps.setString(6, HASH);
        ps.setLong(7, created);
        ps.executeUpdate();
      }
      try (var ps = c.prepareStatement("INSERT INTO tokens(hash, user_id, expires_at, revoked, kind)"
          + " VALUES (?, 'dave', ?, ?, ?)")) {
        Object[][] rows = {{refresh, 0, 0}, {access, 0, 1}, {revoked, 1, 1}};
        for (Object[] row : rows) {
          ps.setBytes(1, java.security.MessageDigest.getInstance("SHA-256")
              .digest(((String) row[0]).getBytes(StandardCharsets.UTF_8)));
          ps.setLong(2, clock.millis() + Duration.ofHours(1).toMillis());
          ps.setInt(3, (Integer) row[1]);
          ps.setInt(4, (Integer) row[2]);
          ps.executeUpdate();
        }
      }
      try (var ps = c.prepareStatement("INSERT INTO devices VALUES (?, 'dave', ?, 0)")) {
        ps.setString(1, k.deviceId().toString());
        ps.setBytes(2, k.publicKey());
        ps.executeUpdate();
      }
    }
    try (ServerStore migrated = ServerStore.openSqlite(old, clock)) {
      Account dave = migrated.account("dave").orElseThrow();
      assertThat(dave.name()).isEqualTo("Dave");
      assertThat(dave.passwordHash()).isEqualTo(HASH);
      assertThat(dave.createdAt().toEpochMilli()).isEqualTo(created);
      assertThat(migrated.accountByLogin("DAVE@example.org")).contains(dave);
      assertThat(migrated.refreshTokenUser(refresh)).contains("dave");
      assertThat(migrated.accessTokenUser(refresh)).isEmpty();
      assertThat(migrated.accessTokenUser(access)).contains("dave");
      assertThat(migrated.refreshTokenUser(access)).isEmpty();
      assertThat(migrated.accessTokenUser(revoked)).isEmpty();
      assertThat(migrated.deviceTokenDevice(refresh)).as("an old token is no device token").isEmpty();
      assertThat(migrated.deviceTokenDevice(access)).isEmpty();
      assertThat(migrated.devices("dave")).containsExactly(
          new ServerDevice("dave", k.deviceId().toString(), k.publicKey(), false));
      assertThat(migrated.identityUser("dave")).as("an old account is bound to no identity user yet").isEmpty();
      assertThat(migrated.bindIdentityUser("dave", "id-dave")).isEqualTo("id-dave");
      String deviceToken = migrated.issueDeviceToken("dave", k.deviceId().toString(), Duration.ofHours(1));
      assertThat(migrated.deviceTokenDevice(deviceToken)).map(ServerDevice::userId).contains("dave");
      assertThat(migrated.useChallenge("dave", migrated.issueChallenge("dave", Duration.ofMinutes(1)))).isTrue();
    }
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + old.resolve("accounts.db"));
        var s = c.createStatement(); var rs = s.executeQuery("SELECT value FROM meta WHERE key = 'schema'")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).isEqualTo(4);
    }
    // Opened again: nothing is migrated twice, and everything is still there.
    try (ServerStore again = ServerStore.openSqlite(old, clock)) {
      assertThat(again.identityUser("dave")).contains("id-dave");
      assertThat(again.refreshTokenUser(refresh)).contains("dave");
    }
  }

  private static final String HASH = dev.cfost.identity.internal.PasswordHash.dummy(
      new dev.cfost.identity.Argon2Params(64, 1, 1));
}
