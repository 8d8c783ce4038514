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
import java.nio.file.Path;
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
 * {@code cfost sync --peer HOST:PORT --once}: one sync with one peer, both ways, then exit. Done when this
 * side received the peer's end of stored events (it has everything the peer had) and the peer acknowledged
 * everything this side had. An interrupted sync resumes from the cursor persisted after each batch.
 */
@Command(name = "sync", mixinStandardHelpOptions = true,
    description = {"Sync with one peer, both ways, until each side has everything the other had; then exit.",
        "Does not listen or use mDNS, and does not add the peer to the peer book.",
        "Interrupted, it resumes where it stopped: what was received is not received again."})
final class SyncCommand implements Callable<Integer> {
  private static final long POLL_MILLIS = 20;

  @ParentCommand CfostCommand cfost;
  @Spec CommandSpec spec;

  @Option(names = "--peer", required = true, paramLabel = "HOST:PORT", converter = Addresses.Peer.class,
      description = "The peer, for example a daemon started with 'cfost start'.")
  PeerAddress address;

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
    Path path = cfost.dbPath();
    OptionalLong daemon = PidFile.running(path);
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
      ReportingTransport transport = new ReportingTransport(
          Transports.tcp(trust.tlsIdentity(), null, false), line -> {
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
        done = await(peer, transport);
      }
    }
    spec.commandLine().getOut().println("received " + done.changesReceived() + " changes, sent "
        + done.changesSent() + " changes");
    return 0;
  }

  private SyncProgress await(Peer peer, ReportingTransport transport) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
    while (true) {
      String refused = transport.failure(address);
      if (refused != null) {
        throw new CliException("cannot connect to " + address + ": " + refused);
      }
      if (error != null) {
        throw new CliException("sync with " + address + " failed: " + error);
      }
      for (SyncProgress p : peer.progress()) {
        if (p.peerId().equals(site) && p.caughtUp() && p.delivered()) {
          return p;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new CliException("sync with " + address + " did not finish within " + timeoutSeconds + " s"
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
