package dev.cfost;

/**
 * An error raised by CFOST: misuse of the API, an invalid schema, or a refused remote change.
 *
 * <p>Unchecked, because most of these are programming or data errors that a caller cannot retry. The
 * message always names the table, column, field or value that was wrong.
 */
public class CfostException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CfostException(String message) {
    super(message);
  }

  public CfostException(String message, Throwable cause) {
    super(message, cause);
  }
}
