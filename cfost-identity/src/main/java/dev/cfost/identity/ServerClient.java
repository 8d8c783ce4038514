package dev.cfost.identity;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cfost.Cfost;
import dev.cfost.Values;
import dev.cfost.identity.internal.DeviceProof;
import dev.cfost.identity.internal.ServerHttp;
import dev.cfost.identity.internal.TokenFile;
import dev.cfost.net.Transport;
import dev.cfost.net.Transports;
import dev.cfost.net.WebSocketAuth;
import dev.cfost.net.WebSocketOptions;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * This device's side of a sync server account (docs/SERVER.md, "Pointing devices at a server"): logs in
 * with a password, keeps the refresh token in an owner-only file, proves the database's device key to get
 * a device token, and builds the WebSocket {@link Transport} a {@link dev.cfost.net.Peer} syncs through.
 *
 * <pre>{@code
 * ServerClient server = ServerClient.builder(URI.create("https://sync.example.org"))
 *     .tokenFile(ServerClient.tokenFileOf(db.path())).build();
 * if (!server.loggedIn()) {
 *   server.login("alice", password);
 * }
 * Transport t = server.transport(db, DeviceKeys.forDatabase(db), userId);
 * Peer peer = Peer.create(db, SyncTrust.forUser(db, userId).applyToServer(PeerOptions.builder().transport(t)).build());
 * }</pre>
 *
 * <p>The password is sent once, to log in, and never stored. The account's access token (15 minutes) and
 * the device token (a day) live in memory only and are renewed when they expire or the server refuses
 * them; a refresh rotates the refresh token, which is saved at once. What the device trusts the server
 * with is in docs/SECURITY.md: nothing for the integrity of data, which the devices' seals protect.
 *
 * <p>Thread-safe: token state is guarded by this object. Requests block the calling thread (at most the
 * configured timeout per server URL). Errors are {@link ServerException}s whose code and message say what
 * failed and what to do; {@link IdentityException} if the login file cannot be used.
 */
public final class ServerClient {
  /** How long before its stated expiry a token is renewed: clocks and networks are not exact. */
  private static final Duration MARGIN = Duration.ofSeconds(30);

  private final List<URI> servers;
  private final SSLContext tls;
  private final Path tokenFile;
  private final Duration timeout;
  private final Clock clock;
  private final ServerHttp http;

  // Guarded by this.
  private TokenFile.Saved saved;
  private String accessToken;
  private Instant accessExpires = Instant.MIN;
  private String deviceToken;
  private String deviceTokenFor; // device id + identity user the token was issued for
  private Instant deviceExpires = Instant.MIN;

  private ServerClient(Builder b) {
    this.servers = List.copyOf(b.servers);
    this.tls = b.tls;
    this.tokenFile = b.tokenFile;
    this.timeout = b.timeout;
    this.clock = b.clock;
    this.http = new ServerHttp(servers, tls, timeout);
    if (tokenFile != null) {
      saved = TokenFile.read(tokenFile).filter(s -> s.server().equals(servers.get(0).toString())).orElse(null);
    }
  }

  /**
   * A client of the server at {@code server} ({@code https://host[:port][/prefix]}; {@code http://} only
   * for a server on this machine or behind a proxy on it).
   */
  public static Builder builder(URI server) {
    return new Builder().server(server);
  }

  /** The login file of the database at {@code database}: {@code <database>.server-login} beside it. */
  /**
   * The bytes a device signs to prove its key to a sync server (docs/SERVER.md, "Devices"), for the
   * server that checks the proof as for the device that makes it.
   *
   * @throws IllegalArgumentException if {@code challenge} does not have 32 bytes
   */
  public static byte[] deviceProofMessage(String accountUser, String identityUser, byte[] challenge) {
    return DeviceProof.message(accountUser, identityUser, challenge);
  }

  public static Path tokenFileOf(Path database) {
    Path absolute = database.toAbsolutePath();
    return absolute.resolveSibling(absolute.getFileName() + ".server-login");
  }

  /** The server's first URL, which the login file names. */
  public URI server() {
    return servers.get(0);
  }

  /** Whether a login for this server is saved (it may still have expired on the server). */
  public synchronized boolean loggedIn() {
    return saved != null;
  }

  /** The account's user id on the server, once logged in. */
  public synchronized Optional<String> accountUserId() {
    return Optional.ofNullable(saved).map(TokenFile.Saved::userId);
  }

