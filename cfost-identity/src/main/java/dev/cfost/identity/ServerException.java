package dev.cfost.identity;

/**
 * A sync server refused a request of this device, or could not be reached: {@link #code()} says which
 * (the server's error code, such as {@code invalid_credentials}, {@code invalid_grant},
 * {@code device_not_authorized} or {@code wrong_user}, or {@value #UNREACHABLE} and {@value #NOT_LOGGED_IN}
 * from this side), and the message says what to do about it.
 */
public final class ServerException extends IdentityException {
  private static final long serialVersionUID = 1L;

  /** No server URL answered. */
  public static final String UNREACHABLE = "unreachable";
  /** No login is saved for this server (or it is for another one). */
  public static final String NOT_LOGGED_IN = "not_logged_in";

  private final String code;
  private final int status;

  public ServerException(String code, int status, String message) {
    super(message);
    this.code = code;
    this.status = status;
  }

  public ServerException(String code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
    this.status = 0;
  }

  /** The error code: the server's, or {@value #UNREACHABLE} or {@value #NOT_LOGGED_IN}. */
  public String code() {
    return code;
  }

  /** The HTTP status of the refusal, or 0 when the server did not answer. */
  public int status() {
    return status;
  }
}
