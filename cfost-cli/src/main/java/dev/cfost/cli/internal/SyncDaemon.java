package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import dev.cfost.Values;
import dev.cfost.identity.SyncTrust;
import dev.cfost.net.Peer;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.PeerBook;
import dev.cfost.net.PeerOptions;
import dev.cfost.net.Transports;
import dev.cfost.identity.ServerClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What {@code cfost start} runs: the pid file, the database with its background capture, and a {@link Peer}
 * that listens, announces, and keeps the peer book's addresses connected. The peer book is read again
 * every {@value #BOOK_REFRESH_MILLIS} ms, so that {@code cfost peer add} and {@code remove} take effect
 * while the daemon runs.
 *
 * <p>{@link #start} and {@link #close} are synchronized: the shutdown hook may close a daemon that is
 * still starting, and then waits for the start to finish. The refresh runs on its own thread and only
 * touches {@link #known}.
 */
final class SyncDaemon implements AutoCloseable {
  static final long BOOK_REFRESH_MILLIS = 2_000;

  private final Path path;
  private final EventLog log;
  private PidFile pidFile;
  private Cfost db;
  private Peer peer;
  private Peer serverPeer; // a Peer of its own: see ServerSync
  private ServerSync.StateRecorder serverState;
  private PeerBook book;
  private ScheduledExecutorService refresher;
  private final Map<PeerAddress, String> known = new HashMap<>(); // address -> source; refresher thread only
  private boolean closed;

  SyncDaemon(Path path, EventLog log) {
    this.path = path;
    this.log = log;
  }

  /**
   * Starts syncing.
   *
   * @return the address it listens on, with the port really bound
   * @throws CliException if a daemon already runs for this database, or the address cannot be bound
   * @throws IOException if the pid file or the TLS identity cannot be read or written
   */
  synchronized PeerAddress start(InetSocketAddress listen, List<PeerAddress> peers, boolean mdns, CatchUpOption catchUp)
      throws IOException {
    return start(listen, peers, mdns, catchUp, List.of(), null);
  }

  /**
   * As {@link #start(InetSocketAddress, List, boolean, CatchUpOption)}, also syncing through the sync server
   * at {@code servers} (remembered for later starts), or the remembered one when none is given.
   */
  synchronized PeerAddress start(InetSocketAddress listen, List<PeerAddress> peers, boolean mdns, CatchUpOption catchUp,
      List<URI> servers, Path serverTrust) throws IOException {
    if (closed) {
      throw new CliException("stopped while starting");
    }
    pidFile = PidFile.acquire(path);
    db = CfostCommand.openLive(path);
    SyncTrust trust = CurrentUser.syncTrust(db, path);
    book = PeerBook.of(db);
    for (PeerAddress p : peers) {
      if (book.add(p, "manual")) {
        log.line("peer book: added " + p + " (manual)");
      }
    }
    for (PeerBook.Entry e : book.list()) {
      known.put(e.address(), e.source());
    }
    ReportingTransport transport = new ReportingTransport(Transports.tcp(trust.tlsIdentity(), listen, mdns), log::line);
    PeerOptions.Builder options = trust.applyTo(
        catchUp.applyTo(PeerOptions.builder().transport(transport).discovery(mdns).peerBook(book)));
    peers.forEach(options::peer);
    peer = Peer.create(db, options.build());
    peer.addListener(log);
    List<PeerAddress> at;
    try {
      at = peer.start();
    } catch (IOException e) {
      throw new CliException(e.getMessage(), e); // "cannot listen on HOST:PORT: Address already in use"
    }
    int port = at.isEmpty() ? listen.getPort() : at.get(0).port();
    log.line("started: database " + path + ", database id " + db.databaseId() + ", site " + Values.hex(db.siteId())
        + ", listening on " + Addresses.text(listen, port) + ", mDNS " + (mdns ? "on" : "off")
        + ", " + known.size() + " peers in the peer book");
    if (mdns && listen.getAddress().isLoopbackAddress()) {
      log.line("warning: mDNS announces this machine's LAN address, but the daemon listens on loopback only;"
          + " listen on 0.0.0.0 or turn mDNS off (--no-mdns)");
    }
    startServer(trust, catchUp, servers, serverTrust);
    refresher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "cfost-peer-book");
      t.setDaemon(true);
      return t;
    });
    refresher.scheduleWithFixedDelay(this::refreshBook, BOOK_REFRESH_MILLIS, BOOK_REFRESH_MILLIS, TimeUnit.MILLISECONDS);
    return new PeerAddress(listen.getHostString(), port);
  }

  /** Syncs through the server too, if one is given or remembered; reconnects with backoff like any peer. */
  private void startServer(SyncTrust trust, CatchUpOption catchUp, List<URI> servers, Path serverTrust) throws IOException {
    List<URI> urls = ServerSync.resolve(db, servers, serverTrust);
    if (urls.isEmpty()) {
      return;
    }
    ServerClient client = ServerSync.client(db, urls);
    serverState = new ServerSync.StateRecorder(db);
    ReportingTransport transport = ServerSync.transport(db, client, line -> {
      log.line("server: " + line);
      serverState.failed(line);
    });
    try {
      serverPeer = ServerSync.peer(db, trust, transport, catchUp);
    } catch (IllegalStateException e) {
      transport.close();
      throw new CliException(e.getMessage(), e); // a database without users
    }
    serverPeer.addListener(log);
    serverPeer.addListener(serverState);
    serverPeer.start();
    log.line("syncing through the server " + urls.get(0) + (client.loggedIn() ? ""
        : " (not logged in yet: run 'cfost login --server " + urls.get(0) + "')"));
  }

  /** Connects addresses added to the peer book since the last look, and lets go of removed ones. */
  private void refreshBook() {
    try {
      Map<PeerAddress, String> now = new HashMap<>();
      for (PeerBook.Entry e : book.list()) {
        now.put(e.address(), e.source());
      }
      for (Map.Entry<PeerAddress, String> e : now.entrySet()) {
        if (!known.containsKey(e.getKey())) {
          log.line("peer book: added " + e.getKey() + " (" + e.getValue() + ")");
          peer.addPeer(e.getKey());
        }
      }
      for (PeerAddress gone : known.keySet()) {
        if (!now.containsKey(gone)) {
          log.line("peer book: removed " + gone);
          peer.removePeer(gone);
        }
      }
      known.clear();
      known.putAll(now);
    } catch (RuntimeException e) {
      log.line("error reading the peer book: " + Errors.describe(e));
    }
  }

  /** Stops: the refresh, then the peer (sessions, transports), the database, and last the pid file. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (refresher != null) {
      refresher.shutdownNow();
    }
    if (serverPeer != null) {
      serverPeer.close();
      serverState.stopped();
    }
    if (peer != null) {
      peer.close();
    }
    if (db != null) {
      db.close();
    }
    if (pidFile != null) {
      pidFile.close();
    }
  }
}