  /**
   * Creates an account on the server ({@code POST /v1/auth/register}); {@code password} is zeroed whatever
   * happens. It does not log in: call {@link #login} next.
   *
   * @return the new account's user id
   * @throws ServerException {@code account_exists} if the name or email is taken, {@code invalid_field}
   *     naming the field the server refused (a short password, say), {@value ServerException#UNREACHABLE}
   */
  public String register(String userName, String email, char[] password) {
    Objects.requireNonNull(userName, "userName");
    Objects.requireNonNull(email, "email");
    Objects.requireNonNull(password, "password");
    ObjectNode body = ServerHttp.object().put("user_name", userName).put("email", email);
    try {
      body.put("password", new String(password));
    } finally {
      Arrays.fill(password, '\0');
    }
    ServerHttp.Answer a = http.post("/v1/auth/register", null, body);
    body.remove("password");
    if (a.status() != 201) {
      throw refusal(a, "create the account '" + userName + "'");
    }
    String user = a.text("user_id");
    if (user.isEmpty()) {
      throw new ServerException("invalid_response", a.status(), "the sync server " + server()
          + " created the account without saying its user_id; is it a CFOST server?");
    }
    return user;
  }

  /**
   * Logs in with {@code login} (name or email) and {@code password}, which is zeroed whatever happens,
   * and saves the refresh token in the token file (if one is configured).
   *
   * @return the account's user id
   * @throws ServerException {@code invalid_credentials} for a wrong login or password,
   *     {@code too_many_requests} after too many refusals, {@value ServerException#UNREACHABLE}
   */
  public synchronized String login(String login, char[] password) {
    Objects.requireNonNull(login, "login");
    Objects.requireNonNull(password, "password");
    ObjectNode body = ServerHttp.object().put("login", login);
    try {
      body.put("password", new String(password));
    } finally {
      Arrays.fill(password, '\0');
    }
    ServerHttp.Answer a = http.post("/v1/auth/login", null, body);
    body.remove("password");
    if (a.status() == 401) {
      throw new ServerException(a.error().isEmpty() ? "invalid_credentials" : a.error(), 401,
          "the sync server " + server() + " refused the login: wrong login or password");
    }
    if (a.status() == 429) {
      throw new ServerException("too_many_requests", 429, "the sync server " + server()
          + " refuses logins for now after too many wrong passwords; try again later");
    }
    accept(a, "log in");
    return saved.userId();
  }

  /** Forgets the saved login here (deletes the token file); the server's tokens expire on their own. */
  public synchronized void logout() {
    saved = null;
    accessToken = null;
    deviceToken = null;
    if (tokenFile != null) {
      TokenFile.delete(tokenFile);
    }
  }

  /** A token answer from login or refresh: keep the access token, save the rotated refresh token. */
  private void accept(ServerHttp.Answer a, String what) {
    if (a.status() != 200) {
      throw refusal(a, what);
    }
    String user = a.text("user_id");
    String access = a.text("access_token");
    String refresh = a.text("refresh_token");
    if (user.isEmpty() || access.isEmpty() || refresh.isEmpty()) {
      throw new ServerException("invalid_response", a.status(), "the sync server " + server()
          + " answered the " + what + " without user_id, access_token or refresh_token; is it a CFOST server?");
    }
    saved = new TokenFile.Saved(server().toString(), user, refresh);
    if (tokenFile != null) {
      TokenFile.write(tokenFile, saved);
    }
    accessToken = access;
    accessExpires = expiry(a, 900);
  }

  private Instant expiry(ServerHttp.Answer a, long defaultSeconds) {
    long seconds = a.body().path("expires_in").asLong(defaultSeconds);
    return clock.instant().plusSeconds(Math.max(0, seconds)).minus(MARGIN);
  }

  /** The account's access token, refreshed (rotating the saved refresh token) when it is missing or expired. */
  private String accessToken() {
    if (accessToken != null && clock.instant().isBefore(accessExpires)) {
      return accessToken;
    }
    if (saved == null && tokenFile != null) {
      // A login made since (by another process): a daemon need not restart for it.
      saved = TokenFile.read(tokenFile).filter(s -> s.server().equals(server().toString())).orElse(null);
    }
    if (saved == null) {
      throw new ServerException(ServerException.NOT_LOGGED_IN, 0, "this device is not logged in to the sync"
          + " server " + server() + (tokenFile == null ? "" : " (no login in " + tokenFile + ")")
          + "; log in first");
    }
    ServerHttp.Answer a = http.post("/v1/auth/refresh", null, ServerHttp.object().put("refresh_token",
        saved.refreshToken()));
    if (a.status() == 401) {
      saved = null;
      if (tokenFile != null) {
        TokenFile.delete(tokenFile); // it will never work again
      }
      throw new ServerException(a.error().isEmpty() ? "invalid_grant" : a.error(), 401, "the sync server "
          + server() + " no longer accepts the saved login (it expired, was logged out, or was used by another"
          + " copy of it); log in again");
    }
    accept(a, "refresh");
    return accessToken;
  }

