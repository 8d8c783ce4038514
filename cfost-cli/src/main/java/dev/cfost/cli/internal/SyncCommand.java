package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import dev.cfost.identity.SyncTrust;
import dev.cfost.net.Peer;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.PeerListener;
import dev.cfost.net.PeerOptions;
import dev.cfost.net.SyncProgress;
import dev.cfost.net.Transports;
import java.io.IOException;
import dev.cfost.identity.ServerClient;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cfost sync --peer HOST:PORT --once} (or {@code --server URL}): one sync with one peer or a sync
 * server, both ways, then exit. Done when this
 * side received the peer's end of stored events (it has everything the peer had) and the peer acknowledged
 * everything this side had. An interrupted sync resumes from the cursor persisted after each batch.
 */
@Command(name = "sync", mixinStandardHelpOptions = true,
    footer = "  cfost --db phone.db sync --peer laptop.local:7947 --once",
    description = {"Sync with one peer (--peer) or a sync server (--server), both ways, until each side has",
        "everything the other had; then exit.",
        "Does not listen or use mDNS, and does not add the peer to the peer book.",
        "Interrupted, it resumes where it stopped: what was received is not received again."})
final class SyncCommand implements Callable<Integer> {
  private static final long POLL_MILLIS = 20;

  @ParentCommand CfostCommand cfost;
  @Spec CommandSpec spec;

  @Option(names = "--peer", paramLabel = "HOST:PORT", converter = Addresses.Peer.class,
      description = "The peer, for example a daemon started with 'cfost start'.")
  PeerAddress address;

  @Option(names = "--server", paramLabel = "URL",
      description = {"Sync with this sync server instead of a peer (after 'cfost login --server URL');"
          + " remembered for 'cfost start'. Repeatable: more URLs of the same server, tried in order."})
  List<URI> servers = new ArrayList<>();

  @Option(names = "--server-trust", paramLabel = "FILE",
      description = "Trust only the certificate(s) in FILE (PEM, or PKCS#12 without password) for the server.")
  Path serverTrust;

  @Option(names = "--json", description = "Print one JSON object: the changes received and sent.")
  boolean json;

  @Option(names = "--once", required = true,
      description = "Stop when both sides are up to date (required; 'cfost start --peer' syncs continuously).")
  boolean once;

  @Mixin CatchUpOption catchUp = new CatchUpOption();

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
      description = "Give up after this many seconds (default: ${DEFAULT-VALUE}).")
  long timeoutSeconds;

  /** What the listener saw; written on the listener thread, read by the command's thread. */
  private volatile String site;
  private volatile String error;
  private volatile String lastDisconnect;

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (timeoutSeconds < 1) {
      throw new ParameterException(spec.commandLine(), "--timeout must be at least 1 second: " + timeoutSeconds);
    }
    catchUp.check();
    if ((address == null) == servers.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "give either --peer HOST:PORT or --server URL");
    }
    Path path = cfost.dbPath();
    OptionalLong daemon = PidFile.running(path);
    if (daemon.isPresent() && address == null) {
      throw new CliException("the daemon (pid " + daemon.getAsLong() + ") syncs this database already; restart it"
          + " with --server to sync through the server, or stop it first");
    }
    if (daemon.isPresent()) {
      // Two engines merging into one file at once is not supported; the daemon can do this sync.
      throw new CliException("the daemon (pid " + daemon.getAsLong() + ") syncs this database already; add the"
          + " peer with 'cfost peer add " + address + "' or stop the daemon first");
    }
    SyncProgress done;
    try (Cfost db = cfost.open(false)) {
      db.capture(); // what other processes wrote is sent too
      EventLog events = cfost.verbose ? new EventLog(System.err) : null;
      SyncTrust trust = CurrentUser.syncTrust(db, path);
      if (address == null) {
        done = viaServer(db, trust, events);
      } else {
        done = withPeer(trust, events, db);
      }
    }
    spec.commandLine().getOut().println(json
        ? "{\"received\":" + done.changesReceived() + ",\"sent\":" + done.changesSent() + "}"
        : "received " + done.changesReceived() + " changes, sent " + done.changesSent() + " changes");
    return 0;
  }

  private SyncProgress viaServer(Cfost db, SyncTrust trust, EventLog events) throws IOException, InterruptedException {
    List<URI> urls = ServerSync.resolve(db, servers, serverTrust);
    ServerClient client = ServerSync.client(db, urls);
    if (!client.loggedIn()) {
      throw new CliException("not logged in to the sync server " + urls.get(0) + ": run 'cfost login --server "
          + urls.get(0) + "' first");
    }
    ReportingTransport transport = ServerSync.transport(db, client, line -> {
      if (events != null) {
        events.line(line);
      }
    });
    address = ServerSync.address(transport, db);
    Peer peer;
    try {
      peer = ServerSync.peer(db, trust, transport, catchUp);
    } catch (IllegalStateException e) {
      transport.close();
      throw new CliException(e.getMessage(), e);
    }
    try (peer) {
      if (events != null) {
        peer.addListener(events);
      }
      peer.addListener(new Watch());
      peer.start();
      return await(peer, transport, "the sync server " + urls.get(0));
    }
  }

  private SyncProgress withPeer(SyncTrust trust, EventLog events, Cfost db) throws IOException, InterruptedException {
    ReportingTransport transport = new ReportingTransport(Transports.tcp(trust.tlsIdentity(), null, false), line -> {
      if (events != null) {
        events.line(line);
      }
    });
    try (Peer peer = Peer.create(db, trust.applyTo(
        catchUp.applyTo(PeerOptions.builder().transport(transport).discovery(false).peer(address))).build())) {
      if (events != null) {
        peer.addListener(events);
      }
      peer.addListener(new Watch());
      peer.start();
      return await(peer, transport, address.toString());
    }
  }

  private SyncProgress await(Peer peer, ReportingTransport transport, String what) throws InterruptedException {
    try (Progress progress = Progress.of("sync", "rows", json, spec.commandLine().getErr())) {
      SyncProgress done = await(peer, transport, what, progress);
      progress.finish();
      return done;
    }
  }

  private SyncProgress await(Peer peer, ReportingTransport transport, String what, Progress progress)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
    // The most rows the peer said were still to come: the size of the catch-up, as far as it is known.
    long toCome = 0;
    while (true) {
      String refused = transport.failure(address);
      if (refused != null) {
        throw new CliException("cannot connect to " + what + ": " + refused);
      }
      if (error != null) {
        throw new CliException("sync with " + what + " failed: " + error);
      }
      for (SyncProgress p : peer.progress()) {
        if (!p.peerId().equals(site)) {
          continue;
        }
        if (p.rowsToReceive() > toCome) {
          toCome = p.rowsToReceive();
          progress.total(toCome);
        }
        progress.done(p.caughtUp() ? toCome : toCome - Math.max(0, p.rowsToReceive()));
        if (p.caughtUp() && p.delivered()) {
          return p;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new CliException("sync with " + what + " did not finish within " + timeoutSeconds + " s"
            + (lastDisconnect != null ? "; last disconnect: " + lastDisconnect
                : site == null ? "; no session was established" : ""));
      }
      Thread.sleep(POLL_MILLIS);
    }
  }

  private final class Watch implements PeerListener {
    @Override
    public void onConnect(String peerId, String transport) {
      site = peerId;
    }

    @Override
    public void onDisconnect(String peerId, String reason) {
      lastDisconnect = reason;
    }

    @Override
    public void onError(String peerId, Throwable e) {
      error = Errors.describe(e);
    }
  }
}
