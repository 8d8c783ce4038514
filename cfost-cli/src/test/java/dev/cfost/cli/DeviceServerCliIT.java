package dev.cfost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cfost.identity.Argon2Params;
import dev.cfost.server.CfostServer;
import dev.cfost.server.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cfost login --server}, {@code sync --server --once}, {@code start} with a remembered server and
 * {@code status}, run as child processes against a real sync server (cfost-server in this JVM).
 */
class DeviceServerCliIT {
  private static final String PASSWORD = "correct horse battery\n";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  CfostProcess cfost;
  /** Setup and read-backs, in this JVM through the same entry point: a child JVM costs about a second each. */
  CfostProcess local;
  CfostServer server;
  String url;
  String a;

  @BeforeEach
  void aServerWithAliceAndHerDatabase() throws Exception {
    server = CfostServer.start(ServerConfig.builder().listen("127.0.0.1:0").dataDir(dir.resolve("server"))
        .argon2(new Argon2Params(256, 1, 1)).build());
    url = "http://127.0.0.1:" + server.port();
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/v1/auth/register"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"user_name\":\"alice\",\"email\":\"alice@example.org\","
            + "\"password\":\"correct horse battery\"}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    cfost = new CfostProcess(dir);
    local = CfostProcess.inThisJvm(dir);
    a = dir.resolve("a.db").toString();
    local.stdin(PASSWORD).run("--db", a, "init", "--user", "alice", "--email", "alice@example.org",
        "--password-stdin", "--device-name", "laptop").ok();
    local.stdin("");
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void aDeviceLogsInSyncsOnceThenTheDaemonUsesTheRememberedServer() throws Exception {
    String login = cfost.stdin(PASSWORD).run("--db", a, "login", "--server", url, "--user", "alice",
        "--password-stdin").ok();
    cfost.stdin("");
    assertThat(login).startsWith("logged in to " + url + " as alice (account ").contains("may sync through the server");
    Path saved = Path.of(a + ".server-login");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(saved))).isEqualTo("rw-------");
    assertThat(Files.readString(saved)).doesNotContain("correct horse");

    local.run("--db", a, "sql", "CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT);"
        + " INSERT INTO todo VALUES ('1', 'milk'), ('2', 'bread')").ok();
    local.run("--db", a, "replicate", "todo").ok();
    String synced = cfost.run("--db", a, "sync", "--server", url, "--once").ok();
    assertThat(synced).matches("received \\d+ changes, sent [1-9]\\d* changes\n");
    assertThat(local.run("--db", a, "status").ok())
        .containsPattern("server +" + Pattern.quote(url) + ", not connected \\(the daemon is not running\\)");
    // The server as a peer: named as the server, with what it acknowledged recorded (nothing pending).
    JsonNode serverPeer = JSON.readTree(local.run("--db", a, "status", "--json").ok()).path("peers").path(0);
    assertThat(serverPeer.path("source").asText()).as("%s", serverPeer).isEqualTo("server");
    assertThat(serverPeer.path("pending").asLong(-1)).as("%s", serverPeer).isZero();
    assertThat(local.run("--db", a, "status").ok()).containsPattern("peer +site [0-9a-f]+ \\(server\\), last seen .*, 0 changes"
        + " pending");

    try (BackgroundCfost daemon = BackgroundCfost.start(dir, "--db", a, "start", "--listen", "127.0.0.1:0",
        "--no-mdns")) {
      daemon.awaitMatch(Pattern.compile("listening on"));
      long deadline = System.nanoTime() + 30_000_000_000L;
      JsonNode status;
      do {
        Thread.sleep(200);
        status = JSON.readTree(local.run("--db", a, "status", "--json").ok()).path("server");
      } while (!status.path("connected").asBoolean() && System.nanoTime() < deadline);
      assertThat(status.path("url").asText()).isEqualTo(url);
      assertThat(status.path("logged_in").asBoolean()).isTrue();
      assertThat(status.path("connected").asBoolean()).as("%s", status).isTrue();
      assertThat(local.run("--db", a, "status").ok()).containsPattern("server +" + Pattern.quote(url) + ", connected since");
    }
  }

  @Test
  void aWrongPasswordNoLoginAndNoTargetEachSaySo() {
    assertThat(cfost.stdin("wrong horse battery\n").run("--db", a, "login", "--server", url, "--user", "alice",
        "--password-stdin").fails(1)).contains("refused the login: wrong login or password");
    cfost.stdin("");
    assertThat(cfost.run("--db", a, "sync", "--server", url, "--once").fails(1))
        .contains("not logged in to the sync server " + url + ": run 'cfost login --server " + url + "' first");
    assertThat(cfost.run("--db", a, "sync", "--once").fails(2)).contains("give either --peer HOST:PORT or --server URL");
    assertThat(cfost.run("--db", a, "login", "--server", "ftp://x", "--user", "alice", "--password-stdin").fails(1))
        .contains("not an https:// (or http://) server URL");
  }
}
