package dev.cfost.cli.internal;

import dev.cfost.server.CfostServer;
import dev.cfost.server.ServerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cfost server}: runs the sync server in the foreground until SIGTERM or Ctrl-C, then stops
 * gracefully (requests in flight finish, the store closes). Settings come from the flags, else the
 * environment ({@code CFOST_SERVER_*}), else the file of {@code --config} (docs/SERVER.md).
 */
@Command(name = "server", mixinStandardHelpOptions = true,
    footer = "  cfost server --listen 0.0.0.0:8787 --data /var/lib/cfost",
    subcommands = {ServerBackupCommand.class, ServerRestoreCommand.class},
    description = {"Run the sync server (accounts, tokens; docs/SERVER.md) until SIGTERM.",
        "Settings: flags, else environment (CFOST_SERVER_LISTEN, CFOST_SERVER_DATA, CFOST_SERVER_CONFIG,"
            + " CFOST_SERVER_DEMO, CFOST_SERVER_TLS_KEYSTORE, CFOST_SERVER_TLS_PASSWORD, CFOST_SERVER_TRUSTED_PROXIES,"
            + " CFOST_SERVER_METRICS_ALLOW, CFOST_SERVER_LOG_FORMAT, CFOST_SERVER_SESSIONS_PER_USER,"
            + " CFOST_SERVER_POSTGRES, CFOST_SERVER_POSTGRES_PASSWORD),"
            + " else the --config file."})
final class ServerCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--listen", paramLabel = "HOST:PORT",
      description = "Where to listen (default: " + ServerConfig.DEFAULT_LISTEN + ", this machine only; port 0 picks"
          + " a free port). Put a reverse proxy in front, or --listen 0.0.0.0:8787 with --tls-keystore.")
  String listen;

  @Option(names = "--data", paramLabel = "DIR",
      description = "Where the server keeps its SQLite files (default: ./" + ServerConfig.DEFAULT_DATA + ").")
  String data;

  @Option(names = "--config", paramLabel = "FILE", description = "A properties file of settings (listen, data, ...).")
  String config;

  @Option(names = "--tls-keystore", paramLabel = "FILE",
      description = "Serve HTTPS with the certificate of this PKCS#12 file (password: CFOST_SERVER_TLS_PASSWORD).")
  String tlsKeystore;

  @Option(names = "--trusted-proxies", paramLabel = "IP[,IP...]",
      description = "Reverse proxies whose X-Forwarded-For names the client (for the per-address login limit).")
  String trustedProxies;

  @Option(names = "--metrics-allow", paramLabel = "IP|CIDR[,...]",
      description = "Clients besides loopback that may read /metrics (such as 10.0.0.0/8).")
  String metricsAllow;

  @Option(names = "--sessions-per-user", paramLabel = "N",
      description = "The most sync sessions (and apart /ws connections) one user holds in this process (default 2000).")
  String sessionsPerUser;

  @Option(names = "--postgres", paramLabel = "JDBC_URL",
      description = "Keep everything in PostgreSQL (jdbc:postgresql://HOST:PORT/DATABASE?user=NAME) instead of"
          + " SQLite files; the password only in CFOST_SERVER_POSTGRES_PASSWORD.")
  String postgres;

  @Option(names = "--log-format", paramLabel = "text|json",
      description = "Log lines on stderr: text (key=value, the default) or json (one object per line).")
  String logFormat;

  @Option(names = "--demo",
      description = "Accept the fixed bearer token 'demo-token' as user 'demo'. Never in production.")
  boolean demo;

  @Override
  public Integer call() throws InterruptedException {
    Map<String, String> flags = new HashMap<>();
    flags.put("listen", listen);
    flags.put("data", data);
    flags.put("config", config);
    flags.put("tls.keystore", tlsKeystore);
    flags.put("trusted.proxies", trustedProxies);
    flags.put("metrics.allow", metricsAllow);
    flags.put("log.format", logFormat);
    flags.put("postgres", postgres);
    flags.put("sessions.per.user", sessionsPerUser);
    if (demo) {
      flags.put("demo", "true");
    }
    ServerConfig settings;
    try {
      settings = ServerConfig.resolve(flags, System.getenv());
    } catch (IllegalArgumentException e) {
      throw new CliException(e.getMessage());
    }
    ServerLogging.apply(settings.logFormat());
    CfostServer server;
    try {
      server = CfostServer.start(settings);
    } catch (IOException e) {
      throw new CliException(e.getMessage());
    }
    Thread hook = new Thread(server::close, "cfost-server-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    PrintWriter out = spec.commandLine().getOut();
    String host = server.host().indexOf(':') >= 0 ? "[" + server.host() + "]" : server.host();
    if (settings.demo()) {
      spec.commandLine().getErr().println("cfost: demo mode: the bearer token 'demo-token' acts as user 'demo'");
      spec.commandLine().getErr().flush();
    }
    out.println("listening on " + host + ":" + server.port());
    out.flush();
    new CountDownLatch(1).await(); // until a signal: the shutdown hook stops the server, then the JVM halts
    return 0;
  }
}
