package dev.cfost.server.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A refused HTTP request: its status and the JSON error body {@code {error, message[, field]}}, plus any
 * headers the refusal needs (Retry-After, WWW-Authenticate). Messages never hold a secret from the request.
 */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  final int status;
  final String code;
  final String field;
  final Map<String, String> headers = new LinkedHashMap<>();

  ApiException(int status, String code, String message) {
    this(status, code, null, message);
  }

  ApiException(int status, String code, String field, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.field = field;
  }

  ApiException header(String name, String value) {
    headers.put(name, value);
    return this;
  }

  static ApiException badField(String field, String message) {
    return new ApiException(400, "invalid_field", field, message);
  }
}
