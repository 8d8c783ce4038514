package dev.cfost.server;

import static dev.cfost.server.HttpTestClient.obj;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.identity.Argon2Params;
import dev.cfost.identity.ServerClient;
import dev.cfost.identity.ServerException;
import dev.cfost.server.HttpTestClient.Answer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The auth endpoints, /health and /ready of a real server on 127.0.0.1, through java.net.http. */
class AuthApiIT {
  /** Cheap Argon2id: the tests check behaviour, not cost. */
  static final Argon2Params FAST = new Argon2Params(256, 1, 1);
  static final String PASSWORD = "correct horse battery";

  @TempDir Path dir;
  private final List<CfostServer> servers = new ArrayList<>();

  @AfterEach
  void stop() {
    servers.forEach(CfostServer::close);
  }

  private HttpTestClient start(UnaryOperator<ServerConfig.Builder> tweak) throws Exception {
    ServerConfig.Builder b = ServerConfig.builder().listen("127.0.0.1:0").dataDir(dir.resolve("data" + servers.size()))
        .argon2(FAST).loginLimits(5, 100, Duration.ofMinutes(15)).registrationsPerAddress(1000);
    CfostServer server = CfostServer.start(tweak.apply(b).build());
    servers.add(server);
    return new HttpTestClient(server.port());
  }

  private static String register(HttpTestClient c, String name) throws Exception {
    Answer a = c.post("/v1/auth/register",
        obj("user_name", name, "email", name + "@example.org", "password", PASSWORD));
    assertThat(a.status()).as(a.raw().body()).isEqualTo(201);
    return a.text("user_id");
  }

  private static Answer login(HttpTestClient c, String login, String password) throws Exception {
    return c.post("/v1/auth/login", obj("login", login, "password", password));
  }

  /** The library's client ({@code ServerClient.register}) says what the server refused. */
  @Test
  void theLibrarysClientRegistersAndNamesWhatWasRefused() throws Exception {
    HttpTestClient c = start(b -> b);
    ServerClient client = ServerClient.builder(URI.create("http://127.0.0.1:" + servers.get(0).port())).build();
    String userId = client.register("carol", "carol@example.org", PASSWORD.toCharArray());
    assertThat(login(c, "carol", PASSWORD).text("user_id")).isEqualTo(userId);

    assertThatThrownBy(() -> client.register("Carol", "other@example.org", PASSWORD.toCharArray()))
        .isInstanceOf(ServerException.class).extracting(e -> ((ServerException) e).code()).isEqualTo("account_exists");
    assertThatThrownBy(() -> client.register("dave", "dave@example.org", "short".toCharArray()))
        .isInstanceOf(ServerException.class).hasMessageContaining("password")
        .extracting(e -> ((ServerException) e).code()).isEqualTo("invalid_field");
  }

  @Test
  void registerLoginRefreshAndLogoutRoundTrip() throws Exception {
    HttpTestClient c = start(b -> b);
    String userId = register(c, "alice");
    assertThat(userId).isNotBlank();

    Answer in = login(c, "ALICE@example.org", PASSWORD);
    assertThat(in.status()).isEqualTo(200);
    assertThat(in.text("user_id")).isEqualTo(userId);
    assertThat(in.json().get("expires_in").asLong()).isEqualTo(900);
    assertThat(in.header("Cache-Control")).isEqualTo("no-store");
    String access = in.text("access_token");
    String refresh = in.text("refresh_token");
    assertThat(access).matches("[A-Za-z0-9_-]{43}");
    assertThat(c.get("/v1/account", access).text("user_name")).isEqualTo("alice");

    Answer renewed = c.post("/v1/auth/refresh", obj("refresh_token", refresh));
    assertThat(renewed.status()).isEqualTo(200);
    assertThat(renewed.text("user_id")).isEqualTo(userId);
    assertThat(renewed.text("refresh_token")).isNotEqualTo(refresh);
    Answer reused = c.post("/v1/auth/refresh", obj("refresh_token", refresh));
    assertThat(reused.status()).isEqualTo(401);
    assertThat(reused.text("error")).isEqualTo("invalid_grant");

    String access2 = renewed.text("access_token");
    String refresh2 = renewed.text("refresh_token");
    assertThat(c.get("/v1/account", access2).status()).isEqualTo(200);
    Answer out = c.post("/v1/auth/logout", obj("refresh_token", refresh2), access2);
    assertThat(out.status()).isEqualTo(204);
    Answer after = c.get("/v1/account", access2);
    assertThat(after.status()).isEqualTo(401);
    assertThat(after.header("WWW-Authenticate")).startsWith("Bearer").contains("invalid_token");
    assertThat(c.post("/v1/auth/refresh", obj("refresh_token", refresh2)).status()).isEqualTo(401);
    assertThat(c.get("/v1/account", access).status()).as("a token not logged out lives on").isEqualTo(200);
  }

