package dev.cfost.server.internal;

import dev.cfost.identity.DeviceId;
import dev.cfost.server.Account;
import dev.cfost.server.AccountExistsException;
import dev.cfost.server.ServerDevice;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The accounts file ({@code accounts.db}): accounts, refresh and access tokens (by SHA-256, never the token) and
 * every user's devices, in one file because a login, a token or a device key must find its user before
 * the user's own file is known. The same statements run on PostgreSQL's tables of the same names
 * ({@link PostgresSchema}), so both stores keep accounts alike.
 */
final class Accounts implements AutoCloseable {
  private static final List<List<String>> MIGRATIONS = List.of(
      // 1: accounts, refresh tokens, devices.
      List.of(
          "CREATE TABLE accounts(user_id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, name_key TEXT NOT NULL"
              + " UNIQUE, email TEXT NOT NULL, email_key TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,"
              + " created_at INTEGER NOT NULL)",
          "CREATE TABLE tokens(hash BLOB PRIMARY KEY NOT NULL, user_id TEXT NOT NULL,"
              + " expires_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID",
          "CREATE INDEX tokens_user ON tokens(user_id)",
          "CREATE TABLE devices(device_id TEXT PRIMARY KEY NOT NULL, user_id TEXT NOT NULL,"
              + " public_key BLOB NOT NULL, revoked INTEGER NOT NULL) WITHOUT ROWID",
          "CREATE INDEX devices_user ON devices(user_id)"),
      // 2: access tokens beside refresh tokens; a token of one kind never verifies as the other.
      List.of("ALTER TABLE tokens ADD COLUMN kind INTEGER NOT NULL DEFAULT 0"),
      // 3: device tokens (a token of kind DEVICE names its device), and the identity user an account
      // is bound to by its first device.
      List.of("ALTER TABLE tokens ADD COLUMN device_id TEXT",
          "ALTER TABLE accounts ADD COLUMN identity_user TEXT"),
      // 4: device challenges, kept in the store so that any process sharing it takes the proof.
      List.of("CREATE TABLE challenges(challenge BLOB PRIMARY KEY NOT NULL, user_id TEXT NOT NULL,"
              + " expires_at INTEGER NOT NULL) WITHOUT ROWID", "CREATE INDEX challenges_user ON challenges(user_id, expires_at)",
          "CREATE INDEX challenges_expiry ON challenges(expires_at)"));
  /** The kinds of token, as kept in {@code tokens.kind}. */
  static final int REFRESH = 0;
  static final int ACCESS = 1;
  static final int DEVICE = 2;
  private static final String ACCOUNT_COLUMNS = "user_id, name, email, password_hash, created_at";
  private static final SecureRandom RANDOM = new SecureRandom();
  /** SQLSTATE unique_violation (PostgreSQL; SQLite has one writer, so its check before the insert is final). */
  private static final String UNIQUE_VIOLATION = "23505";

  private final Transactions file;
  private final Clock clock;
  /** The SQLite file this owns and closes; null when the transactions are a shared pool's. */
  private final StoreFile owned;

  private Accounts(Transactions file, Clock clock, StoreFile owned) {
    this.file = file;
    this.clock = clock;
    this.owned = owned;
  }

  static Accounts open(Path path, Clock clock) {
    StoreFile f = StoreFile.open(path, "accounts", MIGRATIONS);
    return new Accounts(f, clock, f);
  }

  /** Accounts in tables that {@code tx} reaches and someone else created and closes (PostgreSQL). */
  static Accounts over(Transactions tx, Clock clock) {
    return new Accounts(tx, clock, null);
  }

