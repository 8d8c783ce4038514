package dev.cfost.cli.internal;

/** A command failed for a reason the user can act on; its message is printed after {@code cfost: }. */
final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  CliException(String message) {
    super(message);
  }

  CliException(String message, Throwable cause) {
    super(message, cause);
  }
}