  @Test
  void aWrongPasswordAndAnUnknownUserGetIdenticalAnswers() throws Exception {
    HttpTestClient c = start(b -> b);
    register(c, "bob");
    Answer wrong = login(c, "bob", "not the password");
    Answer unknown = login(c, "nobody", "not the password");
    assertThat(wrong.status()).isEqualTo(401).isEqualTo(unknown.status());
    assertThat(wrong.raw().body()).isEqualTo(unknown.raw().body());
    assertThat(wrong.raw().headers().map().keySet()).isEqualTo(unknown.raw().headers().map().keySet());
    assertThat(wrong.header("WWW-Authenticate")).isEqualTo(unknown.header("WWW-Authenticate"));
    assertThat(wrong.raw().body()).doesNotContain("not the password").doesNotContain("bob");
  }

  @Test
  void refusedLoginsPerAccountGet429WithRetryAfterEvenWithTheRightPassword() throws Exception {
    HttpTestClient c = start(b -> b.loginLimits(3, 100, Duration.ofMinutes(15)));
    register(c, "carol");
    register(c, "dave");
    for (int i = 0; i < 3; i++) {
      assertThat(login(c, "carol", "wrong password").status()).isEqualTo(401);
      assertThat(login(c, "ghost", "wrong password").status()).isEqualTo(401);
    }
    Answer limited = login(c, "carol", PASSWORD);
    assertThat(limited.status()).isEqualTo(429);
    assertThat(limited.text("error")).isEqualTo("too_many_requests");
    long retry = Long.parseLong(limited.header("Retry-After"));
    assertThat(retry).isBetween(1L, 900L);
    Answer ghost = login(c, "ghost", PASSWORD);
    assertThat(ghost.status()).as("an unknown login is limited alike").isEqualTo(429);
    assertThat(ghost.raw().body()).isEqualTo(limited.raw().body().replace("" + retry, ghost.header("Retry-After")));
    assertThat(login(c, "dave", PASSWORD).status()).as("another account is not limited").isEqualTo(200);
  }

  @Test
  void refusedLoginsPerAddressGet429() throws Exception {
    HttpTestClient c = start(b -> b.loginLimits(100, 4, Duration.ofMinutes(15)));
    register(c, "erin");
    for (int i = 0; i < 4; i++) {
      assertThat(login(c, "user" + i, "wrong password").status()).isEqualTo(401);
    }
    Answer limited = login(c, "erin", PASSWORD);
    assertThat(limited.status()).isEqualTo(429);
    assertThat(limited.header("Retry-After")).matches("[0-9]+");
  }

