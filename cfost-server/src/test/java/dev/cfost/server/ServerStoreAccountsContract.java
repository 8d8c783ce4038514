package dev.cfost.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.identity.Argon2Params;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.internal.PasswordHash;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link ServerStore} must do with accounts: accounts, refresh, access and device tokens, the
 * identity user an account is bound to, and devices. {@link ServerStoreContract} extends it with the
 * cells, the stream and the cursors: an implementation's test extends that class and opens its store.
 */
public abstract class ServerStoreAccountsContract {
  static final String HASH = PasswordHash.dummy(new Argon2Params(64, 1, 1));
  static final String DB = "notes";

  /** A new, empty store; {@code dir} is a fresh directory it may use, {@code clock} decides token expiry. */
  protected abstract ServerStore openStore(Path dir, Clock clock);

  @TempDir Path dir;
  final TestChanges.ManualClock clock = new TestChanges.ManualClock();
  ServerStore store;

  @BeforeEach
  void open() {
    store = openStore(dir, clock);
    store.createAccount("alice", "alice", "alice@example.org", HASH);
    store.createAccount("bob", "bob", "bob@example.org", HASH);
  }

  @AfterEach
  void close() {
    store.close();
  }

  // ---- device challenges

  @Test
  void aChallengeServesItsUserOnceAndOnlyUntilItExpires() {
    Duration minute = Duration.ofSeconds(60);
    byte[] taken = store.issueChallenge("alice", minute);
    assertThat(taken).hasSize(32);
    assertThat(store.useChallenge("bob", taken)).as("another user's").isFalse();
    assertThat(store.useChallenge("alice", taken)).as("used up by the wrong user's try").isFalse();
    byte[] once = store.issueChallenge("alice", minute);
    assertThat(once).isNotEqualTo(taken);
    assertThat(store.useChallenge("alice", once)).isTrue();
    assertThat(store.useChallenge("alice", once)).as("single use").isFalse();
    byte[] late = store.issueChallenge("alice", minute);
    byte[] inTime = store.issueChallenge("alice", minute);
    clock.advance(Duration.ofSeconds(59));
    assertThat(store.useChallenge("alice", inTime)).isTrue();
    clock.advance(Duration.ofSeconds(1));
    assertThat(store.useChallenge("alice", late)).as("expired").isFalse();
    assertThat(store.useChallenge("alice", new byte[32])).isFalse();
    assertThat(store.useChallenge("alice", new byte[3])).isFalse();
    assertThat(store.useChallenge("alice", null)).isFalse();
    assertThatThrownBy(() -> store.issueChallenge("nobody", minute))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nobody");
    assertThatThrownBy(() -> store.issueChallenge("alice", Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("time to live");
  }

  @Test
  void aUsersOutstandingChallengesAreBoundedTheOldestDroppedFirst() {
    byte[] bobs = store.issueChallenge("bob", Duration.ofSeconds(60));
    List<byte[]> issued = new java.util.ArrayList<>();
    for (int i = 0; i <= ServerStore.MAX_CHALLENGES_PER_USER; i++) {
      issued.add(store.issueChallenge("alice", Duration.ofSeconds(60)));
      clock.advance(Duration.ofMillis(1));
    }
    assertThat(store.useChallenge("alice", issued.get(0))).as("the oldest, past the bound").isFalse();
    assertThat(store.useChallenge("alice", issued.get(1))).isTrue();
    assertThat(store.useChallenge("alice", issued.get(issued.size() - 1))).isTrue();
    assertThat(store.useChallenge("bob", bobs)).as("another user's are not counted").isTrue();
  }

  // ---- accounts, tokens, devices

  @Test
  void accountsAreFoundByIdNameOrEmailWithoutRegardToCase() {
    Account carol = store.createAccount("c-1", "Carol", "Carol@Example.org", HASH);
    assertThat(store.account("c-1")).contains(carol);
    assertThat(store.accountByLogin("carol")).contains(carol);
    assertThat(store.accountByLogin("CAROL@example.ORG")).contains(carol);
    assertThat(carol.passwordHash()).isEqualTo(HASH);
    assertThat(carol.createdAt()).isEqualTo(clock.instant());
    assertThat(store.account("nobody")).isEmpty();
    assertThat(store.accountByLogin("nobody")).isEmpty();
  }

  @Test
  void aTakenUserIdNameOrEmailIsRefused() {
    assertThatThrownBy(() -> store.createAccount("alice", "x", "x@example.org", HASH))
        .isInstanceOf(AccountExistsException.class).hasMessageContaining("user id 'alice'");
    assertThatThrownBy(() -> store.createAccount("a2", "ALICE", "x@example.org", HASH))
        .isInstanceOf(AccountExistsException.class).hasMessageContaining("user name 'ALICE'");
    assertThatThrownBy(() -> store.createAccount("a2", "x", "Bob@Example.org", HASH))
        .isInstanceOf(AccountExistsException.class).hasMessageContaining("email address");
    assertThat(store.account("a2")).isEmpty();
  }

  @Test
  void malformedAccountFieldsAreRefusedNamingTheField() {
    assertThatThrownBy(() -> store.createAccount("../x", "x", "x@example.org", HASH))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("user id '../x'");
    assertThatThrownBy(() -> store.createAccount("x", "x@y", "x@example.org", HASH))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("user name");
    assertThatThrownBy(() -> store.createAccount("x", "x", "not-an-email", HASH))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("email address");
    assertThatThrownBy(() -> store.createAccount("x", "x", "x@example.org", "secret"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PHC");
  }

  @Test
  void refreshTokensVerifyUntilTheyExpire() {
    String token = store.issueRefreshToken("alice", Duration.ofHours(1));
    assertThat(store.refreshTokenUser(token)).contains("alice");
    assertThat(store.refreshTokenUser(token + "x")).isEmpty();
    clock.advance(Duration.ofMinutes(59));
    assertThat(store.refreshTokenUser(token)).contains("alice");
    clock.advance(Duration.ofMinutes(1));
    assertThat(store.refreshTokenUser(token)).isEmpty();
    assertThatThrownBy(() -> store.issueRefreshToken("nobody", Duration.ofHours(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nobody");
  }

  @Test
  void revokedTokensNoLongerVerify() {
    String one = store.issueRefreshToken("alice", Duration.ofHours(1));
    String two = store.issueRefreshToken("alice", Duration.ofHours(1));
    String bobs = store.issueRefreshToken("bob", Duration.ofHours(1));
    assertThat(one).isNotEqualTo(two);
    assertThat(store.revokeRefreshToken(one)).isTrue();
    assertThat(store.revokeRefreshToken(one)).isFalse();
    assertThat(store.refreshTokenUser(one)).isEmpty();
    assertThat(store.refreshTokenUser(two)).contains("alice");
    assertThat(store.revokeRefreshTokens("alice")).isEqualTo(1);
    assertThat(store.refreshTokenUser(two)).isEmpty();
    assertThat(store.refreshTokenUser(bobs)).contains("bob");
  }

  @Test
  void accessTokensVerifyUntilTheyExpireAndNeverAsRefreshTokens() {
    String access = store.issueAccessToken("alice", Duration.ofMinutes(15));
    String refresh = store.issueRefreshToken("alice", Duration.ofHours(1));
    assertThat(store.accessTokenUser(access)).contains("alice");
    assertThat(store.refreshTokenUser(access)).isEmpty();
    assertThat(store.accessTokenUser(refresh)).isEmpty();
    assertThat(store.revokeRefreshToken(access)).isFalse();
    assertThat(store.revokeAccessToken(refresh)).isFalse();
    assertThat(store.accessTokenUser(access)).contains("alice");
    assertThat(store.refreshTokenUser(refresh)).contains("alice");
    clock.advance(Duration.ofMinutes(15));
    assertThat(store.accessTokenUser(access)).isEmpty();
    assertThat(store.refreshTokenUser(refresh)).contains("alice");
    assertThatThrownBy(() -> store.issueAccessToken("nobody", Duration.ofMinutes(15)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nobody");
  }

  @Test
  void revokedAccessTokensNoLongerVerify() {
    String one = store.issueAccessToken("alice", Duration.ofMinutes(15));
    String two = store.issueAccessToken("alice", Duration.ofMinutes(15));
    String bobs = store.issueAccessToken("bob", Duration.ofMinutes(15));
    String refresh = store.issueRefreshToken("alice", Duration.ofHours(1));
    assertThat(store.revokeAccessToken(one)).isTrue();
    assertThat(store.revokeAccessToken(one)).isFalse();
    assertThat(store.accessTokenUser(one)).isEmpty();
    assertThat(store.accessTokenUser(two)).contains("alice");
    assertThat(store.revokeAccessTokens("alice")).isEqualTo(1);
    assertThat(store.accessTokenUser(two)).isEmpty();
    assertThat(store.accessTokenUser(bobs)).contains("bob");
    assertThat(store.refreshTokenUser(refresh)).contains("alice");
  }

  @Test
  void devicesFollowTheListAndARevocationIsFinal() {
    DeviceKeys k1 = DeviceKeys.generate();
    DeviceKeys k2 = DeviceKeys.generate();
    String d1 = k1.deviceId().toString();
    store.putDevice("alice", d1, k1.publicKey(), false);
    store.putDevice("alice", k2.deviceId().toString(), k2.publicKey(), false);
    assertThat(store.devices("alice")).hasSize(2);
    assertThat(store.device(d1)).contains(new ServerDevice("alice", d1, k1.publicKey(), false));
    store.putDevice("alice", d1, k1.publicKey(), true);
    store.putDevice("alice", d1, k1.publicKey(), false); // an older copy of the list: still revoked
    assertThat(store.device(d1).orElseThrow().revoked()).isTrue();
    assertThat(store.devices("bob")).isEmpty();
  }

  @Test
  void everyReadAfterAWriteOfTheDevicesSeesIt() {
    // A store may keep what it read (the SQLite one does): none of it may outlive a write.
    DeviceKeys k1 = DeviceKeys.generate();
    DeviceKeys k2 = DeviceKeys.generate();
    String d1 = k1.deviceId().toString();
    String d2 = k2.deviceId().toString();
    assertThat(store.device(d2)).isEmpty();
    store.putDevice("alice", d1, k1.publicKey(), false);
    assertThat(store.devices("alice")).extracting(ServerDevice::revoked).containsExactly(false);
    assertThat(store.device(d1).orElseThrow().revoked()).isFalse();

    store.putDevice("alice", d2, k2.publicKey(), false);
    assertThat(store.device(d2)).isPresent();
    assertThat(store.devices("alice")).extracting(ServerDevice::deviceId).containsExactlyInAnyOrder(d1, d2);
    store.putDevice("alice", d1, k1.publicKey(), true);
    assertThat(store.device(d1).orElseThrow().revoked()).isTrue();
    assertThat(store.devices("alice")).filteredOn(ServerDevice::revoked).extracting(ServerDevice::deviceId)
        .containsExactly(d1);
  }

  @Test
  void aDeviceOfAnotherUserOrWithAnotherKeyIsRefused() {
    DeviceKeys k1 = DeviceKeys.generate();
    String d1 = k1.deviceId().toString();
    store.putDevice("alice", d1, k1.publicKey(), false);
    assertThatThrownBy(() -> store.putDevice("bob", d1, k1.publicKey(), false))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("another user");
    assertThatThrownBy(() -> store.putDevice("bob", d1, DeviceKeys.generate().publicKey(), false))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not the id of the public key");
    assertThatThrownBy(() -> store.putDevice("nobody", d1, k1.publicKey(), false))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no account");
    assertThat(store.devices("bob")).isEmpty();
  }

  // ---- device tokens and the identity user

  @Test
  void deviceTokensAreIssuedOnlyForADeviceOfThatUser() {
    DeviceKeys alices = DeviceKeys.generate();
    DeviceKeys bobs = DeviceKeys.generate();
    store.putDevice("alice", alices.deviceId().toString(), alices.publicKey(), false);
    store.putDevice("bob", bobs.deviceId().toString(), bobs.publicKey(), false);
    String token = store.issueDeviceToken("alice", alices.deviceId().toString(), Duration.ofHours(24));
    assertThat(store.deviceTokenDevice(token))
        .contains(new ServerDevice("alice", alices.deviceId().toString(), alices.publicKey(), false));
    assertThatThrownBy(() -> store.issueDeviceToken("alice", bobs.deviceId().toString(), Duration.ofHours(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a device of user 'alice'");
    assertThatThrownBy(() -> store.issueDeviceToken("bob", alices.deviceId().toString(), Duration.ofHours(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a device of user 'bob'");
    String unknown = DeviceKeys.generate().deviceId().toString();
    assertThatThrownBy(() -> store.issueDeviceToken("alice", unknown, Duration.ofHours(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(unknown);
    assertThatThrownBy(() -> store.issueDeviceToken("nobody", alices.deviceId().toString(), Duration.ofHours(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nobody");
    assertThatThrownBy(() -> store.issueDeviceToken("alice", "not-a-device", Duration.ofHours(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not-a-device");
    assertThatThrownBy(() -> store.issueDeviceToken("alice", alices.deviceId().toString(), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("time to live");
    assertThat(store.deviceTokenDevice(token)).map(ServerDevice::userId).contains("alice");
  }

  @Test
  void deviceTokensVerifyUntilTheyExpireAndTellWhetherTheDeviceWasRevoked() {
    DeviceKeys k = DeviceKeys.generate();
    String device = k.deviceId().toString();
    store.putDevice("alice", device, k.publicKey(), false);
    String token = store.issueDeviceToken("alice", device, Duration.ofHours(1));
    String other = store.issueDeviceToken("alice", device, Duration.ofHours(2));
    assertThat(token).isNotEqualTo(other).matches("[A-Za-z0-9_-]{43}");
    assertThat(store.deviceTokenDevice(token + "x")).isEmpty();
    assertThat(store.deviceTokenDevice("")).isEmpty();
    assertThat(store.deviceTokenDevice(null)).isEmpty();
    assertThat(store.deviceTokenDevice("x".repeat(10_000))).isEmpty();
    // Revoking the device leaves the token valid, naming a revoked device: the caller refuses it (403, not 401).
    store.putDevice("alice", device, k.publicKey(), true);
    assertThat(store.deviceTokenDevice(token)).contains(new ServerDevice("alice", device, k.publicKey(), true));
    clock.advance(Duration.ofMinutes(59));
    assertThat(store.deviceTokenDevice(token)).isPresent();
    clock.advance(Duration.ofMinutes(1));
    assertThat(store.deviceTokenDevice(token)).isEmpty();
    assertThat(store.deviceTokenDevice(other)).isPresent();
    clock.advance(Duration.ofHours(1));
    assertThat(store.deviceTokenDevice(other)).isEmpty();
  }

  @Test
  void aDeviceTokenIsNeverAnAccessOrRefreshTokenNorTheReverse() {
    DeviceKeys k = DeviceKeys.generate();
    store.putDevice("alice", k.deviceId().toString(), k.publicKey(), false);
    String device = store.issueDeviceToken("alice", k.deviceId().toString(), Duration.ofHours(1));
    String access = store.issueAccessToken("alice", Duration.ofHours(1));
    String refresh = store.issueRefreshToken("alice", Duration.ofHours(1));
    assertThat(store.accessTokenUser(device)).isEmpty();
    assertThat(store.refreshTokenUser(device)).isEmpty();
    assertThat(store.deviceTokenDevice(access)).isEmpty();
    assertThat(store.deviceTokenDevice(refresh)).isEmpty();
    // Revoking by the other kinds leaves the device token alone.
    assertThat(store.revokeAccessToken(device)).isFalse();
    assertThat(store.revokeRefreshToken(device)).isFalse();
    assertThat(store.revokeAccessTokens("alice")).isEqualTo(1);
    assertThat(store.revokeRefreshTokens("alice")).isEqualTo(1);
    assertThat(store.deviceTokenDevice(device)).map(ServerDevice::deviceId).contains(k.deviceId().toString());
    assertThat(store.accessTokenUser(access)).isEmpty();
  }

  @Test
  void theFirstIdentityUserBoundToAnAccountStaysBound() {
    assertThat(store.identityUser("alice")).isEmpty();
    assertThat(store.bindIdentityUser("alice", "id-alice_1")).isEqualTo("id-alice_1");
    assertThat(store.bindIdentityUser("alice", "id-mallory")).as("the first binding wins").isEqualTo("id-alice_1");
    assertThat(store.identityUser("alice")).contains("id-alice_1");
    assertThat(store.identityUser("bob")).as("another account is not bound by it").isEmpty();
    assertThat(store.bindIdentityUser("bob", "id-bob")).isEqualTo("id-bob");
    assertThat(store.identityUser("alice")).contains("id-alice_1");
    assertThat(store.identityUser("nobody")).isEmpty();
    assertThatThrownBy(() -> store.bindIdentityUser("nobody", "id-x"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nobody");
    assertThat(store.account("nobody")).isEmpty();
    for (String bad : new String[] {"", "a b", "../x", "x".repeat(65), "caf\u00e9"}) {
      assertThatThrownBy(() -> store.bindIdentityUser("alice", bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("identity user");
    }
    assertThatThrownBy(() -> store.bindIdentityUser("alice", null)).isInstanceOf(IllegalArgumentException.class);
    store.createAccount("carol", "carol", "carol@example.org", HASH);
    assertThatThrownBy(() -> store.bindIdentityUser("carol", "bad id")).isInstanceOf(IllegalArgumentException.class);
    assertThat(store.identityUser("carol")).as("a refused binding binds nothing").isEmpty();
    assertThat(store.bindIdentityUser("carol", "id-carol")).isEqualTo("id-carol");
  }

  @Test
  void aClosedStoreRefusesTheDeviceAndIdentityCalls() {
    DeviceKeys k = DeviceKeys.generate();
    store.putDevice("alice", k.deviceId().toString(), k.publicKey(), false);
    String token = store.issueDeviceToken("alice", k.deviceId().toString(), Duration.ofHours(1));
    store.close();
    List<Runnable> calls = List.of(
        () -> store.issueDeviceToken("alice", k.deviceId().toString(), Duration.ofHours(1)),
        () -> store.deviceTokenDevice(token),
        () -> store.bindIdentityUser("alice", "id-alice"),
        () -> store.identityUser("alice"),
        () -> store.tableCells("alice", DB, "devices", 10));
    for (Runnable call : calls) {
      assertThatThrownBy(call::run).isInstanceOf(IllegalStateException.class);
    }
  }
}
