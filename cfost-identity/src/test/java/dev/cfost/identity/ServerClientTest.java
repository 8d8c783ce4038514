package dev.cfost.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ServerClient} against the HTTP side of the server contract ({@link ContractServer}). */
class ServerClientTest {
  @TempDir Path dir;
  ContractServer server;
  Path tokens;
  final DeviceKeys keys = DeviceKeys.generate();

  @BeforeEach
  void start() throws Exception {
    server = new ContractServer();
    tokens = dir.resolve("db.sqlite.server-login");
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private ServerClient client() {
    return ServerClient.builder(server.url()).tokenFile(tokens).build();
  }

  @Test
  void aLoginKeepsTheRefreshTokenInAnOwnerOnlyFileAndNeverThePassword() throws Exception {
    char[] password = "correct horse".toCharArray();
    assertThat(client().login("alice", password)).isEqualTo(ContractServer.ACCOUNT);
    assertThat(password).containsOnly('\0');
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokens))).isEqualTo("rw-------");
    String saved = Files.readString(tokens);
    assertThat(saved).contains(server.currentRefreshToken()).doesNotContain("correct horse");
    assertThat(client().loggedIn()).isTrue();
    assertThat(client().accountUserId()).contains(ContractServer.ACCOUNT);
  }

  @Test
  void aWrongPasswordSaysSoAndSavesNothing() {
    assertThatThrownBy(() -> client().login("alice", "wrong horse".toCharArray()))
        .isInstanceOf(ServerException.class).hasMessageContaining("wrong login or password")
        .extracting(e -> ((ServerException) e).code()).isEqualTo("invalid_credentials");
    assertThat(tokens).doesNotExist();
  }

  @Test
  void aNewProcessRefreshesWithTheSavedTokenAndSavesTheRotatedOne() throws Exception {
    client().login("alice", "correct horse".toCharArray());
    String first = server.currentRefreshToken();
    ServerClient later = client(); // as a new process: no access token in memory
    assertThat(later.deviceToken(keys, "user-alice")).isEqualTo("device-" + keys.deviceId());
    assertThat(server.refreshes).isEqualTo(1);
    assertThat(Files.readString(tokens)).contains(server.currentRefreshToken()).doesNotContain("\"" + first + "\"");
    assertThat(later.deviceToken(keys, "user-alice")).isEqualTo("device-" + keys.deviceId()); // cached
    assertThat(server.refreshes).isEqualTo(1);
  }

  @Test
  void aRefreshTokenTheServerNoLongerTakesAsksForANewLoginAndIsForgotten() throws Exception {
    client().login("alice", "correct horse".toCharArray());
    ServerClient stale = client();
    client().deviceToken(keys, "user-alice"); // another copy rotates the token first
    assertThatThrownBy(() -> stale.deviceToken(keys, "user-alice")).isInstanceOf(ServerException.class)
        .hasMessageContaining("no longer accepts the saved login").hasMessageContaining("log in again");
    assertThat(stale.loggedIn()).isFalse();
  }

  @Test
  void aDeviceTheServersDeviceListDoesNotAuthorizeIsToldHowToGetThere() throws Exception {
    ServerClient c = client();
    c.login("alice", "correct horse".toCharArray());
    c.deviceToken(DeviceKeys.generate(), "user-alice"); // the first device binds the account
    assertThatThrownBy(() -> c.deviceToken(keys, "user-alice")).isInstanceOf(ServerException.class)
        .hasMessageContaining("does not know device " + keys.deviceId())
        .hasMessageContaining("Pair this device with one of your devices")
        .extracting(e -> ((ServerException) e).code()).isEqualTo("device_not_authorized");
    assertThatThrownBy(() -> c.deviceToken(keys, "user-bob")).isInstanceOf(ServerException.class)
        .hasMessageContaining("belongs to another user than this database's (user-bob)");
  }

  @Test
  void withoutALoginADeviceTokenCannotBeHad() {
    assertThatThrownBy(() -> client().deviceToken(keys, "user-alice")).isInstanceOf(ServerException.class)
        .hasMessageContaining("not logged in").extracting(e -> ((ServerException) e).code())
        .isEqualTo(ServerException.NOT_LOGGED_IN);
  }

  @Test
  void aLoginFileOthersMayReadIsRefused() throws Exception {
    client().login("alice", "correct horse".toCharArray());
    Files.setPosixFilePermissions(tokens, PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(this::client).isInstanceOf(IdentityException.class)
        .hasMessageContaining("others may read the refresh token").hasMessageContaining("chmod 600");
  }

  @Test
  void anUnreachableUrlMovesToTheNextAndNoneReachableSaysSo() throws Exception {
    int dead;
    try (ServerSocket s = new ServerSocket(0)) {
      dead = s.getLocalPort();
    }
    URI deadUrl = URI.create("http://127.0.0.1:" + dead);
    ServerClient both = ServerClient.builder(deadUrl).server(server.url()).build();
    assertThat(both.login("alice", "correct horse".toCharArray())).isEqualTo(ContractServer.ACCOUNT);
    assertThatThrownBy(() -> ServerClient.builder(deadUrl).build().login("alice", "x".toCharArray()))
        .isInstanceOf(ServerException.class).hasMessageContaining("cannot reach the sync server")
        .hasMessageContaining(deadUrl.toString());
  }

  @Test
  void theSyncUrlKeepsTheServersPathAndEncodesTheDatabaseId() {
    assertThat(ServerClient.webSocketUrl(URI.create("https://sync.example.org/cfost/"), "?database=a%20b"))
        .isEqualTo(URI.create("wss://sync.example.org/cfost/v1/sync?database=a%20b"));
    assertThat(ServerClient.webSocketUrl(URI.create("http://127.0.0.1:8787"), "?database=x"))
        .isEqualTo(URI.create("ws://127.0.0.1:8787/v1/sync?database=x"));
  }

  @Test
  void aServerUrlMustBeHttpOrHttps() {
    assertThatThrownBy(() -> ServerClient.builder(URI.create("ftp://x"))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'ftp://x'");
  }
}
