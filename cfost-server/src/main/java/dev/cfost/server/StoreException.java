package dev.cfost.server;

/**
 * The store failed to read or write its files (disk full, a file that is not a store, one written by a
 * newer version). The operation that threw applied nothing.
 */
public final class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public StoreException(String message) {
    super(message);
  }
}