  /**
   * A device token for the device holding {@code keys}, in the database of identity user
   * {@code identityUser}: the device proves its key by signing the server's one-time challenge (see
   * docs/SERVER.md). Cached until it expires or {@link #deviceTokenRefused} is called.
   *
   * @throws ServerException {@code device_not_authorized} if the server's copy of the user's device list
   *     does not authorize this device (not there yet, or revoked), {@code wrong_user} if the account
   *     belongs to another identity user, and the errors of login and refresh
   */
  public String deviceToken(DeviceKeys keys, String identityUser) {
    return deviceToken(keys, identityUser, true);
  }

  /**
   * {@link #deviceToken(DeviceKeys, String)} for a device that may not hold the user's device list yet:
   * with {@code holdsDeviceList} false (a device paired but not yet synced with its pairer, so not
   * authorized in its own list), the server never makes it the account's first device, which would start
   * the account's device list without the devices the user already has.
   *
   * @throws ServerException also {@code no_device_list_yet} if {@code holdsDeviceList} is false and no
   *     device of the account has reached the server yet
   */
  public synchronized String deviceToken(DeviceKeys keys, String identityUser, boolean holdsDeviceList) {
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(identityUser, "identityUser");
    String forWhom = keys.deviceId() + "/" + identityUser;
    if (deviceToken != null && forWhom.equals(deviceTokenFor) && clock.instant().isBefore(deviceExpires)) {
      return deviceToken;
    }
    ServerHttp.Answer c = http.post("/v1/devices/challenge", accessToken(), null);
    if (c.status() == 401) {
      accessToken = null; // revoked early, or the clock lies: one fresh try
      c = http.post("/v1/devices/challenge", accessToken(), null);
    }
    if (c.status() != 200) {
      throw refusal(c, "give a device challenge");
    }
    byte[] challenge;
    try {
      challenge = Values.unhex(c.text("challenge"));
    } catch (IllegalArgumentException e) {
      challenge = new byte[0];
    }
    if (challenge.length != DeviceProof.CHALLENGE_BYTES) {
      throw new ServerException("invalid_response", 200, "the sync server " + server()
          + " gave a challenge that is not 32 bytes of hex; is it a CFOST server?");
    }
    byte[] signature = keys.sign(DeviceProof.message(saved.userId(), identityUser, challenge));
    ObjectNode proof = ServerHttp.object().put("device_id", keys.deviceId().toString())
        .put("public_key", Values.hex(keys.publicKey())).put("identity_user", identityUser)
        .put("challenge", Values.hex(challenge)).put("signature", Values.hex(signature))
        .put("holds_device_list", holdsDeviceList);
    ServerHttp.Answer t = http.post("/v1/devices/token", accessToken(), proof);
    if (t.status() != 200) {
      throw deviceRefusal(t, keys.deviceId(), identityUser);
    }
    String token = t.text("device_token");
    if (token.isEmpty()) {
      throw new ServerException("invalid_response", 200, "the sync server " + server()
          + " answered the device proof without a device_token");
    }
    deviceToken = token;
    deviceTokenFor = forWhom;
    deviceExpires = expiry(t, 86_400);
    return token;
  }

  /** The server refused the device token (a WebSocket handshake got 401 or 403): get a new one next time. */
  public synchronized void deviceTokenRefused() {
    deviceToken = null;
  }

