package dev.cfost.internal.documents;

/** A JSON patch that is malformed or does not apply; the message says which operation and why. */
public final class PatchException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PatchException(String message) {
    super(message);
  }
}
