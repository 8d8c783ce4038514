package dev.cfost.server;

import dev.cfost.identity.Argon2Params;
import dev.cfost.server.internal.IpRange;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How a {@link CfostServer} runs: where it listens, where it keeps its data, and its auth limits.
 *
 * <p><b>Sources and precedence.</b> {@link #resolve} reads each setting from the command-line flags, else
 * the environment ({@code CFOST_SERVER_LISTEN}, ...), else a properties file ({@code listen = ...}), else
 * the default. The file is named by the flag {@code config} or by {@code CFOST_SERVER_CONFIG}. The keys:
 *
 * <pre>
 *   key             environment                 default
 *   listen          CFOST_SERVER_LISTEN         127.0.0.1:8787 (loopback only: see docs/SERVER.md)
 *   data            CFOST_SERVER_DATA           ./cfost-server-data
 *   demo            CFOST_SERVER_DEMO           false (accept seed 002's fixed "demo-token")
 *   tls.keystore    CFOST_SERVER_TLS_KEYSTORE   none: plain HTTP (PKCS#12 file: HTTPS)
 *   tls.password    CFOST_SERVER_TLS_PASSWORD   empty
 *   trusted.proxies CFOST_SERVER_TRUSTED_PROXIES none: X-Forwarded-For is ignored (comma-separated IPs)
 *   metrics.allow   CFOST_SERVER_METRICS_ALLOW  none: /metrics for loopback clients only (comma-separated IPs, CIDRs)
 *   log.format      CFOST_SERVER_LOG_FORMAT     text (key=value lines); json: one JSON object per line
 *   sessions.per.user CFOST_SERVER_SESSIONS_PER_USER 2000: sync sessions (and /ws connections) of one user
 *                                               per process, 1 to 20000
 * </pre>
 *
 * <p>Instances are immutable; {@link #builder} makes one directly (tests, embedding applications).
 */
public final class ServerConfig {
  /** Loopback only: a server is exposed on purpose, by {@code --listen 0.0.0.0:8787} or a reverse proxy. */
  public static final String DEFAULT_LISTEN = "127.0.0.1:8787";
  public static final String DEFAULT_DATA = "cfost-server-data";
  /** The environment variable of each key: {@code CFOST_SERVER_} and the key in capitals, '.' as '_'. */
  public static final String ENV_PREFIX = "CFOST_SERVER_";
  /** The most sync sessions one server process holds (and, apart, the most {@code /ws} connections). */
  public static final int MAX_SESSIONS = 20_000;

  private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

  private final String host;
  private final int port;
  private final Path dataDir;
  private final boolean demo;
  private final Path tlsKeystore;
  private final String tlsPassword;
  private final Duration accessTokenTtl;
  private final Duration refreshTokenTtl;
  private final int maxBodyBytes;
  private final int loginFailuresPerAccount;
  private final int loginFailuresPerAddress;
  private final Duration loginWindow;
  private final int registrationsPerAddress;
  private final Argon2Params argon2;
  private final Set<String> trustedProxies;
  private final List<String> metricsAllow;
  private final LogFormat logFormat;
  private final int sessionsPerUser;

  /** How the server's log lines are written (docs/SERVER.md, "Logs"). */
  public enum LogFormat {
    /** One line per event: {@code event=login_refused user_login=alice addr=192.0.2.7}. */
    TEXT,
    /** One JSON object per line, the event's fields at its top level. */
    JSON
  }
  private final Duration sseKeepAlive;
  private final String postgresUrl;
  private final String postgresPassword;

  private ServerConfig(Builder b) {
    this.host = Objects.requireNonNull(b.host, "host");
    this.port = b.port;
    this.dataDir = Objects.requireNonNull(b.dataDir, "dataDir");
    this.demo = b.demo;
    this.tlsKeystore = b.tlsKeystore;
    this.tlsPassword = b.tlsPassword == null ? "" : b.tlsPassword;
    this.accessTokenTtl = positive(b.accessTokenTtl, "access token time to live");
    this.refreshTokenTtl = positive(b.refreshTokenTtl, "refresh token time to live");
    this.maxBodyBytes = atLeastOne(b.maxBodyBytes, "maximum body size");
    this.loginFailuresPerAccount = atLeastOne(b.loginFailuresPerAccount, "login failures per account");
    this.loginFailuresPerAddress = atLeastOne(b.loginFailuresPerAddress, "login failures per address");
    this.loginWindow = positive(b.loginWindow, "login window");
    this.registrationsPerAddress = atLeastOne(b.registrationsPerAddress, "registrations per address");
    this.argon2 = Objects.requireNonNull(b.argon2, "argon2");
    this.trustedProxies = Set.copyOf(b.trustedProxies);
    this.metricsAllow = List.copyOf(b.metricsAllow);
    this.logFormat = Objects.requireNonNull(b.logFormat, "logFormat");
    if (b.sessionsPerUser < 1 || b.sessionsPerUser > MAX_SESSIONS) {
      throw new IllegalArgumentException("sessions per user must be 1 to " + MAX_SESSIONS + ": " + b.sessionsPerUser);
    }
    this.sessionsPerUser = b.sessionsPerUser;
    this.sseKeepAlive = positive(b.sseKeepAlive, "SSE keep-alive interval");
    this.postgresUrl = b.postgresUrl;
    this.postgresPassword = b.postgresPassword;
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is out of range 0 to 65535");
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The configuration from flags, environment and file, in that order of precedence (see the class
   * comment). Keys absent everywhere take their defaults.
   *
   * @param flags settings given on the command line, by key ({@code listen}, {@code data}, {@code config},
   *     {@code demo}, ...); null values count as absent
   * @param env the environment ({@code System.getenv()})
   * @throws IllegalArgumentException naming the key, its source and the value if a setting is malformed,
   *     or the file if it cannot be read
   */
  public static ServerConfig resolve(Map<String, String> flags, Map<String, String> env) {
    return dev.cfost.server.internal.ConfigSources.resolve(flags, env);
  }

  /** A JDBC URL fit to print: the value of a {@code password} parameter replaced. */
  public static String redact(String url) {
    return url == null ? null : url.replaceAll("(?i)([?&]password=)[^&]*", "$1***");
  }

  public String host() {
    return host;
  }

  /** The port to listen on; 0 picks a free one ({@link CfostServer#port()} tells which). */
  public int port() {
    return port;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** Whether the fixed bearer token {@code demo-token} is accepted (as the user {@code demo}). */
  public boolean demo() {
    return demo;
  }

  /** The PKCS#12 key store holding the server's certificate and key, or null for plain HTTP. */
  public Path tlsKeystore() {
    return tlsKeystore;
  }

  /** The key store's password (empty if none). */
  public String tlsPassword() {
    return tlsPassword;
  }

  public Duration accessTokenTtl() {
    return accessTokenTtl;
  }

  public Duration refreshTokenTtl() {
    return refreshTokenTtl;
  }

  public int maxBodyBytes() {
    return maxBodyBytes;
  }

  public int loginFailuresPerAccount() {
    return loginFailuresPerAccount;
  }

  public int loginFailuresPerAddress() {
    return loginFailuresPerAddress;
  }

  public Duration loginWindow() {
    return loginWindow;
  }

  public int registrationsPerAddress() {
    return registrationsPerAddress;
  }

  public Argon2Params argon2() {
    return argon2;
  }

  /**
   * The addresses of reverse proxies whose {@code X-Forwarded-For} names the client (normalized IP
   * literals); empty: the header is ignored and the client is the connection's peer.
   */
  public Set<String> trustedProxies() {
    return trustedProxies;
  }

  /**
   * Addresses and CIDR blocks (normalized, such as {@code 10.0.0.0/8}) that may read {@code /metrics}
   * besides loopback clients; empty by default.
   */
  public List<String> metricsAllow() {
    return metricsAllow;
  }

  /** How the server's log lines are written; applied by the {@code cfost server} command's logging. */
  public LogFormat logFormat() {
    return logFormat;
  }

  /** The most sync sessions, and apart the most {@code /ws} connections, of one user in this process. */
  public int sessionsPerUser() {
    return sessionsPerUser;
  }

  /** How long an idle SSE stream waits before it sends a {@code : keep-alive} comment (default 15 s). */
  public Duration sseKeepAlive() {
    return sseKeepAlive;
  }

  /**
   * The JDBC URL of the PostgreSQL store ({@code jdbc:postgresql://HOST:PORT/DATABASE}), or null for the
   * embedded SQLite store under {@link #dataDir}.
   */
  public String postgresUrl() {
    return postgresUrl;
  }

  /** The PostgreSQL password ({@code CFOST_SERVER_POSTGRES_PASSWORD}), or null for the URL's or none. */
  public String postgresPassword() {
    return postgresPassword;
  }

  /** {@code text} as a normalized IP literal, or null if it is not one (never a DNS look-up). */
  public static String ipLiteral(String text) {
    String t = text == null ? "" : text.strip();
    if (t.startsWith("[") && t.endsWith("]")) {
      t = t.substring(1, t.length() - 1);
    }
    boolean v4 = IPV4.matcher(t).matches();
    boolean v6 = t.indexOf(':') >= 0 && IPV6.matcher(t).matches();
    if (!v4 && !v6) {
      return null;
    }
    try {
      return InetAddress.getByName(t).getHostAddress(); // a literal: parsed, not looked up
    } catch (UnknownHostException e) {
      return null;
    }
  }

  @Override
  public String toString() {
    return "ServerConfig{listen=" + host + ":" + port
        + (postgresUrl == null ? " data=" + dataDir : " postgres=" + redact(postgresUrl)) + " demo=" + demo
        + (tlsKeystore == null ? " http" : " https keystore=" + tlsKeystore) + "}"; // never the password
  }

  private static Duration positive(Duration d, String what) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("the " + what + " must be positive: " + d);
    }
    return d;
  }

  private static int atLeastOne(int n, String what) {
    if (n < 1) {
      throw new IllegalArgumentException("the " + what + " must be at least 1: " + n);
    }
    return n;
  }

  /** Builds a {@link ServerConfig}; every setting starts at its default. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port = 8787;
    private Path dataDir = Path.of(DEFAULT_DATA);
    private boolean demo;
    private Path tlsKeystore;
    private String tlsPassword;
    private Duration accessTokenTtl = Duration.ofMinutes(15);
    private Duration refreshTokenTtl = Duration.ofDays(30);
    private int maxBodyBytes = 64 * 1024;
    private int loginFailuresPerAccount = 5;
    private int loginFailuresPerAddress = 20;
    private Duration loginWindow = Duration.ofMinutes(15);
    private int registrationsPerAddress = 20;
    private Argon2Params argon2 = Argon2Params.DEFAULT;
    private Set<String> trustedProxies = Set.of();
    private List<String> metricsAllow = List.of();
    private LogFormat logFormat = LogFormat.TEXT;
    private int sessionsPerUser = 2_000;
    private Duration sseKeepAlive = Duration.ofSeconds(15);
    private String postgresUrl;
    private String postgresPassword;

    private Builder() {}

    /**
     * Clients besides loopback that may read {@code /metrics}: IP addresses and CIDR blocks
     * ({@code 10.0.0.0/8}). Behind a reverse proxy the client is the one {@link #trustedProxies} forwards.
     *
     * @throws IllegalArgumentException naming an entry that is neither
     */
    public Builder metricsAllow(Collection<String> ranges) {
      List<String> out = new ArrayList<>();
      for (String r : ranges) {
        if (!r.isBlank()) {
          out.add(IpRange.parse(r).toString());
        }
      }
      this.metricsAllow = out;
      return this;
    }

    /** How log lines are written (default {@link LogFormat#TEXT}). */
    public Builder logFormat(LogFormat format) {
      this.logFormat = format;
      return this;
    }

    /**
     * Keep everything in PostgreSQL at {@code jdbcUrl} instead of SQLite files (docs/SERVER.md,
     * "PostgreSQL"); {@code password} null for the URL's or none.
     */
    public Builder postgres(String jdbcUrl, String password) {
      if (jdbcUrl != null && !jdbcUrl.strip().startsWith("jdbc:postgresql:")) {
        throw new IllegalArgumentException("expected a PostgreSQL JDBC URL, jdbc:postgresql://HOST:PORT/DATABASE");
      }
      this.postgresUrl = jdbcUrl == null ? null : jdbcUrl.strip();
      this.postgresPassword = password;
      return this;
    }

    /**
     * Reverse proxies (IP literals) whose {@code X-Forwarded-For} is believed: the client is the rightmost
     * address in it that is not one of them. Default: none, the header is ignored.
     */
    public Builder trustedProxies(Collection<String> addresses) {
      Set<String> out = new LinkedHashSet<>();
      for (String a : addresses) {
        if (a.isBlank()) {
          continue;
        }
        String ip = ipLiteral(a);
        if (ip == null) {
          throw new IllegalArgumentException("'" + a.strip() + "' is not an IP address; trusted proxies are IP"
              + " addresses, comma-separated");
        }
        out.add(ip);
      }
      this.trustedProxies = out;
      return this;
    }

    /** {@code HOST:PORT}, {@code [IPv6]:PORT}; port 0 picks a free port. */
    public Builder listen(String hostPort) {
      String text = hostPort == null ? "" : hostPort.strip();
      int colon = text.lastIndexOf(':');
      if (colon <= 0 || colon == text.length() - 1) {
        throw new IllegalArgumentException("expected HOST:PORT, such as " + DEFAULT_LISTEN);
      }
      String h = text.substring(0, colon);
      if (h.startsWith("[") && h.endsWith("]")) {
        h = h.substring(1, h.length() - 1);
      }
      int p;
      try {
        p = Integer.parseInt(text.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("the port is not a number; expected HOST:PORT, such as " + DEFAULT_LISTEN);
      }
      if (p < 0 || p > 65535) {
        throw new IllegalArgumentException("port " + p + " is out of range 0 to 65535");
      }
      this.host = h;
      this.port = p;
      return this;
    }

    public Builder host(String host) {
      this.host = host;
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder dataDir(Path dataDir) {
      this.dataDir = dataDir;
      return this;
    }

    public Builder demo(boolean demo) {
      this.demo = demo;
      return this;
    }

    /** Serve HTTPS with the certificate and key of a PKCS#12 key store. */
    public Builder tls(Path keystore, String password) {
      this.tlsKeystore = keystore;
      this.tlsPassword = password;
      return this;
    }

    public Builder accessTokenTtl(Duration ttl) {
      this.accessTokenTtl = ttl;
      return this;
    }

    public Builder refreshTokenTtl(Duration ttl) {
      this.refreshTokenTtl = ttl;
      return this;
    }

    /** The largest request body accepted (default 64 KiB); a larger one gets 413. */
    public Builder maxBodyBytes(int bytes) {
      this.maxBodyBytes = bytes;
      return this;
    }

    /** Refused logins within {@link #loginWindow} after which an account, or an address, gets 429. */
    public Builder loginLimits(int failuresPerAccount, int failuresPerAddress, Duration window) {
      this.loginFailuresPerAccount = failuresPerAccount;
      this.loginFailuresPerAddress = failuresPerAddress;
      this.loginWindow = window;
      return this;
    }

    /** Registrations one address may make within the login window (default 20). */
    public Builder registrationsPerAddress(int n) {
      this.registrationsPerAddress = n;
      return this;
    }

    /** The Argon2id cost of new password hashes (default {@link Argon2Params#DEFAULT}); tests lower it. */
    public Builder argon2(Argon2Params params) {
      this.argon2 = params;
      return this;
    }

    /**
     * How long an idle SSE stream waits before it sends a {@code : keep-alive} comment (default 15 s,
     * below the usual proxy read timeouts); tests shorten it.
     */
    public Builder sseKeepAlive(Duration interval) {
      this.sseKeepAlive = interval;
      return this;
    }

    /**
     * The most sync sessions one user holds in this process (default 2,000, at most
     * {@link ServerConfig#MAX_SESSIONS});
     * the same bound applies apart to the user's {@code /ws} connections. Beyond it: 503 {@code busy}.
     */
    public Builder sessionsPerUser(int n) {
      this.sessionsPerUser = n;
      return this;
    }

    public ServerConfig build() {
      return new ServerConfig(this);
    }
  }
}
