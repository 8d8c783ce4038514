package dev.cfost.cli.internal;

import dev.cfost.net.PeerAddress;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cfost start}: runs the sync daemon in the foreground until SIGTERM or SIGINT, or with
 * {@code --daemon} in the background (see {@link DaemonLauncher}).
 */
@Command(name = "start", mixinStandardHelpOptions = true,
    footer = "  cfost --db laptop.db start --daemon --peer desktop.local:7947",
    description = {"Run the sync daemon: accept peers, find them on the LAN (mDNS), keep the peer book's",
        "peers connected, and sync every change both ways as it happens; with --server (or a server",
        "remembered from an earlier --server), through that sync server too. Stops on SIGTERM or SIGINT.",
        "Peer events go to stderr with timestamps; with --daemon, to <db>.log."})
final class StartCommand implements Callable<Integer> {
  static final String DEFAULT_LISTEN = "0.0.0.0:7947";
  /** Read by logback.xml: time-stamps the library's warnings in the daemon's log like its own lines. */
  static final String LOG_TIME_PROPERTY = "cfost.log.time";

  @ParentCommand CfostCommand cfost;
  @Spec CommandSpec spec;

  @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = DEFAULT_LISTEN,
      converter = Addresses.Listen.class,
      description = "Where to accept peers (default: ${DEFAULT-VALUE}; port 0 picks a free port).")
  InetSocketAddress listen;

  @Option(names = "--peer", paramLabel = "HOST:PORT", converter = Addresses.Peer.class,
      description = "A peer to keep connected; it is added to the peer book (source manual). Repeatable.")
  List<PeerAddress> peers = new ArrayList<>();

  @Option(names = "--no-mdns", description = "Neither announce this peer nor discover others on the LAN.")
  boolean noMdns;

  @Mixin CatchUpOption catchUp = new CatchUpOption();

  @Option(names = "--server", paramLabel = "URL",
      description = {"Sync through this sync server too (https://HOST[:PORT]), after 'cfost login --server URL'.",
          "Remembered: a later 'cfost start' uses it again. Repeatable: more URLs of the same server, tried in"
          + " order when one fails."})
  List<URI> servers = new ArrayList<>();

  @Option(names = "--server-trust", paramLabel = "FILE",
      description = "Trust only the certificate(s) in FILE (PEM, or PKCS#12 without password) for the server,"
          + " instead of the JDK's trust store: for a self-signed server. Remembered with --server.")
  Path serverTrust;

  @Option(names = "--daemon",
      description = "Run in the background with output appended to <db>.log; print the pid and exit.")
  boolean daemon;

  @Override
  public Integer call() throws IOException, InterruptedException {
    catchUp.check();
    Path path = cfost.dbPath();
    CfostCommand.requireExists(path);
    if (daemon) {
      return DaemonLauncher.launch(spec.commandLine(), path, childArgs(path));
    }
    // Before anything logs: logback reads the property when it configures itself.
    System.setProperty(LOG_TIME_PROPERTY, "%d{yyyy-MM-dd'T'HH:mm:ss.SSS'Z',UTC} ");
    EventLog log = new EventLog(System.err);
    SyncDaemon running = new SyncDaemon(path, log);
    Thread hook = new Thread(() -> {
      log.line("stopping");
      running.close();
      log.line("stopped");
    }, "cfost-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    PeerAddress at;
    try {
      at = running.start(listen, peers, !noMdns, catchUp, servers, serverTrust);
    } catch (IOException | RuntimeException e) {
      Runtime.getRuntime().removeShutdownHook(hook);
      running.close();
      throw e;
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println("listening on " + at);
    out.flush();
    new CountDownLatch(1).await(); // until a signal: the shutdown hook stops the daemon, then the JVM halts
    return 0;
  }

  /** The same command for the background process: without --daemon, with the database path resolved. */
  private List<String> childArgs(Path path) {
    List<String> args = new ArrayList<>(List.of("--db", path.toString(), "start",
        "--listen", Addresses.text(listen, listen.getPort())));
    for (PeerAddress p : peers) {
      args.add("--peer");
      args.add(p.toString());
    }
    if (noMdns) {
      args.add("--no-mdns");
    }
    for (URI u : servers) {
      args.add("--server");
      args.add(u.toString());
    }
    if (serverTrust != null) {
      args.add("--server-trust");
      args.add(serverTrust.toAbsolutePath().toString());
    }
    args.add("--catch-up-ms");
    args.add(Long.toString(catchUp.millis));
    if (cfost.verbose) {
      args.add("--verbose");
    }
    return args;
  }
}
