package dev.cfost.server.internal;

import dev.cfost.server.Account;
import dev.cfost.server.ServerDevice;
import dev.cfost.server.ServerStore;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The accounts, tokens, challenges and devices part of a {@link ServerStore}, the same for every store:
 * each call checks that the store is open and goes to {@link Accounts}, which runs its SQL through the
 * store's own {@link Transactions}.
 */
abstract class AccountsStore implements ServerStore {
  protected final Accounts accounts;
  /** Null unless this process alone writes the devices (see {@link DeviceCache}). */
  private final DeviceCache deviceCache;

  /** @param soleWriter whether no other process writes these accounts: then the devices read are kept */
  AccountsStore(Accounts accounts, boolean soleWriter) {
    this.accounts = accounts;
    this.deviceCache = soleWriter ? new DeviceCache() : null;
  }

  /** @throws IllegalStateException once the store is closed */
  protected abstract void checkOpen();

  @Override
  public Account createAccount(String userId, String name, String email, String passwordHash) {
    checkOpen();
    return accounts.create(userId, name, email, passwordHash);
  }

  @Override
  public Optional<Account> account(String userId) {
    checkOpen();
    return accounts.byId(userId);
  }

  @Override
  public Optional<Account> accountByLogin(String login) {
    checkOpen();
    return accounts.byLogin(login);
  }

  @Override
  public String issueRefreshToken(String userId, Duration ttl) {
    checkOpen();
    return accounts.issueToken(Accounts.REFRESH, userId, ttl);
  }

  @Override
  public Optional<String> refreshTokenUser(String token) {
    checkOpen();
    return accounts.tokenUser(Accounts.REFRESH, token);
  }

  @Override
  public boolean revokeRefreshToken(String token) {
    checkOpen();
    return accounts.revokeToken(Accounts.REFRESH, token);
  }

  @Override
  public int revokeRefreshTokens(String userId) {
    checkOpen();
    return accounts.revokeTokens(Accounts.REFRESH, userId);
  }

  @Override
  public String issueAccessToken(String userId, Duration ttl) {
    checkOpen();
    return accounts.issueToken(Accounts.ACCESS, userId, ttl);
  }

  @Override
  public Optional<String> accessTokenUser(String token) {
    checkOpen();
    return accounts.tokenUser(Accounts.ACCESS, token);
  }

  @Override
  public boolean revokeAccessToken(String token) {
    checkOpen();
    return accounts.revokeToken(Accounts.ACCESS, token);
  }

  @Override
  public int revokeAccessTokens(String userId) {
    checkOpen();
    return accounts.revokeTokens(Accounts.ACCESS, userId);
  }

  @Override
  public String issueDeviceToken(String userId, String deviceId, Duration ttl) {
    checkOpen();
    return accounts.issueToken(Accounts.DEVICE, userId, WireChecks.deviceId(deviceId), ttl);
  }

  @Override
  public Optional<ServerDevice> deviceTokenDevice(String token) {
    checkOpen();
    return accounts.tokenDevice(token);
  }

  @Override
  public String bindIdentityUser(String userId, String identityUser) {
    checkOpen();
    return accounts.bindIdentityUser(userId, identityUser);
  }

  @Override
  public Optional<String> identityUser(String userId) {
    checkOpen();
    return accounts.identityUser(userId);
  }

  @Override
  public byte[] issueChallenge(String userId, Duration ttl) {
    checkOpen();
    return accounts.issueChallenge(userId, ttl);
  }

  @Override
  public boolean useChallenge(String userId, byte[] challenge) {
    checkOpen();
    return accounts.useChallenge(userId, challenge);
  }

  @Override
  public void putDevice(String userId, String deviceId, byte[] publicKey, boolean revoked) {
    checkOpen();
    try {
      accounts.putDevice(userId, deviceId, publicKey, revoked);
    } finally {
      if (deviceCache != null) {
        deviceCache.written(); // also after a failure: the write may have committed before it
      }
    }
  }

  @Override
  public Optional<ServerDevice> device(String deviceId) {
    checkOpen();
    return deviceCache == null ? accounts.device(deviceId) : deviceCache.device(deviceId, accounts::device);
  }

  @Override
  public List<ServerDevice> devices(String userId) {
    checkOpen();
    return deviceCache == null ? accounts.devices(userId) : deviceCache.devices(userId, accounts::devices);
  }
}