  Account create(String userId, String name, String email, String passwordHash) {
    String id = WireChecks.userId(userId);
    String n = WireChecks.name(name);
    String e = WireChecks.email(email);
    String hash = WireChecks.passwordHash(passwordHash);
    Instant now = Instant.ofEpochMilli(clock.millis());
    return file.tx("creating account '" + id + "'", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT user_id = ?, name_key = ?, email_key = ? FROM accounts"
          + " WHERE user_id = ? OR name_key = ? OR email_key = ? LIMIT 1")) {
        String[] args = {id, WireChecks.key(n), WireChecks.key(e)};
        for (int i = 0; i < 6; i++) {
          ps.setString(i + 1, args[i % 3]);
        }
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            String what = rs.getBoolean(1) ? "user id '" + id + "'" : rs.getBoolean(2) ? "user name '" + n + "'"
                : "email address '" + e + "'";
            throw new AccountExistsException("an account with " + what + " exists already");
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO accounts(user_id, name, name_key, email,"
          + " email_key, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
        ps.setString(1, id);
        ps.setString(2, n);
        ps.setString(3, WireChecks.key(n));
        ps.setString(4, e);
        ps.setString(5, WireChecks.key(e));
        ps.setString(6, hash);
        ps.setLong(7, now.toEpochMilli());
        ps.executeUpdate();
      } catch (SQLException ex) {
        if (UNIQUE_VIOLATION.equals(ex.getSQLState())) {
          // PostgreSQL: another process made the same account between the check and the insert.
          throw new AccountExistsException("an account with user id '" + id + "', user name '" + n
              + "' or email address '" + e + "' exists already");
        }
        throw ex;
      }
      return new Account(id, n, e, hash, now);
    });
  }

  Optional<Account> byId(String userId) {
    if (userId == null) {
      return Optional.empty();
    }
    return file.tx("reading an account", c -> one(c, "SELECT " + ACCOUNT_COLUMNS + " FROM accounts WHERE user_id = ?",
        userId));
  }

  Optional<Account> byLogin(String login) {
    if (login == null || login.length() > 300) {
      return Optional.empty();
    }
    String key = WireChecks.key(login);
    // Names hold no '@' and emails one, so at most one account matches.
    String column = key.indexOf('@') >= 0 ? "email_key" : "name_key";
    return file.tx("reading an account", c -> one(c, "SELECT " + ACCOUNT_COLUMNS
        + " FROM accounts WHERE " + column + " = ?", key));
  }

  boolean exists(String userId) {
    return byId(userId).isPresent();
  }

  private static Optional<Account> one(Connection c, String sql, String arg) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, arg);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(new Account(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
            Instant.ofEpochMilli(rs.getLong(5))));
      }
    }
  }

  // ---- tokens

  String issueToken(int kind, String userId, Duration ttl) {
    return issueToken(kind, userId, null, ttl);
  }

  String issueToken(int kind, String userId, String deviceId, Duration ttl) {
    WireChecks.userId(userId);
    if ((kind == DEVICE) != (deviceId != null)) {
      throw new IllegalArgumentException("a device token, and only a device token, names a device");
    }
    if (ttl == null || ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("a token's time to live must be positive: " + ttl);
    }
    byte[] raw = new byte[32];
    RANDOM.nextBytes(raw);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    long now = clock.millis();
    long ttlMillis;
    try {
      ttlMillis = ttl.toMillis();
    } catch (ArithmeticException e) {
      ttlMillis = Long.MAX_VALUE; // beyond any expiry a long can hold
    }
    long expires = ttlMillis > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + ttlMillis;
    return file.tx("issuing a token", c -> {
      requireAccount(c, userId);
      if (deviceId != null) {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM devices WHERE device_id = ? AND user_id = ?")) {
          ps.setString(1, deviceId);
          ps.setString(2, userId);
          try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
              throw new IllegalArgumentException("device '" + deviceId + "' is not a device of user '" + userId + "'");
            }
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM tokens WHERE user_id = ? AND expires_at <= ?")) {
        ps.setString(1, userId);
        ps.setLong(2, now);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO tokens(hash, user_id, expires_at, kind, device_id) VALUES (?, ?, ?, ?, ?)")) {
        ps.setBytes(1, sha256(token));
        ps.setString(2, userId);
        ps.setLong(3, expires);
        ps.setInt(4, kind);
        ps.setString(5, deviceId);
        ps.executeUpdate();
      }
      return token;
    });
  }

  Optional<String> tokenUser(int kind, String token) {
    if (token == null || token.length() > 256) {
      return Optional.empty();
    }
    long now = clock.millis();
    return file.tx("checking a token", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT user_id FROM tokens WHERE hash = ? AND kind = ? AND revoked = 0 AND expires_at > ?")) {
        ps.setBytes(1, sha256(token));
        ps.setInt(2, kind);
        ps.setLong(3, now);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
        }
      }
    });
  }

  /** The device of a valid device token, revoked or not (the caller refuses a revoked one). */
  Optional<ServerDevice> tokenDevice(String token) {
    if (token == null || token.length() > 256) {
      return Optional.empty();
    }
    long now = clock.millis();
    return file.tx("checking a device token", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT d.user_id, d.device_id, d.public_key, d.revoked"
          + " FROM tokens t JOIN devices d ON d.device_id = t.device_id AND d.user_id = t.user_id"
          + " WHERE t.hash = ? AND t.kind = ? AND t.revoked = 0 AND t.expires_at > ?")) {
        ps.setBytes(1, sha256(token));
        ps.setInt(2, DEVICE);
        ps.setLong(3, now);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next()
              ? Optional.of(new ServerDevice(rs.getString(1), rs.getString(2), rs.getBytes(3), rs.getInt(4) != 0))
              : Optional.<ServerDevice>empty();
        }
      }
    });
  }

  /** Binds the account to {@code identityUser} unless it is bound already; returns the binding. */
  String bindIdentityUser(String userId, String identityUser) {
    WireChecks.userId(userId);
    WireChecks.identityUser(identityUser);
    return file.tx("binding an account to its identity user", c -> {
      requireAccount(c, userId);
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE accounts SET identity_user = ? WHERE user_id = ? AND identity_user IS NULL")) {
        ps.setString(1, identityUser);
        ps.setString(2, userId);
        ps.executeUpdate();
      }
      return identityUser(c, userId).orElseThrow();
    });
  }

  Optional<String> identityUser(String userId) {
    WireChecks.userId(userId);
    return file.tx("reading an account's identity user", c -> identityUser(c, userId));
  }

  private static Optional<String> identityUser(Connection c, String userId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT identity_user FROM accounts WHERE user_id = ?")) {
      ps.setString(1, userId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
      }
    }
  }

  boolean revokeToken(int kind, String token) {
    if (token == null || token.length() > 256) {
      return false;
    }
    long now = clock.millis();
    return file.tx("revoking a token", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE tokens SET revoked = 1 WHERE hash = ? AND kind = ? AND revoked = 0 AND expires_at > ?")) {
        ps.setBytes(1, sha256(token));
        ps.setInt(2, kind);
        ps.setLong(3, now);
        return ps.executeUpdate() > 0;
      }
    });
  }

  int revokeTokens(int kind, String userId) {
    WireChecks.userId(userId);
    long now = clock.millis();
    return file.tx("revoking tokens", c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE tokens SET revoked = 1 WHERE user_id = ? AND kind = ? AND revoked = 0 AND expires_at > ?")) {
        ps.setString(1, userId);
        ps.setInt(2, kind);
        ps.setLong(3, now);
        return ps.executeUpdate();
      }
    });
  }

  private static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  // ---- device challenges

  byte[] issueChallenge(String userId, Duration ttl) {
    WireChecks.userId(userId);
    if (ttl == null || ttl.isNegative() || ttl.isZero() || ttl.toDays() > 1) {
      throw new IllegalArgumentException("a challenge's time to live must be positive and at most a day: " + ttl);
    }
    byte[] challenge = new byte[32];
    RANDOM.nextBytes(challenge);
    long now = clock.millis();
    return file.tx("issuing a device challenge", c -> {
      requireAccount(c, userId);
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM challenges WHERE expires_at <= ?")) {
        ps.setLong(1, now);
        ps.executeUpdate();
      }
      // The user's newest MAX - 1 stay, beside the new one.
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM challenges WHERE user_id = ? AND challenge NOT IN"
          + " (SELECT challenge FROM challenges WHERE user_id = ? ORDER BY expires_at DESC LIMIT ?)")) {
        ps.setString(1, userId);
        ps.setString(2, userId);
        ps.setInt(3, dev.cfost.server.ServerStore.MAX_CHALLENGES_PER_USER - 1);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO challenges(challenge, user_id, expires_at) VALUES (?, ?, ?)")) {
        ps.setBytes(1, challenge);
        ps.setString(2, userId);
        ps.setLong(3, now + ttl.toMillis());
        ps.executeUpdate();
      }
      return challenge.clone();
    });
  }

  boolean useChallenge(String userId, byte[] challenge) {
    if (userId == null || challenge == null || challenge.length != 32) {
      return false;
    }
    long now = clock.millis();
    return file.tx("using a device challenge", c -> {
      int used;
      try (PreparedStatement ps = c.prepareStatement(
          "DELETE FROM challenges WHERE challenge = ? AND user_id = ? AND expires_at > ?")) {
        ps.setBytes(1, challenge);
        ps.setString(2, userId);
        ps.setLong(3, now);
        used = ps.executeUpdate();
      }
      if (used == 0) {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM challenges WHERE challenge = ?")) {
          ps.setBytes(1, challenge); // another user's or expired: single use all the same
          ps.executeUpdate();
        }
      }
      return used > 0;
    });
  }

  // ---- devices

  void putDevice(String userId, String deviceId, byte[] publicKey, boolean revoked) {
    WireChecks.userId(userId);
    String id = WireChecks.deviceId(deviceId);
    if (publicKey == null || !DeviceId.parse(id).matches(publicKey)) {
      throw new IllegalArgumentException("device id '" + id + "' is not the id of the public key given");
    }
    file.tx("storing device '" + id + "'", c -> {
      requireAccount(c, userId);
      try (PreparedStatement ps = c.prepareStatement("SELECT user_id FROM devices WHERE device_id = ?")) {
        ps.setString(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next() && !rs.getString(1).equals(userId)) {
            throw new IllegalArgumentException("device '" + id + "' belongs to another user");
          }
        }
      }
      // A revocation is final (as in the replicated list): once 1, revoked stays 1 whatever comes later. The
      // user check again in the statement: with PostgreSQL another process may have put the device since.
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO devices(device_id, user_id, public_key, revoked)"
          + " VALUES (?, ?, ?, ?) ON CONFLICT(device_id) DO UPDATE SET revoked = CASE WHEN excluded.revoked = 1"
          + " THEN 1 ELSE devices.revoked END WHERE devices.user_id = excluded.user_id")) {
        ps.setString(1, id);
        ps.setString(2, userId);
        ps.setBytes(3, publicKey.clone());
        ps.setInt(4, revoked ? 1 : 0);
        if (ps.executeUpdate() == 0) {
          throw new IllegalArgumentException("device '" + id + "' belongs to another user");
        }
      }
      return null;
    });
  }

  Optional<ServerDevice> device(String deviceId) {
    String id;
    try {
      id = WireChecks.deviceId(deviceId);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    return file.tx("reading a device", c -> {
      List<ServerDevice> found = devices(c, "device_id", id);
      return found.isEmpty() ? Optional.<ServerDevice>empty() : Optional.of(found.get(0));
    });
  }

  List<ServerDevice> devices(String userId) {
    WireChecks.userId(userId);
    return file.tx("reading devices", c -> devices(c, "user_id", userId));
  }

  private static List<ServerDevice> devices(Connection c, String column, String value) throws SQLException {
    List<ServerDevice> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT user_id, device_id, public_key, revoked FROM devices"
        + " WHERE " + column + " = ? ORDER BY device_id")) {
      ps.setString(1, value);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new ServerDevice(rs.getString(1), rs.getString(2), rs.getBytes(3), rs.getInt(4) != 0));
        }
      }
    }
    return out;
  }

  private static void requireAccount(Connection c, String userId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM accounts WHERE user_id = ?")) {
      ps.setString(1, userId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new IllegalArgumentException("no account with user id '" + userId + "'");
        }
      }
    }
  }

  @Override
  public void close() {
    if (owned != null) {
      owned.close();
    }
  }
}
