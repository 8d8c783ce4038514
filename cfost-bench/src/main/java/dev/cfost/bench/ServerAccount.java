package dev.cfost.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cfost.Values;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.ServerClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * The account steps of docs/SERVER.md over plain HTTP, for the benchmark's lightweight devices (the
 * real devices use {@link dev.cfost.identity.ServerClient}): register, log in, and prove a device key
 * for a device token. Also times {@code GET /health} and reads the open sessions from {@code /metrics}.
 * Thread-safe.
 */
final class ServerAccount {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final java.util.regex.Pattern OPEN_SESSIONS = java.util.regex.Pattern.compile(
      "cfost_sync_connections_open\\{[^}]*transport=\"websocket\"[^}]*\\}\\s+([0-9.]+)");

  private final URI base;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  ServerAccount(int port) {
    this.base = URI.create("http://127.0.0.1:" + port);
  }

  URI base() {
    return base;
  }

  /** Registers the account; returns its user id. */
  String register(String name, String password) throws IOException, InterruptedException {
    return post("/v1/auth/register", null, Map.of("user_name", name, "email", name + "@example.org",
        "password", password)).get("user_id").asText();
  }

  /** Logs in; returns the access token (15 minutes). */
  String login(String name, String password) throws IOException, InterruptedException {
    return post("/v1/auth/login", null, Map.of("login", name, "password", password)).get("access_token").asText();
  }

  /** Challenge and proof of {@code keys} (docs/SERVER.md, "Devices"): the device token. */
  String deviceToken(String accessToken, String accountUser, String identityUser, DeviceKeys keys)
      throws IOException, InterruptedException {
    String challenge = post("/v1/devices/challenge", accessToken, null).get("challenge").asText();
    byte[] signature = keys.sign(ServerClient.deviceProofMessage(accountUser, identityUser, Values.unhex(challenge)));
    return post("/v1/devices/token", accessToken, Map.of("device_id", keys.deviceId().toString(),
        "public_key", Values.hex(keys.publicKey()), "identity_user", identityUser, "challenge", challenge,
        "signature", Values.hex(signature))).get("device_token").asText();
  }

  /** Nanoseconds {@code GET /health} took to answer 200; -1 if it did not within {@code timeout}. */
  long health(Duration timeout) {
    long t0 = System.nanoTime();
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/health")).timeout(timeout).GET()
          .build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? System.nanoTime() - t0 : -1;
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** The WebSocket sync sessions the server holds, from its {@code /metrics} (loopback may read it). */
  int websocketSessions() throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/metrics")).timeout(Duration.ofSeconds(30))
        .GET().build(), HttpResponse.BodyHandlers.ofString());
    java.util.regex.Matcher m = OPEN_SESSIONS.matcher(r.body());
    if (r.statusCode() != 200 || !m.find()) {
      throw new IOException("GET /metrics answered " + r.statusCode() + " without cfost_sync_connections_open");
    }
    return (int) Double.parseDouble(m.group(1));
  }

  private JsonNode post(String path, String bearer, Map<String, String> body) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(120)) // Argon2id under a load of 40+ on 2 cores took over 30 s
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body == null ? "" : JSON.writeValueAsString(body)));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      throw new IOException("POST " + path + " answered " + r.statusCode() + ": " + r.body());
    }
    return JSON.readTree(r.body());
  }
}
