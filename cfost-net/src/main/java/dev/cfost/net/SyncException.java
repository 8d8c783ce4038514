package dev.cfost.net;

import dev.cfost.CfostException;

/**
 * A session ended with a protocol error, raised here or by the peer. {@link #code()} is the protocol's
 * error code (docs/PROTOCOL.md), such as {@code wrong_topic} or {@code unauthorized}.
 */
public final class SyncException extends CfostException {
  private static final long serialVersionUID = 1L;
  private final String code;
  private final String detail;

  public SyncException(String code, String message) {
    super(code + ": " + message);
    this.code = code;
    this.detail = message;
  }

  public String code() {
    return code;
  }

  /** The message without its code. */
  public String detail() {
    return detail;
  }
}
