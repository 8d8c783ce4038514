package dev.cfost.net;

import java.io.IOException;
import java.net.URI;
import java.util.Map;

/**
 * Where a WebSocket transport gets the headers of its handshake (an {@code Authorization} bearer token),
 * asked afresh before every connection attempt, so that a token can be fetched or refreshed lazily.
 *
 * <p>Called on a dialing thread, never two at once for one transport; must not block for long (it may make
 * an HTTP request). Implementations are thread-safe.
 */
public interface WebSocketAuth {
  /**
   * The headers for the handshake with {@code url}.
   *
   * @throws IOException if they cannot be had now (the server is unreachable, say): the attempt fails and
   *     is retried with backoff, like a failed connection
   */
  Map<String, String> headers(URI url) throws IOException;

  /**
   * The server refused the handshake with HTTP {@code status} (401 or 403): the headers given for it no
   * longer work, so the next {@link #headers} call should not return them again. Default: nothing.
   */
  default void refused(URI url, int status) {}

  /** No headers: a server that needs no authentication (tests). */
  static WebSocketAuth none() {
    return url -> Map.of();
  }
}