  private static Answer loginVia(HttpTestClient c, String forwardedFor, String login) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(URI.create(c.base() + "/v1/auth/login"))
        .header("X-Forwarded-For", forwardedFor)
        .POST(HttpRequest.BodyPublishers.ofString(obj("login", login, "password", "wrong password"))).build();
    return c.send(r);
  }

  @Test
  void behindATrustedProxyTheForwardedClientIsCountedAndNeverAnAddressTheClientWrote() throws Exception {
    HttpTestClient c = start(b -> b.loginLimits(100, 2, Duration.ofMinutes(15)).trustedProxies(List.of("127.0.0.1")));
    assertThat(loginVia(c, "203.0.113.9, 10.0.0.1", "a").status()).isEqualTo(401);
    assertThat(loginVia(c, "198.51.100.1, 10.0.0.1", "b").status()).as("only the rightmost hop counts").isEqualTo(401);
    assertThat(loginVia(c, "10.0.0.1", "c").status()).isEqualTo(429);
    assertThat(loginVia(c, "10.0.0.2", "d").status()).as("another client behind the proxy").isEqualTo(401);
  }

  @Test
  void withoutTrustedProxiesForwardedForIsIgnored() throws Exception {
    HttpTestClient c = start(b -> b.loginLimits(100, 2, Duration.ofMinutes(15)));
    assertThat(loginVia(c, "10.0.0.1", "a").status()).isEqualTo(401);
    assertThat(loginVia(c, "10.0.0.2", "b").status()).isEqualTo(401);
    assertThat(loginVia(c, "10.0.0.3", "c").status()).as("all from 127.0.0.1").isEqualTo(429);
  }

  @Test
  void oneUsersTokensCannotActForAnother() throws Exception {
    HttpTestClient c = start(b -> b);
    String alice = register(c, "alice");
    String bob = register(c, "bob");
    Answer a = login(c, "alice", PASSWORD);
    Answer b = login(c, "bob", PASSWORD);
    // Alice logs out naming Bob's refresh token: only her own bearer is revoked.
    assertThat(c.post("/v1/auth/logout", obj("refresh_token", b.text("refresh_token")), a.text("access_token"))
        .status()).isEqualTo(204);
    assertThat(c.get("/v1/account", b.text("access_token")).text("user_id")).isEqualTo(bob);
    Answer bobsRefresh = c.post("/v1/auth/refresh", obj("refresh_token", b.text("refresh_token")));
    assertThat(bobsRefresh.status()).isEqualTo(200);
    assertThat(bobsRefresh.text("user_id")).isEqualTo(bob);
    // A refresh token is no bearer, and an access token no refresh token.
    assertThat(c.get("/v1/account", a.text("refresh_token")).status()).isEqualTo(401);
    assertThat(c.post("/v1/auth/refresh", obj("refresh_token", b.text("access_token"))).status()).isEqualTo(401);
    Answer again = login(c, "alice", PASSWORD);
    assertThat(c.get("/v1/account", again.text("access_token")).text("user_id")).isEqualTo(alice);
  }

  @Test
  void everyOtherV1PathNeedsABearer() throws Exception {
    HttpTestClient c = start(b -> b);
    for (String path : List.of("/v1/account", "/v1/sync", "/v1/sync/events", "/v1/syncing", "/v1/sync/other",
        "/v1/anything")) {
      Answer a = c.get(path, null);
      assertThat(a.status()).as(path).isEqualTo(401);
      assertThat(a.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"cfost\"");
      assertThat(c.get(path, "made-up").status()).as(path).isEqualTo(401);
    }
    assertThat(c.post("/v1/auth/logout", "{}").status()).isEqualTo(401);
    assertThat(c.get("/v1/account", "demo-token").status()).as("demo mode is off by default").isEqualTo(401);
  }

  @Test
  void demoModeAcceptsTheDemoTokenOnlyWhenAskedFor() throws Exception {
    HttpTestClient c = start(b -> b.demo(true));
    Answer a = c.get("/v1/account", "demo-token");
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.text("user_id")).isEqualTo("demo");
    assertThat(c.post("/v1/auth/logout", "", "demo-token").status()).isEqualTo(204);
    assertThat(c.get("/v1/account", "demo-token").status()).isEqualTo(200);
    assertThat(login(c, "demo", "").status()).isEqualTo(401);
  }

  @Test
  void malformedAndOversizedBodiesAreRefusedNamingTheProblem() throws Exception {
    HttpTestClient c = start(b -> b.maxBodyBytes(1024));
    Answer broken = c.post("/v1/auth/login", "{\"login\": \"x\", \"password\": \"hunter2secret");
    assertThat(broken.status()).isEqualTo(400);
    assertThat(broken.text("error")).isEqualTo("malformed_json");
    assertThat(broken.text("message")).contains("line 1").doesNotContain("hunter2");

    Answer missing = c.post("/v1/auth/login", obj("login", "x"));
    assertThat(missing.status()).isEqualTo(400);
    assertThat(missing.text("field")).isEqualTo("password");
    assertThat(missing.text("message")).contains("'password'");

    Answer typed = c.post("/v1/auth/register", "{\"user_name\": 7, \"email\": \"a@b.c\", \"password\": \"x\"}");
    assertThat(typed.status()).isEqualTo(400);
    assertThat(typed.text("field")).isEqualTo("user_name");

    Answer shortPw = c.post("/v1/auth/register",
        obj("user_name", "fred", "email", "fred@example.org", "password", "short"));
    assertThat(shortPw.status()).isEqualTo(400);
    assertThat(shortPw.text("field")).isEqualTo("password");
    assertThat(shortPw.raw().body()).doesNotContain("short\"");

    Answer badEmail = c.post("/v1/auth/register", obj("user_name", "fred", "email", "fred", "password", PASSWORD));
    assertThat(badEmail.text("field")).isEqualTo("email");

    Answer twice = c.post("/v1/auth/login", "{\"login\": \"a\", \"login\": \"b\", \"password\": \"hunter2secret\"}");
    assertThat(twice.status()).isEqualTo(400);
    assertThat(twice.text("message")).contains("duplicate field 'login'").doesNotContain("hunter2");
    assertThat(c.post("/v1/auth/login", "[1, 2]").text("message")).contains("JSON object");
    assertThat(c.post("/v1/auth/login", "").text("message")).contains("empty");

    Answer huge = c.post("/v1/auth/login", obj("login", "x", "password", "p".repeat(2000)));
    assertThat(huge.status()).isEqualTo(413);
    assertThat(huge.text("error")).isEqualTo("body_too_large");
    assertThat(huge.text("message")).contains("1024 bytes");

    // Without a Content-Length (chunked), the bound holds while reading.
    HttpRequest chunked = HttpRequest.newBuilder(URI.create(c.base() + "/v1/auth/login"))
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(
            obj("login", "x", "password", "p".repeat(5000)).getBytes(java.nio.charset.StandardCharsets.UTF_8))))
        .build();
    assertThat(c.send(chunked).status()).isEqualTo(413);

    Answer taken = c.post("/v1/auth/register",
        obj("user_name", "gina", "email", "gina@example.org", "password", PASSWORD));
    assertThat(taken.status()).isEqualTo(201);
    Answer again = c.post("/v1/auth/register",
        obj("user_name", "GINA", "email", "g2@example.org", "password", PASSWORD));
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.text("error")).isEqualTo("account_exists");
  }

  @Test
  void healthAndReadinessAnswer() throws Exception {
    HttpTestClient c = start(b -> b);
    Answer health = c.get("/health", null);
    assertThat(health.status()).isEqualTo(200);
    assertThat(health.text("status")).isEqualTo("ok");
    Answer ready = c.get("/ready", null);
    assertThat(ready.status()).isEqualTo(200);
    assertThat(ready.text("status")).isEqualTo("ready");
    Answer unknown = c.get("/nothing-here", null);
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.text("error")).isEqualTo("not_found");
  }

  @Test
  void everyRefusalIsJsonWithItsCodeEvenBeforeARouteSeesTheRequest() throws Exception {
    HttpTestClient c = start(b -> b);
    Answer wrongMethod = c.send(HttpRequest.newBuilder(URI.create(c.base() + "/v1/auth/login")).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString("{}")).build());
    assertThat(wrongMethod.status()).isEqualTo(405);
    assertThat(wrongMethod.raw().headers().allValues("Allow")).containsExactly("POST");
    assertThat(wrongMethod.text("error")).isEqualTo("method_not_allowed");
    assertThat(wrongMethod.text("message")).isEqualTo("/v1/auth/login takes POST, not PUT");
    assertThat(c.get("/health", null).status()).isEqualTo(200);
    Answer get = c.get("/v1/auth/login", null);
    assertThat(get.status()).isEqualTo(405);
    assertThat(get.raw().headers().allValues("Allow")).containsExactly("POST");
    // A JSON request to no endpoint: the answer was Javalin's text, the check having read the request's type.
    Answer nowhere = c.send(HttpRequest.newBuilder(URI.create(c.base() + "/nowhere")).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString("{}")).build());
    assertThat(nowhere.status()).isEqualTo(404);
    assertThat(nowhere.text("message")).isEqualTo("no endpoint PUT /nowhere");

    assertJsonRefusal(c, "GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n", " 400 ", "bad_request");
    assertJsonRefusal(c, "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(100_000) + "\r\n\r\n", " 431 ",
        "headers_too_large");
    assertJsonRefusal(c, "GET /" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", " 414 ", "uri_too_long");
    assertJsonRefusal(c, "GET /health HTTP/1.1\r\n\r\n", " 400 ", "bad_request");
  }

  private static void assertJsonRefusal(HttpTestClient c, String request, String status, String code)
      throws Exception {
    UpgradeAnswer a = UpgradeAnswer.exchange(c.port(), request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    assertThat(a.status()).contains(status);
    assertThat(a.values("Content-Type")).containsExactly("application/json");
    com.fasterxml.jackson.databind.JsonNode body = HttpTestClient.JSON.readTree(a.body());
    assertThat(body.path("error").asText()).isEqualTo(code);
    assertThat(body.path("message").asText()).isNotBlank();
  }
}
