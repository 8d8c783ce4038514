package dev.cfost.identity;

import java.util.Objects;

/**
 * A user could not be registered (or a new password was refused): the message says which field was
 * wrong and why, and {@link #reason()} tells the same to code.
 */
public final class RegistrationException extends IdentityException {
  private static final long serialVersionUID = 1L;

  /** Why the registration was refused. */
  public enum Reason {
    /** The user name is empty, too long, or has characters other than letters, digits, '.', '_' and '-'. */
    INVALID_NAME,
    /** Another user already has this name, compared without regard to case. */
    NAME_TAKEN,
    /** The email address does not have the shape local@domain.tld. */
    INVALID_EMAIL,
    /** Another user already has this email address, compared without regard to case. */
    EMAIL_TAKEN,
    /** The password is shorter than 8 characters (or longer than the maximum). */
    WEAK_PASSWORD
  }

  private final Reason reason;

  public RegistrationException(Reason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** Why the registration was refused. */
  public Reason reason() {
    return reason;
  }
}
