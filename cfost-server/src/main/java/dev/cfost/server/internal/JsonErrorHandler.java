package dev.cfost.server.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * The answer to a request Jetty refuses before any route sees it (a control character in a header, headers
 * or a URI too long, no Host): the same JSON body as every other refusal, {@code {"error","message"}},
 * instead of Jetty's HTML page.
 */
final class JsonErrorHandler extends ErrorHandler {
  /** Jetty's reason is short; this bounds what a refusal repeats of it. */
  private static final int MAX_MESSAGE = 200;

  @Override
  protected void generateResponse(Request request, Response response, int status, String message, Throwable cause,
      Callback callback) {
    // A 5xx's message may carry an exception's text: only the status's reason is said then.
    String reason = message == null || message.isBlank() || status >= 500 ? HttpStatus.getMessage(status) : message;
    if (reason.length() > MAX_MESSAGE) {
      reason = reason.substring(0, MAX_MESSAGE);
    }
    byte[] body = JsonBody.MAPPER.createObjectNode().put("error", code(status)).put("message", reason).toString()
        .getBytes(StandardCharsets.UTF_8);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, ByteBuffer.wrap(body), callback);
  }

  /** The body's {@code error} code: the API's own where it has one for the status. */
  static String code(int status) {
    return switch (status) {
      case 400 -> "bad_request";
      case 413 -> "body_too_large";
      case 414 -> "uri_too_long";
      case 431 -> "headers_too_large";
      case 500 -> "internal_error";
      case 503 -> "busy";
      default -> HttpStatus.getMessage(status).toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "_");
    };
  }
}
