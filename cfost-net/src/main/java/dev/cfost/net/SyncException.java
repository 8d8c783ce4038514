package dev.cfost.net;

import dev.cfost.CfostException;

/**
 * A session ended with a protocol error, raised here or by the peer. {@link #code()} is the protocol's
 * error code (docs/PROTOCOL.md), such as {@code wrong_topic} or {@code unauthorized}.
 */
public final class SyncException extends CfostException {
  private static final long serialVersionUID = 1L;
  private final String code;

  public SyncException(String code, String message) {
    super(code + ": " + message);
    this.code = code;
  }

  public String code() {
    return code;
  }
}
