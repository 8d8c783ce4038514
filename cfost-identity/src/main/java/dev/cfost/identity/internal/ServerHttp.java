package dev.cfost.identity.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cfost.identity.ServerException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * JSON requests to a sync server's HTTP API, trying its URLs in order from the one that answered last: a
 * URL that cannot be reached moves to the next; an answer (whatever its status) is returned. Thread-safe.
 */
public final class ServerHttp {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Answers are small JSON objects; a larger one is not the sync server's. */
  private static final int MAX_ANSWER_BYTES = 64 << 10;

  /** One answer: its status and JSON body (an empty object when it was not JSON). */
  public record Answer(int status, JsonNode body) {
    public String error() {
      return body.path("error").asText("");
    }

    public String text(String field) {
      return body.path(field).asText("");
    }

    /** The server's refusal for a message: its code, field and message, if any. */
    public String describe() {
      String field = text("field");
      String message = text("message");
      return "HTTP " + status + (error().isEmpty() ? "" : " " + error()) + (field.isEmpty() ? "" : " (field " + field + ")")
          + (message.isEmpty() ? "" : ": " + message);
    }
  }

  private final List<URI> servers;
  private final HttpClient client;
  private final Duration timeout;
  private volatile int current;

  public ServerHttp(List<URI> servers, SSLContext tls, Duration timeout) {
    this.servers = List.copyOf(servers);
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER);
    if (tls != null) {
      b.sslContext(tls);
    }
    this.client = b.build();
    this.timeout = timeout;
  }

  public static ObjectNode object() {
    return JSON.createObjectNode();
  }

  /**
   * POSTs {@code body} (or nothing) to {@code path} with the bearer {@code token} (or none).
   *
   * @throws ServerException {@value ServerException#UNREACHABLE} if no URL answered
   */
  public Answer post(String path, String token, ObjectNode body) {
    List<String> failures = new ArrayList<>();
    int n = servers.size();
    int start = current;
    for (int i = 0; i < n; i++) {
      int index = (start + i) % n;
      URI url = resolve(servers.get(index), path);
      HttpRequest.Builder r = HttpRequest.newBuilder(url).timeout(timeout)
          .header("Content-Type", "application/json").header("Accept", "application/json")
          .POST(body == null ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(body.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      if (token != null) {
        r.header("Authorization", "Bearer " + token);
      }
      try {
        HttpResponse<byte[]> response = client.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
        current = index;
        return new Answer(response.statusCode(), parse(response.body()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ServerException(ServerException.UNREACHABLE, "interrupted while asking the sync server at "
            + servers.get(index), new InterruptedIOException());
      } catch (javax.net.ssl.SSLException e) {
        failures.add(servers.get(index) + ": TLS failed (" + e.getMessage() + "); if the server's certificate is"
            + " self-signed, trust it explicitly (ServerClient.Builder.trust, cfost --server-trust FILE)");
      } catch (IOException e) {
        failures.add(servers.get(index) + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      }
    }
    throw new ServerException(ServerException.UNREACHABLE, "cannot reach the sync server ("
        + String.join("; ", failures) + "); check the URL, the network, and that the server runs", null);
  }

  /** {@code path} under the base URL's own path ({@code https://host/prefix} serves {@code /prefix/v1/...}). */
  public static URI resolve(URI base, String path) {
    String b = base.toString();
    return URI.create((b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + path);
  }

  private static JsonNode parse(byte[] bytes) {
    if (bytes == null || bytes.length == 0 || bytes.length > MAX_ANSWER_BYTES) {
      return JSON.createObjectNode();
    }
    try {
      JsonNode n = JSON.readTree(bytes);
      return n != null && n.isObject() ? n : JSON.createObjectNode();
    } catch (IOException e) {
      return JSON.createObjectNode(); // a proxy's HTML page, say: the status tells what happened
    }
  }
}
