package dev.cfost.server;

import static dev.cfost.server.HttpTestClient.obj;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The server's log lines for what happens over real HTTP: one key=value event each, no secret in any. */
class ServerLogsIT {
  @TempDir Path dir;
  private final Logger server = (Logger) LoggerFactory.getLogger("dev.cfost.server");
  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

  @BeforeEach
  void capture() {
    lines.start();
    server.addAppender(lines);
    server.setLevel(Level.INFO);
    server.setAdditive(false);
  }

  @AfterEach
  void release() {
    server.detachAppender(lines);
    server.setLevel(null);
    server.setAdditive(true);
  }

  private List<String> messages() {
    synchronized (lines.list) {
      return lines.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
    }
  }

  @Test
  void accountEventsAreLoggedWithTheirUserAndAddressButNeverASecret() throws Exception {
    String tokens;
    String userId;
    try (CfostServer s = CfostServer.start(ServerConfig.builder().listen("127.0.0.1:0").dataDir(dir)
        .argon2(AuthApiIT.FAST).build())) {
      HttpTestClient c = new HttpTestClient(s.port());
      userId = c.post("/v1/auth/register", obj("user_name", "alice", "email", "alice@example.org", "password",
          AuthApiIT.PASSWORD)).text("user_id");
      assertThat(c.post("/v1/auth/login", obj("login", "Alice", "password", "not the password")).status()).isEqualTo(401);
      // A password typed into the login field names no account, and is not logged.
      assertThat(c.post("/v1/auth/login", obj("login", "hunter2-typed-as-login", "password", "x")).status())
          .isEqualTo(401);
      HttpTestClient.Answer in = c.post("/v1/auth/login", obj("login", "alice", "password", AuthApiIT.PASSWORD));
      tokens = in.raw().body();
      assertThat(c.post("/v1/auth/refresh", obj("refresh_token", "forged-token")).status()).isEqualTo(401);
      assertThat(c.post("/v1/auth/logout", "{}", in.text("access_token")).status()).isEqualTo(204);
    }
    List<String> log = messages();
    assertThat(log).containsSubsequence(
        "event=registered user=" + userId + " addr=127.0.0.1",
        "event=login_refused user_login=Alice addr=127.0.0.1",
        "event=login_refused user_login=\"(no such account)\" addr=127.0.0.1",
        "event=login user=" + userId + " addr=127.0.0.1",
        "event=refresh_refused addr=127.0.0.1",
        "event=logout user=" + userId,
        "event=server_stopped");
    assertThat(log.get(0)).startsWith("event=server_started listen=127.0.0.1:");
    String all = String.join("\n", log);
    assertThat(all).doesNotContain(AuthApiIT.PASSWORD).doesNotContain("not the password")
        .doesNotContain("hunter2-typed-as-login")
        .doesNotContain("forged-token");
    for (String secret : HttpTestClient.JSON.readTree(tokens).findValuesAsText("access_token")) {
      assertThat(all).doesNotContain(secret);
    }
    assertThat(all).doesNotContain(HttpTestClient.JSON.readTree(tokens).get("refresh_token").asText());
  }
}
