package dev.cfost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cfost.server.ServerStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cfost server} as a real child process, driven over HTTP on 127.0.0.1. */
class ServerCliIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path scratch;

  private HttpResponse<String> send(String method, String url, String body, String bearer) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
        .header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aServerProcessRegistersAndLogsInAUserAndStopsOnSigterm() throws Exception {
    Path data = scratch.resolve("server-data");
    try (BackgroundCfost server = BackgroundCfost.start(scratch, "server", "--listen", "127.0.0.1:0",
        "--data", data.toString())) {
      String port = server.awaitMatch(Pattern.compile("^listening on 127\\.0\\.0\\.1:(\\d+)$"));
      String base = "http://127.0.0.1:" + port;

      assertThat(send("GET", base + "/health", null, null).statusCode()).isEqualTo(200);
      assertThat(send("GET", base + "/ready", null, null).statusCode()).isEqualTo(200);
      HttpResponse<String> registered = send("POST", base + "/v1/auth/register",
          "{\"user_name\":\"alice\",\"email\":\"alice@example.org\",\"password\":\"correct horse battery\"}", null);
      assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
      String userId = JSON.readTree(registered.body()).get("user_id").asText();

      HttpResponse<String> login = send("POST", base + "/v1/auth/login",
          "{\"login\":\"alice\",\"password\":\"correct horse battery\"}", null);
      assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
      JsonNode tokens = JSON.readTree(login.body());
      assertThat(tokens.get("user_id").asText()).isEqualTo(userId);
      assertThat(tokens.get("expires_in").asLong()).isPositive();
      HttpResponse<String> account = send("GET", base + "/v1/account", null, tokens.get("access_token").asText());
      assertThat(JSON.readTree(account.body()).get("user_name").asText()).isEqualTo("alice");
      assertThat(send("GET", base + "/v1/account", null, "demo-token").statusCode())
          .as("demo mode is off without --demo").isEqualTo(401);

      server.kill();
      CfostProcess.Result stopped = server.finish();
      assertThat(stopped.err()).contains("stopped").doesNotContain("correct horse battery");
      assertThat(Files.exists(data.resolve("accounts.db"))).isTrue();
    }
  }

  @Test
  void aRunningServerIsBackedUpAndLogsOneJsonObjectPerEvent() throws Exception {
    Path data = scratch.resolve("server-data");
    Path copy = scratch.resolve("backup");
    try (BackgroundCfost server = BackgroundCfost.start(scratch, "server", "--listen", "127.0.0.1:0",
        "--data", data.toString(), "--log-format", "json")) {
      String base = "http://127.0.0.1:" + server.awaitMatch(Pattern.compile("^listening on 127\\.0\\.0\\.1:(\\d+)$"));
      assertThat(send("POST", base + "/v1/auth/register",
          "{\"user_name\":\"alice\",\"email\":\"alice@example.org\",\"password\":\"correct horse battery\"}",
          null).statusCode()).isEqualTo(201);
      assertThat(send("POST", base + "/v1/auth/login", "{\"login\":\"alice\",\"password\":\"wrong password\"}",
          null).statusCode()).isEqualTo(401);

      String said = new CfostProcess(scratch).run("server", "backup", "--data", data.toString(), "--to",
          copy.toString()).ok();
      assertThat(said).startsWith("backed up " + data + " to " + copy);
      assertThat(new CfostProcess(scratch).run("server", "backup", "--data", data.toString(), "--to",
          copy.toString()).fails(1)).contains("is not empty");

      server.kill();
      CfostProcess.Result stopped = server.finish();
      List<JsonNode> events = new ArrayList<>();
      for (String line : stopped.errLines()) {
        events.add(JSON.readTree(line)); // every line is one JSON object
      }
      assertThat(events).extracting(e -> e.path("event").asText())
          .containsSubsequence("server_started", "registered", "login_refused", "server_stopped");
      JsonNode refused = events.stream().filter(e -> e.path("event").asText().equals("login_refused")).findFirst()
          .orElseThrow();
      assertThat(refused.path("user_login").asText()).isEqualTo("alice");
      assertThat(refused.path("addr").asText()).isEqualTo("127.0.0.1");
      assertThat(refused.path("level").asText()).isEqualTo("INFO");
      assertThat(stopped.err()).doesNotContain("wrong password").doesNotContain("correct horse battery");
    }
    try (ServerStore restored = ServerStore.openSqlite(copy)) {
      assertThat(restored.accountByLogin("alice")).isPresent();
    }
  }

  @Test
  void restoreWithPostgresMovesTheStreamsOfARestoredDumpForward() throws Exception {
    try (io.zonky.test.db.postgres.embedded.EmbeddedPostgres pg =
        io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder().start()) {
      try (java.sql.Connection c = pg.getPostgresDatabase().getConnection(); java.sql.Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE restored ENCODING 'UTF8'");
      }
      String url = pg.getJdbcUrl("postgres", "restored");
      try (ServerStore store = ServerStore.openPostgres(url)) { // stands for what pg_restore put there
        store.createAccount("alice", "alice", "alice@example.org", dev.cfost.identity.internal.PasswordHash.dummy(
            new dev.cfost.identity.Argon2Params(64, 1, 1)));
        store.applyBatch("alice", "notes", List.of(new dev.cfost.Change("t", dev.cfost.internal.PackedKey.pack(List.of("k")),
            "a", 1L, 1, 1, new byte[16], 1, 0)), List.of());
        assertThat(store.head("alice", "notes")).isEqualTo(1);
      }
      long before = System.currentTimeMillis() * 1000;
      String said = new CfostProcess(scratch).env("CFOST_SERVER_POSTGRES_PASSWORD", "from-the-environment")
          .run("server", "restore", "--postgres", url).ok();
      assertThat(said).startsWith("moved the stream heads of 1 database forward");
      try (ServerStore store = ServerStore.openPostgres(url)) {
        assertThat(store.head("alice", "notes")).isGreaterThanOrEqualTo(before);
      }
      assertThat(new CfostProcess(scratch).run("server", "restore").fails(1)).contains("--from DIR")
          .contains("--postgres JDBC_URL");
      assertThat(new CfostProcess(scratch).run("server", "restore", "--postgres", url + "&password=secret").fails(1))
          .contains("CFOST_SERVER_POSTGRES_PASSWORD").doesNotContain("secret");
    }
  }
}
