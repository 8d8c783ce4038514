package dev.cfost.server;

/** An account could not be made: its user id, name or email (without regard to case) is taken. */
public final class AccountExistsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public AccountExistsException(String message) {
    super(message);
  }
}
