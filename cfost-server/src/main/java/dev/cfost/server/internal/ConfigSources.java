package dev.cfost.server.internal;

import dev.cfost.server.ServerConfig;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * {@link ServerConfig#resolve}: each setting from the command-line flags, else the environment, else the
 * properties file, else its default; a malformed one is refused naming its key, value and source.
 */
public final class ConfigSources {
  private static final Pattern PASSWORD_PARAMETER = Pattern.compile("[?&]password=", Pattern.CASE_INSENSITIVE);

  private ConfigSources() {}

  /** See {@link ServerConfig#resolve}. */
  public static ServerConfig resolve(Map<String, String> flags, Map<String, String> env) {
    Map<String, String> file = Map.of();
    Source configSource = Source.of("config", flags, env, Map.of());
    if (configSource != null) {
      file = readFile(Path.of(configSource.value));
    }
    ServerConfig.Builder b = ServerConfig.builder();
    Source listen = Source.of("listen", flags, env, file);
    if (listen != null) {
      try {
        b.listen(listen.value);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(listen.describe() + ": " + e.getMessage(), e);
      }
    }
    Source data = Source.of("data", flags, env, file);
    if (data != null) {
      b.dataDir(Path.of(data.value));
    }
    Source demo = Source.of("demo", flags, env, file);
    if (demo != null) {
      b.demo(bool(demo));
    }
    Source keystore = Source.of("tls.keystore", flags, env, file);
    if (keystore != null) {
      b.tls(Path.of(keystore.value), "");
    }
    Source password = Source.of("tls.password", flags, env, file);
    if (password != null) {
      if (keystore == null) {
        throw new IllegalArgumentException("tls.password is set (" + password.where + ") but tls.keystore is not");
      }
      b.tls(Path.of(keystore.value), password.value);
    }
    list(Source.of("trusted.proxies", flags, env, file), b::trustedProxies);
    list(Source.of("metrics.allow", flags, env, file), b::metricsAllow);
    Source logFormat = Source.of("log.format", flags, env, file);
    if (logFormat != null) {
      switch (logFormat.value.toLowerCase(Locale.ROOT)) {
        case "text" -> b.logFormat(ServerConfig.LogFormat.TEXT);
        case "json" -> b.logFormat(ServerConfig.LogFormat.JSON);
        default -> throw new IllegalArgumentException(logFormat.describe() + ": expected text or json");
      }
    }
    Source perUser = Source.of("sessions.per.user", flags, env, file);
    if (perUser != null) {
      int n;
      try {
        n = Integer.parseInt(perUser.value.trim());
      } catch (NumberFormatException e) {
        n = 0;
      }
      if (n < 1 || n > ServerConfig.MAX_SESSIONS) {
        throw new IllegalArgumentException(perUser.describe() + ": expected an integer from 1 to " + ServerConfig.MAX_SESSIONS);
      }
      b.sessionsPerUser(n);
    }
    Source postgres = Source.of("postgres", flags, env, file);
    String postgresPassword = env.get(ServerConfig.ENV_PREFIX + "POSTGRES_PASSWORD");
    if (postgresPassword != null && postgresPassword.isEmpty()) {
      postgresPassword = null;
    }
    if (postgres != null) {
      if (postgres.where.startsWith("flag") && PASSWORD_PARAMETER.matcher(postgres.value).find()) {
        // Not even in the message: the flag's value is the secret.
        throw new IllegalArgumentException("postgres (" + postgres.where + ") holds a password, which every user"
            + " of the machine sees on a command line (ps); put it in " + ServerConfig.ENV_PREFIX + "POSTGRES_PASSWORD instead");
      }
      try {
        b.postgres(postgres.value, postgresPassword);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("postgres '" + ServerConfig.redact(postgres.value) + "' (" + postgres.where + "): "
            + e.getMessage(), e);
      }
    } else if (postgresPassword != null) {
      throw new IllegalArgumentException(ServerConfig.ENV_PREFIX + "POSTGRES_PASSWORD is set but postgres is not");
    }
    return b.build();
  }

  /** Reads a properties file ({@code key = value} lines, {@code #} comments). */
  static Map<String, String> readFile(Path path) {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the configuration file " + path + ": " + e.getMessage(), e);
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String key : p.stringPropertyNames()) {
      out.put(key.strip(), p.getProperty(key).strip());
    }
    return out;
  }

  /** Applies a comma-separated setting, if set; a refusal names where the setting came from. */
  private static void list(Source s, java.util.function.Consumer<List<String>> apply) {
    if (s == null) {
      return;
    }
    try {
      apply.accept(List.of(s.value.split(",")));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(s.describe() + ": " + e.getMessage(), e);
    }
  }

  private static boolean bool(Source s) {
    switch (s.value.toLowerCase(Locale.ROOT)) {
      case "true": case "yes": case "1": case "on":
        return true;
      case "false": case "no": case "0": case "off": case "":
        return false;
      default:
        throw new IllegalArgumentException(s.describe() + ": expected true or false");
    }
  }

  /** Where a setting came from, for error messages. */
  private static final class Source {
    final String key;
    final String value;
    final String where;

    private Source(String key, String value, String where) {
      this.key = key;
      this.value = value;
      this.where = where;
    }

    static Source of(String key, Map<String, String> flags, Map<String, String> env, Map<String, String> file) {
      if (flags.get(key) != null) {
        return new Source(key, flags.get(key), "flag --" + key.replace('.', '-'));
      }
      String envName = ServerConfig.ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_');
      if (env.get(envName) != null && !env.get(envName).isEmpty()) {
        return new Source(key, env.get(envName), "environment variable " + envName);
      }
      if (file.get(key) != null) {
        return new Source(key, file.get(key), "configuration file key '" + key + "'");
      }
      return null;
    }

    String describe() {
      return key + " '" + value + "' (" + where + ")";
    }
  }
}
