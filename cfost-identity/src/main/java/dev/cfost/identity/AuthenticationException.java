package dev.cfost.identity;

/**
 * A login or password check failed.
 *
 * <p>The message is deliberately the same whether the user does not exist or the password is wrong
 * ({@value #WRONG_CREDENTIALS}), so that it cannot be used to find out which user names exist.
 */
public final class AuthenticationException extends IdentityException {
  private static final long serialVersionUID = 1L;

  /** The one message for every failed login. */
  public static final String WRONG_CREDENTIALS = "wrong user name or password";

  public AuthenticationException(String message) {
    super(message);
  }
}
