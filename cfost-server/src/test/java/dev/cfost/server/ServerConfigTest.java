package dev.cfost.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigTest {
  @TempDir Path dir;

  private Path file(String text) throws Exception {
    Path f = dir.resolve("server.properties");
    Files.writeString(f, text);
    return f;
  }

  private static Map<String, String> map(String... kv) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void defaultsListenOnLoopbackOnly() {
    ServerConfig c = ServerConfig.resolve(Map.of(), Map.of());
    assertThat(c.host()).isEqualTo("127.0.0.1");
    assertThat(c.port()).isEqualTo(8787);
    assertThat(c.dataDir()).isEqualTo(Path.of("cfost-server-data"));
    assertThat(c.demo()).isFalse();
    assertThat(c.tlsKeystore()).isNull();
    assertThat(c.sseKeepAlive()).isEqualTo(java.time.Duration.ofSeconds(15));
  }

  @Test
  void theSseKeepAliveIntervalMustBePositive() {
    assertThatThrownBy(() -> ServerConfig.builder().sseKeepAlive(java.time.Duration.ZERO).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SSE keep-alive");
  }

  @Test
  void flagsBeatEnvironmentWhichBeatsTheFile() throws Exception {
    Path f = file("listen = 10.0.0.1:1000\ndata = /from/file\ndemo = true\n");
    Map<String, String> env = map("CFOST_SERVER_LISTEN", "10.0.0.2:2000", "CFOST_SERVER_DATA", "/from/env");

    ServerConfig fileOnly = ServerConfig.resolve(map("config", f.toString()), Map.of());
    assertThat(fileOnly.host() + ":" + fileOnly.port()).isEqualTo("10.0.0.1:1000");
    assertThat(fileOnly.dataDir()).isEqualTo(Path.of("/from/file"));
    assertThat(fileOnly.demo()).isTrue();

    ServerConfig envOverFile = ServerConfig.resolve(map("config", f.toString()), env);
    assertThat(envOverFile.host() + ":" + envOverFile.port()).isEqualTo("10.0.0.2:2000");
    assertThat(envOverFile.dataDir()).isEqualTo(Path.of("/from/env"));
    assertThat(envOverFile.demo()).as("a key the environment leaves out still comes from the file").isTrue();

    ServerConfig flagsOverAll = ServerConfig.resolve(map("config", f.toString(), "listen", "10.0.0.3:3000"), env);
    assertThat(flagsOverAll.host() + ":" + flagsOverAll.port()).isEqualTo("10.0.0.3:3000");
    assertThat(flagsOverAll.dataDir()).isEqualTo(Path.of("/from/env"));
  }

  @Test
  void theFileMayBeNamedByTheEnvironment() throws Exception {
    Path f = file("data = /from/file\n");
    ServerConfig c = ServerConfig.resolve(Map.of(), map("CFOST_SERVER_CONFIG", f.toString()));
    assertThat(c.dataDir()).isEqualTo(Path.of("/from/file"));
  }

  @Test
  void malformedSettingsNameTheKeyAndTheirSource() throws Exception {
    assertThatThrownBy(() -> ServerConfig.resolve(Map.of(), map("CFOST_SERVER_LISTEN", "nohost")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("listen 'nohost'").hasMessageContaining("CFOST_SERVER_LISTEN");
    Path f = file("listen = 127.0.0.1:99999\n");
    assertThatThrownBy(() -> ServerConfig.resolve(map("config", f.toString()), Map.of()))
        .hasMessageContaining("configuration file").hasMessageContaining("out of range");
    assertThatThrownBy(() -> ServerConfig.resolve(map("demo", "maybe"), Map.of()))
        .hasMessageContaining("demo 'maybe'").hasMessageContaining("--demo");
    assertThatThrownBy(() -> ServerConfig.resolve(map("config", dir.resolve("missing").toString()), Map.of()))
        .hasMessageContaining("cannot read the configuration file");
  }

  @Test
  void trustedProxiesAreIpAddressesNormalized() {
    ServerConfig c = ServerConfig.resolve(map("trusted.proxies", "127.0.0.1, ::1,10.0.0.7"), Map.of());
    assertThat(c.trustedProxies()).containsExactlyInAnyOrder("127.0.0.1", "0:0:0:0:0:0:0:1", "10.0.0.7");
    assertThatThrownBy(() -> ServerConfig.resolve(map("trusted.proxies", "proxy.example.org"), Map.of()))
        .hasMessageContaining("'proxy.example.org' is not an IP address").hasMessageContaining("--trusted-proxies");
    assertThat(ServerConfig.resolve(Map.of(), Map.of()).trustedProxies()).isEmpty();
  }

  @Test
  void ipv6AddressesAreWrittenInBrackets() {
    ServerConfig c = ServerConfig.builder().listen("[::1]:0").build();
    assertThat(c.host()).isEqualTo("::1");
    assertThat(c.port()).isZero();
  }

  @Test
  void theTlsPasswordNeverShowsInToString() {
    ServerConfig c = ServerConfig.builder().tls(Path.of("server.p12"), "s3cret").build();
    assertThat(c.toString()).contains("https").doesNotContain("s3cret");
  }

  @Test
  void metricsAllowTakesAddressesAndBlocksFromAnySource() throws Exception {
    assertThat(ServerConfig.resolve(Map.of(), Map.of()).metricsAllow()).isEmpty();
    Path f = file("metrics.allow = 10.0.0.0/8\n");
    assertThat(ServerConfig.resolve(map("config", f.toString()), Map.of()).metricsAllow()).containsExactly("10.0.0.0/8");
    ServerConfig env = ServerConfig.resolve(map("config", f.toString()),
        map("CFOST_SERVER_METRICS_ALLOW", "192.0.2.7, fd00::/8"));
    assertThat(env.metricsAllow()).containsExactly("192.0.2.7/32", "fd00:0:0:0:0:0:0:0/8");
    ServerConfig flag = ServerConfig.resolve(map("metrics.allow", "203.0.113.0/24"),
        map("CFOST_SERVER_METRICS_ALLOW", "192.0.2.7"));
    assertThat(flag.metricsAllow()).containsExactly("203.0.113.0/24");
    assertThatThrownBy(() -> ServerConfig.resolve(map("metrics.allow", "prometheus.local"), Map.of()))
        .hasMessageContaining("metrics.allow 'prometheus.local' (flag --metrics-allow)")
        .hasMessageContaining("not an IP address or a CIDR block");
  }

  @Test
  void sessionsPerUserComeFromAnySourceWithinTheProcessBound() throws Exception {
    assertThat(ServerConfig.resolve(Map.of(), Map.of()).sessionsPerUser()).isEqualTo(2_000);
    assertThat(ServerConfig.resolve(Map.of(), map("CFOST_SERVER_SESSIONS_PER_USER", "10000")).sessionsPerUser())
        .isEqualTo(10_000);
    assertThat(ServerConfig.resolve(map("config", file("sessions.per.user = 5\n").toString()), Map.of())
        .sessionsPerUser()).isEqualTo(5);
    assertThatThrownBy(() -> ServerConfig.resolve(map("sessions.per.user", "0"), Map.of()))
        .hasMessageContaining("sessions.per.user '0' (flag --sessions-per-user): expected an integer from 1 to 20000");
    assertThatThrownBy(() -> ServerConfig.resolve(map("sessions.per.user", "lots"), Map.of()))
        .hasMessageContaining("sessions.per.user 'lots'");
    assertThatThrownBy(() -> ServerConfig.builder().sessionsPerUser(20_001).build())
        .hasMessageContaining("sessions per user must be 1 to 20000");
  }

  @Test
  void logFormatIsTextOrJson() {
    assertThat(ServerConfig.resolve(Map.of(), Map.of()).logFormat()).isEqualTo(ServerConfig.LogFormat.TEXT);
    assertThat(ServerConfig.resolve(Map.of(), map("CFOST_SERVER_LOG_FORMAT", "JSON")).logFormat())
        .isEqualTo(ServerConfig.LogFormat.JSON);
    assertThat(ServerConfig.resolve(map("log.format", "text"), map("CFOST_SERVER_LOG_FORMAT", "json")).logFormat())
        .isEqualTo(ServerConfig.LogFormat.TEXT);
    assertThatThrownBy(() -> ServerConfig.resolve(map("log.format", "xml"), Map.of()))
        .hasMessageContaining("log.format 'xml' (flag --log-format): expected text or json");
  }

  @Test
  void postgresComesFromFlagEnvironmentOrFileAndItsPasswordFromTheEnvironmentOnly() throws Exception {
    assertThat(ServerConfig.resolve(Map.of(), Map.of()).postgresUrl()).isNull();
    String url = "jdbc:postgresql://db.example.org:5432/cfost?user=cfost";
    ServerConfig flag = ServerConfig.resolve(map("postgres", url), map("CFOST_SERVER_POSTGRES_PASSWORD", "s3cret"));
    assertThat(flag.postgresUrl()).isEqualTo(url);
    assertThat(flag.postgresPassword()).isEqualTo("s3cret");
    assertThat(flag.toString()).contains("postgres=" + url).doesNotContain("s3cret");
    assertThat(ServerConfig.resolve(Map.of(), map("CFOST_SERVER_POSTGRES", url)).postgresUrl()).isEqualTo(url);
    Path f = file("postgres = " + url + "\n");
    ServerConfig fromFile = ServerConfig.resolve(map("config", f.toString()), Map.of());
    assertThat(fromFile.postgresUrl()).isEqualTo(url);
    assertThat(fromFile.postgresPassword()).isNull();
    // A password on the command line is refused, without repeating it.
    assertThatThrownBy(() -> ServerConfig.resolve(map("postgres", url + "&password=hunter2"), Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("CFOST_SERVER_POSTGRES_PASSWORD")
        .hasMessageNotContaining("hunter2");
    // In the environment it is accepted, and never printed.
    ServerConfig envUrl = ServerConfig.resolve(Map.of(), map("CFOST_SERVER_POSTGRES", url + "&password=hunter2"));
    assertThat(envUrl.toString()).doesNotContain("hunter2");
    assertThatThrownBy(() -> ServerConfig.resolve(map("postgres", "postgres://x/y"), Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("flag --postgres")
        .hasMessageContaining("jdbc:postgresql:");
    assertThatThrownBy(() -> ServerConfig.resolve(Map.of(), map("CFOST_SERVER_POSTGRES_PASSWORD", "x")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("postgres is not");
  }
}
