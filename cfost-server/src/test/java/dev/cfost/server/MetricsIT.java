package dev.cfost.server;

import static dev.cfost.server.HttpTestClient.obj;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /metrics} of a real server on 127.0.0.1: what it counts, and who may read it. */
class MetricsIT {
  @TempDir Path dir;
  private final List<CfostServer> servers = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void stop() {
    servers.forEach(CfostServer::close);
  }

  private CfostServer start(UnaryOperator<ServerConfig.Builder> tweak) throws Exception {
    ServerConfig.Builder b = ServerConfig.builder().listen("127.0.0.1:0").dataDir(dir.resolve("data" + servers.size()))
        .argon2(AuthApiIT.FAST);
    CfostServer server = CfostServer.start(tweak.apply(b).build());
    servers.add(server);
    return server;
  }

  private HttpResponse<String> metrics(CfostServer server, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
        .timeout(Duration.ofSeconds(10)).GET();
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aLoopbackClientReadsCountsOfRequestsRefusalsAndTheJvm() throws Exception {
    CfostServer server = start(b -> b);
    HttpTestClient c = new HttpTestClient(server.port());
    assertThat(c.post("/v1/auth/register", obj("user_name", "alice", "email", "alice@example.org", "password",
        AuthApiIT.PASSWORD)).status()).isEqualTo(201);
    assertThat(c.post("/v1/auth/login", obj("login", "alice", "password", "wrong password")).status()).isEqualTo(401);
    assertThat(c.post("/v1/auth/login", obj("login", "alice", "password", "wrong password")).status()).isEqualTo(401);
    assertThat(c.get("/v1/account", "not-a-token").status()).isEqualTo(401);
    assertThat(c.post("/v1/auth/refresh", obj("refresh_token", "not-a-token")).status()).isEqualTo(401);
    assertThat(c.get("/no/such/path/12345", null).status()).isEqualTo(404);

    HttpResponse<String> r = metrics(server);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain; version=0.0.4");
    String text = r.body();
    assertThat(text)
        .contains("cfost_auth_failures_total{kind=\"login_refused\"} 2.0")
        .contains("cfost_auth_failures_total{kind=\"bad_token\"} 1.0")
        .contains("cfost_auth_failures_total{kind=\"bad_refresh_token\"} 1.0")
        .contains("cfost_errors_total{code=\"invalid_credentials\"} 2.0")
        .contains("cfost_errors_total{code=\"not_found\"} 1.0")
        .contains("cfost_http_requests_seconds_count{method=\"POST\",route=\"/v1/auth/login\",status=\"401\"} 2")
        .contains("cfost_http_requests_seconds_count{method=\"POST\",route=\"/v1/auth/register\",status=\"201\"} 1")
        .contains("route=\"unmatched\",status=\"404\"")
        .as("refused by the bearer check, counted under the route it asked for")
        .contains("cfost_http_requests_seconds_count{method=\"GET\",route=\"/v1/account\",status=\"401\"} 1")
        .contains("cfost_sync_connections_open{transport=\"websocket\"} 0")
        .contains("cfost_sync_merge_seconds_bucket{le=\"0.001\"}")
        .contains("jvm_memory_used_bytes{")
        .contains("jvm_threads_live_threads")
        .contains("process_cpu_usage");
    assertThat(text).as("a raw path never becomes a label").doesNotContain("12345");
    assertThat(text).as("passwords and tokens stay out").doesNotContain("wrong password").doesNotContain("not-a-token");
  }

  @Test
  void aClientForwardedByATrustedProxyNeedsToBeAllowed() throws Exception {
    CfostServer closed = start(b -> b.trustedProxies(List.of("127.0.0.1")));
    HttpResponse<String> refused = metrics(closed, "X-Forwarded-For", "203.0.113.7");
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(refused.body()).contains("\"error\":\"forbidden\"").doesNotContain("jvm_");
    assertThat(metrics(closed, "X-Forwarded-For", "127.0.0.1").statusCode())
        .as("a loopback client behind the proxy").isEqualTo(200);

    CfostServer open = start(b -> b.trustedProxies(List.of("127.0.0.1")).metricsAllow(List.of("203.0.113.0/24")));
    assertThat(metrics(open, "X-Forwarded-For", "203.0.113.7").statusCode()).isEqualTo(200);
    assertThat(metrics(open, "X-Forwarded-For", "203.0.114.7").statusCode()).isEqualTo(403);
  }

  @Test
  void aRequestThroughAnUndeclaredProxyIsRefusedThoughItsPeerIsLoopback() throws Exception {
    CfostServer server = start(b -> b.metricsAllow(List.of("127.0.0.1")));
    assertThat(metrics(server).statusCode()).isEqualTo(200);
    assertThat(metrics(server, "X-Forwarded-For", "198.51.100.9").statusCode()).isEqualTo(403);
    assertThat(metrics(server, "Forwarded", "for=198.51.100.9").statusCode()).isEqualTo(403);
    assertThat(metrics(server).body()).contains("cfost_errors_total{code=\"forbidden\"} 2.0");
  }
}
