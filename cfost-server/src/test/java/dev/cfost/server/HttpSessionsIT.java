package dev.cfost.server;

import static dev.cfost.server.HttpTestClient.obj;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.identity.Argon2Params;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server keeps no HTTP session: Javalin reads the session at every WebSocket upgrade, which made one,
 * and Jetty's default cache held each for ever, so that anyone could grow the server's heap without bound
 * by asking for upgrades, refused ones too. Counted on the live heap (this JVM's, which runs the server).
 */
class HttpSessionsIT {
  @TempDir Path dir;
  CfostServer server;
  HttpTestClient http;
  UserDevice laptop;

  @BeforeEach
  void aServerAndADevice() throws Exception {
    server = CfostServer.start(ServerConfig.builder().listen("127.0.0.1:0").dataDir(dir.resolve("server"))
        .argon2(new Argon2Params(256, 1, 1)).build());
    http = new HttpTestClient(server.port());
    laptop = UserDevice.create(dir, "laptop").asFirstDeviceOfANewUser("alice");
  }

  @AfterEach
  void close() {
    if (laptop != null) {
      laptop.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void noRequestLeavesAnHttpSessionOrACookieBehind() throws Exception {
    String account = http.post("/v1/auth/register", obj("user_name", "alice", "email", "alice@example.org",
        "password", "correct horse")).text("user_id");
    String access = http.post("/v1/auth/login", obj("login", "alice", "password", "correct horse"))
        .text("access_token");
    HttpTestClient.Answer proof = laptop.proveTo(http, access, account);
    assertThat(proof.status()).as(proof.raw().body()).isEqualTo(200);
    String deviceToken = proof.text("device_token");
    String path = "/v1/sync?database=" + laptop.db.databaseId();
    List<UpgradeAnswer> answers = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      answers.add(UpgradeAnswer.send(server.port(), path, null));
      answers.add(UpgradeAnswer.send(server.port(), path, deviceToken));
    }
    assertThat(answers).extracting(UpgradeAnswer::status).filteredOn(s -> s.contains(" 401 ")).hasSize(100);
    assertThat(answers).extracting(UpgradeAnswer::status).filteredOn(s -> s.contains(" 101 ")).hasSize(100);
    assertThat(answers).allSatisfy(a -> assertThat(a.values("Set-Cookie")).as(a.status()).isEmpty());
    assertThat(http.get("/v1/account", access).raw().headers().allValues("Set-Cookie")).isEmpty();
    assertThat(liveInstances("org.eclipse.jetty.session.ManagedSession")).as("HTTP sessions held").isZero();
  }

  /** Instances of {@code className} on this JVM's heap after a full collection ({@code jcmd GC.class_histogram}). */
  static long liveInstances(String className) throws Exception {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process p = new ProcessBuilder(jcmd.toString(), Long.toString(ProcessHandle.current().pid()),
        "GC.class_histogram").redirectErrorStream(true).start();
    String histogram = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("jcmd finished").isTrue();
    assertThat(p.exitValue()).as(histogram).isZero();
    assertThat(histogram).as("a class histogram").contains("java.lang.String ");
    long instances = 0;
    for (String line : histogram.split("\n")) {
      String[] f = line.trim().split("\\s+"); // "1:  instances  bytes  class (module)"
      if (f.length >= 4 && f[0].endsWith(":") && f[3].equals(className)) {
        instances += Long.parseLong(f[1]);
      }
    }
    return instances;
  }
}
