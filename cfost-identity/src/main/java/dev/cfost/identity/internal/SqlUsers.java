package dev.cfost.identity.internal;

import static dev.cfost.identity.internal.IdentitySchema.USERS;

import dev.cfost.Cfost;
import dev.cfost.WallClock;
import dev.cfost.identity.Argon2Params;
import dev.cfost.identity.AuthenticationException;
import dev.cfost.identity.IdentityException;
import dev.cfost.identity.RegistrationException;
import dev.cfost.identity.RegistrationException.Reason;
import dev.cfost.identity.User;
import dev.cfost.identity.Users;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/** {@link Users} over the replicated {@code identity_users} table. Thread-safe, immutable. */
public final class SqlUsers implements Users {
  private final Db db;
  private final Argon2Params params;
  private final WallClock clock;

  private SqlUsers(Cfost db, Argon2Params params, WallClock clock) {
    this.db = new Db(db);
    this.params = params;
    this.clock = clock;
  }

  public static Users open(Cfost db, Argon2Params params) {
    Objects.requireNonNull(db, "db");
    Objects.requireNonNull(params, "params");
    IdentitySchema.users(db);
    return new SqlUsers(db, params, WallClock.system());
  }

  private record Row(User user, String hash) {}

  @Override
  public String register(String userName, String email, char[] password) {
    try {
      String name = UserRules.name(userName);
      String mail = UserRules.email(email);
      UserRules.password(password);
      String nameKey = UserRules.key(name);
      String emailKey = UserRules.key(mail);
      // Fail fast before the expensive hash; checked again inside the transaction that inserts.
      db.read(c -> checkFree(c, name, nameKey, mail, emailKey));
      String hash = PasswordHash.hash(password, params);
      String id = UUID.randomUUID().toString();
      long now = clock.millis();
      db.write(c -> {
        checkFree(c, name, nameKey, mail, emailKey);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + USERS + "(user_id, user_name,"
            + " name_key, email, email_key, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
          ps.setString(1, id);
          ps.setString(2, name);
          ps.setString(3, nameKey);
          ps.setString(4, mail);
          ps.setString(5, emailKey);
          ps.setString(6, hash);
          ps.setLong(7, now);
          ps.setLong(8, now);
          ps.executeUpdate();
        }
        return null;
      });
      return id;
    } finally {
      clear(password);
    }
  }

  @Override
  public User login(String nameOrEmail, char[] password) {
    try {
      List<Row> candidates = nameOrEmail == null || password == null ? List.of()
          : db.read(c -> byKey(c, UserRules.key(nameOrEmail)));
      if (candidates.isEmpty()) {
        PasswordHash.verify(password == null ? new char[0] : password, dummyHash(nameOrEmail));
        throw new AuthenticationException(AuthenticationException.WRONG_CREDENTIALS);
      }
      // Two replicas may have registered the same name while offline: the password tells them apart.
      for (Row row : candidates) {
        if (verify(password, row)) {
          if (PasswordHash.needsRehash(row.hash(), params)) {
            replaceHash(row.user().id(), row.hash(), PasswordHash.hash(password, params));
          }
          return row.user();
        }
      }
      throw new AuthenticationException(AuthenticationException.WRONG_CREDENTIALS);
    } finally {
      clear(password);
    }
  }

  /**
   * What a login for an unknown name verifies against, so that the miss costs one full Argon2id run with
   * the parameters of a stored hash (picked by the name, the same for every try), not the current ones: a
   * user whose hash has older parameters must not be told apart from a name that does not exist.
   */
  private String dummyHash(String nameOrEmail) {
    byte[] pick = (nameOrEmail == null ? "" : nameOrEmail).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    String stored = db.read(c -> {
      long count;
      try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + USERS + " WHERE password_hash IS NOT NULL");
          ResultSet rs = ps.executeQuery()) {
        count = rs.next() ? rs.getLong(1) : 0;
      }
      if (count == 0) {
        return null;
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT password_hash FROM " + USERS
          + " WHERE password_hash IS NOT NULL ORDER BY user_id LIMIT 1 OFFSET ?")) {
        ps.setLong(1, Math.floorMod(java.util.Arrays.hashCode(pick), count));
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? rs.getString(1) : null;
        }
      }
    });
    Argon2Params p = params;
    if (stored != null) {
      try {
        p = PasswordHash.parse(stored).params();
      } catch (IllegalArgumentException unreadable) {
        // a damaged or out-of-bounds hash: the current parameters
      }
    }
    return PasswordHash.dummy(p);
  }

  @Override
  public void changePassword(String userId, char[] oldPassword, char[] newPassword) {
    try {
      Objects.requireNonNull(userId, "userId");
      UserRules.password(newPassword);
      Row row = db.read(c -> byId(c, userId))
          .orElseThrow(() -> new IdentityException("no user with id '" + userId + "'"));
      if (oldPassword == null || !verify(oldPassword, row)) {
        throw new AuthenticationException("wrong password for user '" + row.user().name() + "'");
      }
      if (!replaceHash(userId, row.hash(), PasswordHash.hash(newPassword, params))) {
        throw new IdentityException("the password of user '" + row.user().name()
            + "' was changed meanwhile; nothing was changed, try again");
      }
    } finally {
      clear(oldPassword);
      clear(newPassword);
    }
  }

  @Override
  public Optional<User> find(String userId) {
    Objects.requireNonNull(userId, "userId");
    return db.read(c -> byId(c, userId)).map(Row::user);
  }

  @Override
  public boolean needsRehash(String userId) {
    Row row = db.read(c -> byId(c, userId))
        .orElseThrow(() -> new IdentityException("no user with id '" + userId + "'"));
    return PasswordHash.needsRehash(row.hash(), params);
  }

  private boolean verify(char[] password, Row row) {
    try {
      return PasswordHash.verify(password, row.hash());
    } catch (IllegalArgumentException e) {
      throw new IdentityException("the stored password hash of user '" + row.user().id()
          + "' cannot be read: " + e.getMessage(), e);
    }
  }

  /** Replaces the hash only if it is still {@code expected}: a concurrent change is not overwritten. */
  private boolean replaceHash(String userId, String expected, String hash) {
    long now = clock.millis();
    return db.write(c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE " + USERS
          + " SET password_hash = ?, updated_at = ? WHERE user_id = ? AND password_hash = ?")) {
        ps.setString(1, hash);
        ps.setLong(2, now);
        ps.setString(3, userId);
        ps.setString(4, expected);
        return ps.executeUpdate() == 1;
      }
    });
  }

  private static Void checkFree(Connection c, String name, String nameKey, String email, String emailKey)
      throws SQLException {
    if (exists(c, "name_key", nameKey)) {
      throw new RegistrationException(Reason.NAME_TAKEN, "user name '" + name + "' is already taken");
    }
    if (exists(c, "email_key", emailKey)) {
      throw new RegistrationException(Reason.EMAIL_TAKEN, "email address '" + email
          + "' is already registered");
    }
    return null;
  }

  private static boolean exists(Connection c, String column, String key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM " + USERS + " WHERE " + column + " = ?")) {
      ps.setString(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static final String COLUMNS = "user_id, user_name, email, created_at, password_hash";

  private static List<Row> byKey(Connection c, String key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM " + USERS
        + " WHERE name_key = ?1 OR email_key = ?1 ORDER BY created_at, user_id")) {
      ps.setString(1, key);
      return rows(ps);
    }
  }

  private static Optional<Row> byId(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM " + USERS + " WHERE user_id = ?")) {
      ps.setString(1, id);
      return rows(ps).stream().findFirst();
    }
  }

  private static List<Row> rows(PreparedStatement ps) throws SQLException {
    List<Row> rows = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        User user = new User(rs.getString(1), rs.getString(2), rs.getString(3),
            Instant.ofEpochMilli(rs.getLong(4)));
        rows.add(new Row(user, rs.getString(5)));
      }
    }
    return rows;
  }

  private static void clear(char[] password) {
    if (password != null) {
      Arrays.fill(password, '\0');
    }
  }
}
