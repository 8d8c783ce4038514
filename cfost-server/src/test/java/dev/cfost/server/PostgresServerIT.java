package dev.cfost.server;

import static dev.cfost.server.HttpTestClient.obj;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.identity.Argon2Params;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server with {@code postgres} set keeps its accounts in PostgreSQL, and answers /ready from it. */
class PostgresServerIT {
  @TempDir Path dir;

  @Test
  void aServerConfiguredWithPostgresKeepsItsAccountsThere() throws Exception {
    String url = TestPostgres.freshDatabase();
    ServerConfig config = ServerConfig.builder().listen("127.0.0.1:0").dataDir(dir.resolve("unused"))
        .postgres(url, null).argon2(new Argon2Params(64, 1, 1)).build();
    try (CfostServer server = CfostServer.start(config)) {
      HttpTestClient c = new HttpTestClient(server.port());
      assertThat(c.get("/ready", null).status()).isEqualTo(200);
      assertThat(c.post("/v1/auth/register", obj("user_name", "alice", "email", "alice@example.org", "password",
          AuthApiIT.PASSWORD)).status()).isEqualTo(201);
      assertThat(c.post("/v1/auth/login", obj("login", "ALICE", "password", AuthApiIT.PASSWORD)).status())
          .isEqualTo(200);
    }
    try (Connection c = TestPostgres.connect(url); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT name FROM accounts")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualTo("alice");
    }
    assertThat(dir.resolve("unused")).doesNotExist();
  }
}
