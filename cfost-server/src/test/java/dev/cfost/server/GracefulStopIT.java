package dev.cfost.server;

import static dev.cfost.server.HttpTestClient.obj;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.identity.Argon2Params;
import dev.cfost.server.HttpTestClient.Answer;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** close() lets a request in flight finish before the store closes. */
class GracefulStopIT {
  @TempDir Path dir;

  @Test
  void aLoginInFlightWhenTheServerStopsStillGetsItsAnswer() throws Exception {
    // Costly enough that the login is still hashing when close() begins.
    ServerConfig config = ServerConfig.builder().listen("127.0.0.1:0").dataDir(dir)
        .argon2(new Argon2Params(65536, 6, 1)).build();
    CfostServer server = CfostServer.start(config);
    HttpTestClient c = new HttpTestClient(server.port());
    assertThat(c.post("/v1/auth/register", obj("user_name", "alice", "email", "alice@example.org", "password",
        AuthApiIT.PASSWORD)).status()).isEqualTo(201);
    CompletableFuture<Answer> login = CompletableFuture.supplyAsync(() -> {
      try {
        return c.post("/v1/auth/login", obj("login", "alice", "password", AuthApiIT.PASSWORD));
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    Thread.sleep(100);
    assertThat(login).as("the login is still in flight").isNotDone();
    server.close();
    Answer answer = login.get(10, TimeUnit.SECONDS);
    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.text("access_token")).isNotBlank();
  }
}
