package dev.cfost.net.internal;

/** A violation of the sync protocol, with the error code sent to the other side. */
final class ProtocolException extends Exception {
  private static final long serialVersionUID = 1L;

  static final String MALFORMED_FRAME = "malformed_frame";
  static final String FRAME_TOO_LARGE = "frame_too_large";
  static final String UNKNOWN_MESSAGE = "unknown_message";
  static final String UNSUPPORTED_VERSION = "unsupported_version";
  static final String WRONG_TOPIC = "wrong_topic";
  static final String SELF_CONNECTION = "self_connection";
  static final String DUPLICATE_SESSION = "duplicate_session";
  static final String INVALID_CHANGE = "invalid_change";
  static final String UNAUTHORIZED = "unauthorized";
  static final String CLOCK_DRIFT = "clock_drift";
  static final String PROTOCOL_VIOLATION = "protocol_violation";
  static final String TIMEOUT = "timeout";
  static final String INTERNAL = "internal";

  final String code;

  ProtocolException(String code, String message) {
    super(message);
    this.code = code;
  }
}