  private ServerException deviceRefusal(ServerHttp.Answer a, DeviceId device, String identityUser) {
    switch (a.error()) {
      case "device_not_authorized":
        return new ServerException(a.error(), a.status(), "the sync server " + server() + " does not know device "
            + device + " as an authorized device of this account: it learns the user's device list from the"
            + " devices that sync with it. Pair this device with one of your devices and let them sync (on the"
            + " LAN), and let a device that syncs with the server have the new device list; or the device was"
            + " revoked");
      case "no_device_list_yet":
        return new ServerException(a.error(), a.status(), "the sync server " + server() + " has no device of this"
            + " account yet, and device " + device + " does not hold the user's device list (it was paired and"
            + " has not synced with the device that paired it): let that device sync with the server first, or"
            + " sync with it on the LAN");
      case "wrong_user":
        return new ServerException(a.error(), a.status(), "the account " + saved.userId() + " on the sync server "
            + server() + " belongs to another user than this database's (" + identityUser + "); log in with the"
            + " account of this database's user");
      case "invalid_proof":
        return new ServerException(a.error(), a.status(), "the sync server " + server() + " did not accept the"
            + " device proof of " + device + " (" + a.describe() + "); try again");
      default:
        return refusal(a, "issue a device token");
    }
  }

  private ServerException refusal(ServerHttp.Answer a, String what) {
    String code = a.error().isEmpty() ? (a.status() >= 500 ? "server_error" : "http_" + a.status()) : a.error();
    return new ServerException(code, a.status(), "the sync server " + server() + " would not " + what + ": "
        + a.describe());
  }

  /**
   * The WebSocket transport to this server for {@code db}: its URLs are the server's with
   * {@code /v1/sync?database=<db's id>}, its handshake carries a device token, fetched (and renewed) as
   * needed by {@link #deviceToken}. Give it to a {@link dev.cfost.net.Peer} with discovery on (the server is
   * the transport's one peer) and {@link SyncTrust#applyToServer}.
   */
  public Transport transport(Cfost db, DeviceKeys keys, String identityUser) {
    Objects.requireNonNull(db, "db");
    WebSocketOptions.Builder b = WebSocketOptions.builder().connectTimeout(timeout).auth(new WebSocketAuth() {
      @Override
      public Map<String, String> headers(URI url) {
        // Asked again at each new token: a LAN sync with the pairer may have brought the list meanwhile.
        boolean holdsList = Devices.open(db).isAuthorized(keys.deviceId(), identityUser);
        return Map.of("Authorization", "Bearer " + deviceToken(keys, identityUser, holdsList));
      }

      @Override
      public void refused(URI url, int status) {
        deviceTokenRefused();
      }
    });
    String query = "?database=" + URLEncoder.encode(db.databaseId(), StandardCharsets.UTF_8);
    for (URI s : servers) {
      b.url(webSocketUrl(s, query));
    }
    if (tls != null) {
      b.tls(tls);
    }
    return Transports.webSocket(b.build());
  }

  static URI webSocketUrl(URI server, String query) {
    URI sync = ServerHttp.resolve(server, "/v1/sync" + query);
    String scheme = server.getScheme().toLowerCase(Locale.ROOT).equals("https") ? "wss" : "ws";
    return URI.create(scheme + sync.toString().substring(sync.getScheme().length()));
  }

  /** Builder of {@link ServerClient}. */
  public static final class Builder {
    private final List<URI> servers = new ArrayList<>();
    private SSLContext tls;
    private Path tokenFile;
    private Duration timeout = Duration.ofSeconds(10);
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /**
     * Adds a URL of the same server (another name or replica), tried when the ones before cannot be reached.
     *
     * @throws IllegalArgumentException naming the URL if it is not http or https with a host
     */
    public Builder server(URI url) {
      Objects.requireNonNull(url, "url");
      String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("https") && !scheme.equals("http") || url.getHost() == null || url.getRawQuery() != null) {
        throw new IllegalArgumentException("not an https:// (or http://) server URL with a host and no query: '"
            + url + "'");
      }
      servers.add(url);
      return this;
    }

    /** Where the login is kept ({@link #tokenFileOf}); default none: log in again in every process. */
    public Builder tokenFile(Path file) {
      this.tokenFile = Objects.requireNonNull(file, "file");
      return this;
    }

    /** The TLS context for https and wss (default the JDK's trust store); see {@link #trust}. */
    public Builder tls(SSLContext tls) {
      this.tls = Objects.requireNonNull(tls, "tls");
      return this;
    }

    /**
     * Trusts only the certificates in {@code file} (PEM or DER, or a PKCS#12 key store without password):
     * for a server with a self-signed certificate.
     *
     * @throws IOException naming the file if it holds no certificate
     */
    public Builder trust(Path file) throws IOException {
      this.tls = WebSocketOptions.trusting(file);
      return this;
    }

    /** How long connecting and each request may take, per URL (default 10 s). */
    public Builder timeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive: " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /** The clock token expiry is measured with (tests). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public ServerClient build() {
      return new ServerClient(this);
    }
  }
}
