package dev.cfost.server.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cfost.identity.Argon2Params;
import dev.cfost.identity.internal.PasswordHash;
import dev.cfost.server.Account;
import dev.cfost.server.AccountExistsException;
import dev.cfost.server.ServerConfig;
import dev.cfost.server.ServerStore;
import io.javalin.http.Context;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The account endpoints ({@code /v1/auth/*}, {@code /v1/account}) and the bearer check in front of every
 * other {@code /v1} endpoint.
 *
 * <p><b>Refused logins look alike.</b> An unknown login and a wrong password get the same status and
 * body, after the same Argon2id work (an unknown login is verified against a dummy hash of the current
 * parameters). Refusals are counted per login text (known or not, so the count reveals nothing) and per
 * client address; past the limit the answer is 429 with Retry-After, before any password is checked.
 *
 * <p><b>Tokens.</b> Access tokens (the bearer) and refresh tokens are 256 random bits kept by the store
 * as SHA-256 only. A refresh rotates: the token used is revoked, and only one of two concurrent uses of
 * it wins. Logout revokes the bearer, and the refresh token in the body if it is the same user's.
 *
 * <p>Thread-safe: handlers run on Jetty's threads; Argon2id runs on at most {@link #hashPermits} of them
 * at once, since each uses the parameters' memory (64 MiB by default).
 */
final class AuthApi {
  static final String USER_ATTRIBUTE = "cfost.user";
  static final String DEMO_TOKEN = "demo-token";
  static final String DEMO_USER = "demo";
  static final int MAX_PASSWORD_CHARS = 1024;
  static final int MIN_PASSWORD_CHARS = 8;
  static final int MAX_LOGIN_CHARS = 320;
  static final int MAX_TOKEN_CHARS = 256;
  private static final Set<String> PUBLIC_PATHS = Set.of("/v1/auth/register", "/v1/auth/login", "/v1/auth/refresh");
  /** The endpoints whose bearer is a device token, checked by {@code SyncApi.requireDevice}. */
  private static final String CHALLENGE = "Bearer realm=\"cfost\"";
  private static final Logger LOG = LoggerFactory.getLogger(AuthApi.class);

  private final ServerStore store;
  private final Argon2Params argon2;
  private final String dummyHash;
  private final Duration accessTtl;
  private final Duration refreshTtl;
  private final int maxBody;
  private final boolean demo;
  private final RateLimiter accountFailures;
  private final RateLimiter addressFailures;
  private final RateLimiter registrations;
  private final Set<String> trustedProxies;
  private final int hashPermits = Math.max(2, Runtime.getRuntime().availableProcessors());
  private final Semaphore hashing = new Semaphore(hashPermits, true);

  AuthApi(ServerStore store, Argon2Params argon2, Duration accessTtl, Duration refreshTtl, int maxBody,
      boolean demo, int failuresPerAccount, int failuresPerAddress, int registrationsPerAddress, Duration window,
      Set<String> trustedProxies, Clock clock) {
    this.trustedProxies = trustedProxies;
    this.store = store;
    this.argon2 = argon2;
    this.dummyHash = PasswordHash.dummy(argon2);
    this.accessTtl = accessTtl;
    this.refreshTtl = refreshTtl;
    this.maxBody = maxBody;
    this.demo = demo;
    this.accountFailures = new RateLimiter("refused logins per account", failuresPerAccount, window, clock);
    this.addressFailures = new RateLimiter("refused logins per address", failuresPerAddress, window, clock);
    this.registrations = new RateLimiter("registrations per address", registrationsPerAddress, window, clock);
    if (demo) {
      ensureDemoAccount();
    }
  }

  /** The demo user's account, with a password nobody knows: only {@code demo-token} acts as it. */
  private void ensureDemoAccount() {
    if (store.account(DEMO_USER).isPresent()) {
      return;
    }
    try {
      store.createAccount(DEMO_USER, DEMO_USER, "demo@cfost.invalid", PasswordHash.dummy(argon2));
    } catch (AccountExistsException e) {
      throw new IllegalStateException("demo mode needs the account 'demo', but its name or email is taken: "
          + e.getMessage(), e);
    }
  }

  // ---- the bearer check

  /** Before every {@code /v1} request but register, login and refresh: a valid bearer, else 401. */
  void requireBearer(Context ctx) {
    String path = ctx.path().length() > 1 && ctx.path().endsWith("/")
        ? ctx.path().substring(0, ctx.path().length() - 1) : ctx.path();
    if (PUBLIC_PATHS.contains(path)) {
      return;
    }
    String header = ctx.header("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw new ApiException(401, "unauthorized", "this endpoint needs an 'Authorization: Bearer <access token>'"
          + " header").header("WWW-Authenticate", CHALLENGE);
    }
    String token = header.substring(7).strip();
    Optional<String> user = tokenUser(token);
    if (user.isEmpty()) {
      LogEvent.debug(LOG, "token_refused").with("path", ctx.path()).with("addr", clientAddress(ctx)).log();
      // Looked up only on a refusal: its bearer holds the token already, so naming its kind tells it nothing new.
      String why = store.deviceTokenDevice(token).isPresent()
          ? "this is a device token; this endpoint needs a user's access token (POST /v1/auth/login)"
          : "the access token is unknown, expired or revoked";
      throw new ApiException(401, "invalid_token", why)
          .header("WWW-Authenticate", CHALLENGE + ", error=\"invalid_token\"");
    }
    ctx.attribute(USER_ATTRIBUTE, user.get());
    ctx.attribute("cfost.token", token);
  }

  /** The account an access token stands for; {@code demo-token} stands for {@code demo} in demo mode only. */
  Optional<String> tokenUser(String token) {
    return demo && DEMO_TOKEN.equals(token) ? Optional.of(DEMO_USER) : store.accessTokenUser(token);
  }

  static String user(Context ctx) {
    String user = ctx.attribute(USER_ATTRIBUTE);
    if (user == null) {
      throw new IllegalStateException("no authenticated user on " + ctx.path());
    }
    return user;
  }

  // ---- endpoints

  /** {@code POST /v1/auth/register} {user_name, email, password} → 201 {user_id}. */
  void register(Context ctx) {
    JsonBody body = JsonBody.read(ctx, maxBody, false);
    String name = body.string("user_name", 64);
    String email = body.string("email", 254);
    String password = body.string("password", MAX_PASSWORD_CHARS);
    try {
      name = WireChecks.name(name);
    } catch (IllegalArgumentException e) {
      throw ApiException.badField("user_name", e.getMessage());
    }
    try {
      email = WireChecks.email(email);
    } catch (IllegalArgumentException e) {
      throw ApiException.badField("email", e.getMessage());
    }
    if (password.length() < MIN_PASSWORD_CHARS) {
      throw ApiException.badField("password", "field 'password' must have at least " + MIN_PASSWORD_CHARS
          + " characters");
    }
    String address = clientAddress(ctx);
    Duration wait = registrations.retryAfter(address);
    if (!wait.isZero()) {
      throw tooMany("too many registrations from this address", wait);
    }
    registrations.record(address);
    char[] pw = password.toCharArray();
    String hash;
    try {
      hash = withHashing(() -> PasswordHash.hash(pw, argon2));
    } finally {
      Arrays.fill(pw, '\0');
    }
    String userId = UUID.randomUUID().toString();
    try {
      store.createAccount(userId, name, email, hash);
    } catch (AccountExistsException e) {
      // Names and emails are unique, so a taken one is told; registrations per address are limited.
      throw new ApiException(409, "account_exists", e.getMessage());
    }
    LogEvent.info(LOG, "registered").with("user", userId).with("addr", address).log();
    ObjectNode out = JsonBody.MAPPER.createObjectNode().put("user_id", userId);
    json(ctx, 201, out);
  }

  /** {@code POST /v1/auth/login} {login, password} → 200 {user_id, access_token, refresh_token, expires_in}. */
  void login(Context ctx) {
    JsonBody body = JsonBody.read(ctx, maxBody, false);
    String login = body.string("login", MAX_LOGIN_CHARS);
    String password = body.string("password", MAX_PASSWORD_CHARS);
    String accountKey = "login:" + WireChecks.key(login);
    String client = clientAddress(ctx);
    String address = "address:" + client;
    Duration wait = max(accountFailures.retryAfter(accountKey), addressFailures.retryAfter(address));
    if (!wait.isZero()) {
      LogEvent.info(LOG, "login_limited").with("user_login", loggable(login, store.accountByLogin(login)))
          .with("addr", client).log();
      throw tooMany("too many refused logins", wait);
    }
    Optional<Account> account = store.accountByLogin(login);
    String hash = account.map(Account::passwordHash).orElse(dummyHash);
    char[] pw = password.toCharArray();
    boolean ok;
    try {
      ok = withHashing(() -> PasswordHash.verify(pw, hash)) && account.isPresent();
    } finally {
      Arrays.fill(pw, '\0');
    }
    if (!ok) {
      accountFailures.record(accountKey);
      addressFailures.record(address);
      LogEvent.info(LOG, "login_refused").with("user_login", loggable(login, account)).with("addr", client).log();
      throw new ApiException(401, "invalid_credentials", "wrong login or password")
          .header("WWW-Authenticate", CHALLENGE);
    }
    accountFailures.clear(accountKey);
    LogEvent.info(LOG, "login").with("user", account.get().userId()).with("addr", client).log();
    issue(ctx, account.get().userId());
  }

  /**
   * The login text for a log line only when it names an account: a text that names none may be a password
   * typed into the wrong field.
   */
  private static String loggable(String login, Optional<Account> account) {
    return account.isPresent() ? login : "(no such account)";
  }

  /** {@code POST /v1/auth/refresh} {refresh_token} → new tokens; the one given stops working. */
  void refresh(Context ctx) {
    JsonBody body = JsonBody.read(ctx, maxBody, false);
    String token = body.string("refresh_token", MAX_TOKEN_CHARS);
    Optional<String> user = store.refreshTokenUser(token);
    // Only one of two concurrent refreshes with one token revokes it, and only that one gets new tokens.
    if (user.isEmpty() || !store.revokeRefreshToken(token)) {
      LogEvent.info(LOG, "refresh_refused").with("addr", clientAddress(ctx)).log();
      throw new ApiException(401, "invalid_grant", "the refresh token is unknown, expired or revoked");
    }
    issue(ctx, user.get());
  }

  /** {@code POST /v1/auth/logout} (bearer), optional {refresh_token} → 204; revokes both. */
  void logout(Context ctx) {
    String user = user(ctx);
    JsonBody body = JsonBody.read(ctx, maxBody, true);
    String refresh = body.optionalString("refresh_token", MAX_TOKEN_CHARS);
    String token = ctx.attribute("cfost.token");
    if (!(demo && DEMO_TOKEN.equals(token))) {
      store.revokeAccessToken(token);
    }
    // Another user's refresh token is left alone, and nothing tells the caller whether it was valid.
    if (refresh != null && store.refreshTokenUser(refresh).filter(user::equals).isPresent()) {
      store.revokeRefreshToken(refresh);
    }
    LogEvent.info(LOG, "logout").with("user", user).log();
    ctx.header("Cache-Control", "no-store");
    ctx.status(204);
  }

  /** {@code GET /v1/account} (bearer) → {user_id, user_name, email} of the bearer's account. */
  void account(Context ctx) {
    String user = user(ctx);
    Account a = store.account(user).orElseThrow(() ->
        new ApiException(401, "invalid_token", "the access token's account no longer exists")
            .header("WWW-Authenticate", CHALLENGE + ", error=\"invalid_token\""));
    json(ctx, 200, JsonBody.MAPPER.createObjectNode().put("user_id", a.userId()).put("user_name", a.name())
        .put("email", a.email()));
  }

  private void issue(Context ctx, String userId) {
    String access = store.issueAccessToken(userId, accessTtl);
    String refresh = store.issueRefreshToken(userId, refreshTtl);
    ObjectNode out = JsonBody.MAPPER.createObjectNode()
        .put("user_id", userId)
        .put("access_token", access)
        .put("refresh_token", refresh)
        .put("token_type", "Bearer")
        .put("expires_in", accessTtl.toSeconds());
    ctx.header("Cache-Control", "no-store");
    json(ctx, 200, out);
  }

  /**
   * The client's address: the connection's peer, or, when that peer is a trusted proxy, the rightmost
   * address of {@code X-Forwarded-For} that is not a trusted proxy (addresses left of it are the client's
   * to write, so they are never believed).
   */
  String clientAddress(Context ctx) {
    String peer = ctx.req().getRemoteAddr();
    String normalized = ServerConfig.ipLiteral(peer);
    peer = normalized == null ? peer : normalized;
    if (trustedProxies.isEmpty() || !trustedProxies.contains(peer)) {
      return peer;
    }
    String forwarded = ctx.header("X-Forwarded-For");
    if (forwarded == null || forwarded.length() > 4096) {
      return peer;
    }
    String[] hops = forwarded.split(",");
    for (int i = hops.length - 1; i >= 0; i--) {
      String hop = ServerConfig.ipLiteral(hops[i]);
      if (hop == null) {
        return peer; // not an address: the proxy chain is not understood, so count the proxy
      }
      if (!trustedProxies.contains(hop)) {
        return hop;
      }
    }
    return peer;
  }

  private interface Work<T> {
    T run();
  }

  private <T> T withHashing(Work<T> work) {
    try {
      if (!hashing.tryAcquire(10, TimeUnit.SECONDS)) {
        throw new ApiException(503, "busy", "the server is busy checking passwords; retry shortly")
            .header("Retry-After", "1");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(503, "busy", "the server is stopping");
    }
    try {
      return work.run();
    } finally {
      hashing.release();
    }
  }

  private static ApiException tooMany(String what, Duration wait) {
    long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
    return new ApiException(429, "too_many_requests", what + "; retry after " + seconds + " s")
        .header("Retry-After", Long.toString(seconds));
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  static void json(Context ctx, int status, ObjectNode body) {
    ctx.status(status);
    ctx.contentType("application/json");
    ctx.result(body.toString());
  }
}
