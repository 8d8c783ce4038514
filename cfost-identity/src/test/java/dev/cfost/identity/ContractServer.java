package dev.cfost.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cfost.Values;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The HTTP side of the sync server's device contract (docs/SERVER.md), on the JDK's HTTP server, for the
 * client's tests until they run against cfost-server itself: one account {@code alice}, rotating refresh
 * tokens, one-time challenges, and device proofs checked from the contract's own description of the signed
 * bytes (not from the client's code).
 */
final class ContractServer implements AutoCloseable {
  static final String ACCOUNT = "acct-1";
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpServer http;
  private final SecureRandom random = new SecureRandom();
  private volatile String access;
  private volatile String refresh;
  private int counter;
  private final Set<String> challenges = ConcurrentHashMap.newKeySet();
  /** Device ids the account's device list authorizes; empty: the first proven device is accepted. */
  final Set<String> authorized = ConcurrentHashMap.newKeySet();
  volatile String boundUser;
  volatile int refreshes;

  ContractServer() throws IOException {
    http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    http.createContext("/", this::handle);
    http.start();
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + http.getAddress().getPort());
  }

  String currentRefreshToken() {
    return refresh;
  }

  private synchronized ObjectNode tokens() {
    counter++;
    access = "access-" + counter;
    refresh = "refresh-" + counter;
    return JSON.createObjectNode().put("user_id", ACCOUNT).put("access_token", access).put("refresh_token", refresh)
        .put("token_type", "Bearer").put("expires_in", 900);
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      JsonNode body = readBody(ex);
      String bearer = String.valueOf(ex.getRequestHeaders().getFirst("Authorization"));
      switch (ex.getRequestURI().getPath()) {
        case "/v1/auth/login" -> {
          if (body.path("login").asText().equals("alice") && body.path("password").asText().equals("correct horse")) {
            answer(ex, 200, tokens());
          } else {
            answer(ex, 401, error("invalid_credentials"));
          }
        }
        case "/v1/auth/refresh" -> {
          if (body.path("refresh_token").asText().equals(refresh)) {
            refreshes++;
            answer(ex, 200, tokens());
          } else {
            answer(ex, 401, error("invalid_grant"));
          }
        }
        case "/v1/devices/challenge" -> {
          if (!bearer.equals("Bearer " + access)) {
            answer(ex, 401, error("invalid_token"));
            return;
          }
          byte[] c = new byte[32];
          random.nextBytes(c);
          challenges.add(Values.hex(c));
          answer(ex, 200, JSON.createObjectNode().put("challenge", Values.hex(c)).put("expires_in", 60));
        }
        case "/v1/devices/token" -> token(ex, body, bearer);
        default -> answer(ex, 404, error("not_found"));
      }
    }
  }

  private void token(HttpExchange ex, JsonNode body, String bearer) throws IOException {
    if (!bearer.equals("Bearer " + access)) {
      answer(ex, 401, error("invalid_token"));
      return;
    }
    String challenge = body.path("challenge").asText();
    byte[] key = Values.unhex(body.path("public_key").asText());
    String user = body.path("identity_user").asText();
    ByteArrayOutputStream m = new ByteArrayOutputStream();
    m.writeBytes("cfost-device-proof-v1".getBytes(StandardCharsets.US_ASCII));
    m.write(0);
    for (String s : new String[] {ACCOUNT, user}) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      m.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
      m.writeBytes(b);
    }
    m.writeBytes(Values.unhex(challenge));
    if (!challenges.remove(challenge) || !DeviceId.of(key).toString().equals(body.path("device_id").asText())
        || !DeviceKeys.verify(key, m.toByteArray(), Values.unhex(body.path("signature").asText()))) {
      answer(ex, 401, error("invalid_proof"));
      return;
    }
    if (boundUser != null && !boundUser.equals(user)) {
      answer(ex, 403, error("wrong_user"));
      return;
    }
    String device = body.path("device_id").asText();
    if (boundUser != null && !authorized.contains(device)) {
      answer(ex, 403, error("device_not_authorized"));
      return;
    }
    boundUser = user;
    authorized.add(device);
    answer(ex, 200, JSON.createObjectNode().put("device_token", "device-" + device).put("token_type", "Bearer")
        .put("expires_in", 86400).put("device_id", device));
  }

  private static JsonNode readBody(HttpExchange ex) throws IOException {
    byte[] b = ex.getRequestBody().readAllBytes();
    return b.length == 0 ? JSON.createObjectNode() : JSON.readTree(b);
  }

  private static ObjectNode error(String code) {
    return JSON.createObjectNode().put("error", code).put("message", code.replace('_', ' '));
  }

  private static void answer(HttpExchange ex, int status, JsonNode body) throws IOException {
    byte[] b = body.toString().getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
  }

  @Override
  public void close() {
    http.stop(0);
  }
}
