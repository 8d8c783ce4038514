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

/** close() lets a request in flight finish before the store closes, and ends the never-ending ones at once. */
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

  @Test
  void anOpenEventStreamEndsAtOnceWhenTheServerStops() throws Exception {
    CfostServer server = CfostServer.start(ServerConfig.builder().listen("127.0.0.1:0").dataDir(dir)
        .argon2(AuthApiIT.FAST).build());
    HttpTestClient c = new HttpTestClient(server.port());
    String account = c.post("/v1/auth/register", obj("user_name", "alice", "email", "alice@example.org", "password",
        AuthApiIT.PASSWORD)).text("user_id");
    String access = c.post("/v1/auth/login", obj("login", "alice", "password", AuthApiIT.PASSWORD))
        .text("access_token");
    try (UserDevice laptop = UserDevice.create(dir, "laptop").asFirstDeviceOfANewUser("alice")) {
      String token = laptop.proveTo(c, access, account).text("device_token");
      // One stream open, one the client has left (the server notices that only when it next writes).
      SseLines open = SseLines.open(server.port(), "/v1/sync/events?database=default", token);
      open.await(dev.cfost.net.SyncMessage.Eose.class);
      try (SseLines left = SseLines.open(server.port(), "/v1/sync/events?database=default", token)) {
        left.await(dev.cfost.net.SyncMessage.Eose.class);
      }
      long start = System.nanoTime();
      server.close(); // throws if a stream's request outlives Jetty's stop timeout (5 s)
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("close() took, in ms")
          .isLessThan(2_000);
      open.close();
    }
  }
}
