package dev.cfost.server;

import java.time.Instant;
import java.util.Objects;

/**
 * A server account.
 *
 * @param userId the user's id: 1 to 64 letters, digits, {@code -} or {@code _} (a UUID in practice)
 * @param name the user name as registered; unique without regard to case
 * @param email the email address as registered; unique without regard to case
 * @param passwordHash the Argon2id PHC string of cfost-identity ({@code $argon2id$v=19$...}), never the
 *     password
 * @param createdAt when the account was made, to the millisecond
 */
public record Account(String userId, String name, String email, String passwordHash, Instant createdAt) {
  public Account {
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(email, "email");
    Objects.requireNonNull(passwordHash, "passwordHash");
    Objects.requireNonNull(createdAt, "createdAt");
  }

  @Override
  public String toString() {
    return "Account{" + userId + " name=" + name + " email=" + email + "}"; // never the hash
  }
}
