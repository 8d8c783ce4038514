package dev.cfost.identity;

import dev.cfost.Cfost;
import dev.cfost.identity.internal.SqlUsers;
import java.util.Optional;

/**
 * The users of a CFOST database: registration, login and password changes.
 *
 * <p>Users live in the replicated table {@code identity_users}, so an account made on one device reaches
 * the user's other devices like any row. Passwords are never stored: each is hashed with Argon2id
 * ({@link Argon2Params#DEFAULT} unless given) into a PHC string that records its own parameters.
 *
 * <p>Every method that takes a password overwrites the caller's {@code char[]} with zeros before it
 * returns, whatever the outcome, so that the password does not linger on the heap; pass a copy if you
 * need it again. Thread-safe; each call uses its own connection, so there is nothing to close.
 */
public interface Users {

  /** The users of {@code db} with the default Argon2id parameters; creates the table if needed. */
  static Users open(Cfost db) {
    return open(db, Argon2Params.DEFAULT);
  }

  /** The users of {@code db}, hashing new passwords with {@code params}. */
  static Users open(Cfost db, Argon2Params params) {
    return SqlUsers.open(db, params);
  }

  /**
   * Registers a user and returns the new user id (a random UUID).
   *
   * @throws RegistrationException if the name or email is malformed or already taken (compared without
   *     regard to case), or the password has fewer than 8 characters; {@link RegistrationException#reason()}
   *     says which
   */
  String register(String userName, String email, char[] password);

  /**
   * Checks a password and returns the user. An unknown name takes as long as a wrong password and fails
   * with the same message; a hash made with other parameters than this object's is renewed on success.
   *
   * @param nameOrEmail the user name or the email address, in any case
   * @throws AuthenticationException {@value AuthenticationException#WRONG_CREDENTIALS}
   */
  User login(String nameOrEmail, char[] password);

  /**
   * Replaces a user's password after checking the old one.
   *
   * @throws AuthenticationException if {@code oldPassword} is wrong
   * @throws RegistrationException if {@code newPassword} is too short
   * @throws IdentityException if there is no user {@code userId}
   */
  void changePassword(String userId, char[] oldPassword, char[] newPassword);

  /** The user with this id, if any. */
  Optional<User> find(String userId);

  /**
   * Whether the stored hash of {@code userId} was made with other parameters than this object's; it is
   * renewed at the next successful login or password change.
   *
   * @throws IdentityException if there is no user {@code userId}
   */
  boolean needsRehash(String userId);
}
