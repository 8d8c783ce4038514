package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.ServerClient;
import dev.cfost.identity.SyncTrust;
import dev.cfost.net.Peer;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.PeerBook;
import dev.cfost.net.PeerListener;
import dev.cfost.net.PeerOptions;
import dev.cfost.net.Topic;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The CLI's use of a sync server: which server a database uses (remembered in {@link LocalSettings}, so
 * that a later {@code cfost start} uses it again), the library's {@link ServerClient} with the login beside
 * the database, the {@link Peer} that syncs through it, and the connection state that the daemon records
 * for {@code cfost status} (another process).
 *
 * <p>The server gets a Peer of its own, beside the LAN one, rather than one Peer with two transports: a
 * Peer has one authorizer and sealer for all its sessions, and the server needs others than devices (it
 * proves no device key, and must get no pairing trust); and a Peer dials each wanted address on each of
 * its transports, which would send LAN addresses to the server and the server's to the LAN. Two Peers on
 * one database are sound: each commit wakes the sessions of both (a merge from the server is sent on to
 * LAN peers and the reverse), and their cursors are kept per remote site.
 */
final class ServerSync {
  static final String URLS = "server_urls";
  static final String TRUST = "server_trust";
  static final String STATE = "server_state";
  static final String ERROR = "server_error";
  /** The server's site id (hex), once a session with it started: {@code cfost status} names it. */
  static final String SITE = "server_site";

  private ServerSync() {}

  /** The server URLs remembered for {@code db} (empty: none). */
  static List<URI> remembered(Cfost db) {
    List<URI> out = new ArrayList<>();
    LocalSettings.get(db, URLS).ifPresent(text -> {
      for (String u : text.split(" ")) {
        if (!u.isBlank()) {
          out.add(URI.create(u));
        }
      }
    });
    return out;
  }

  static Optional<Path> rememberedTrust(Cfost db) {
    return LocalSettings.get(db, TRUST).map(Path::of);
  }

  /** Remembers the server (and its trust file, or none) for later commands. */
  static void remember(Cfost db, List<URI> urls, Path trust) {
    List<String> text = new ArrayList<>();
    urls.forEach(u -> text.add(u.toString()));
    LocalSettings.put(db, URLS, String.join(" ", text));
    LocalSettings.put(db, TRUST, trust == null ? null : trust.toAbsolutePath().toString());
  }

  /**
   * The URLs given on the command line, else the remembered ones; remembers the given ones.
   *
   * @return empty when neither
   */
  static List<URI> resolve(Cfost db, List<URI> given, Path trust) {
    if (!given.isEmpty()) {
      for (URI u : given) {
        try {
          ServerClient.builder(u);
        } catch (IllegalArgumentException e) {
          throw new CliException("--server: " + e.getMessage(), e);
        }
      }
      remember(db, given, trust != null ? trust : rememberedTrust(db).orElse(null));
      return given;
    }
    return remembered(db);
  }

  static ServerClient client(Cfost db, List<URI> urls) {
    ServerClient.Builder b = ServerClient.builder(urls.get(0)).tokenFile(ServerClient.tokenFileOf(db.path()));
    urls.subList(1, urls.size()).forEach(b::server);
    Optional<Path> trust = rememberedTrust(db);
    if (trust.isPresent()) {
      try {
        b.trust(trust.get());
      } catch (IOException e) {
        throw new CliException(e.getMessage() + " (the server's trust file, set with --server-trust)", e);
      }
    }
    return b.build();
  }

  /** The identity user a server binds this database to: a server admits the devices of a user. */
  static String identityUser(Cfost db) {
    return CurrentUser.userOrPending(db).orElseThrow(() -> new CliException("the database " + db.path()
        + " belongs to no user, and a sync server admits the devices of a user: run 'cfost init --user NAME"
        + " --email EMAIL' or pair this device with 'cfost device join CODE' first"));
  }

  /** A Peer syncing {@code db} with the server through {@code transport}; not started. */
  static Peer peer(Cfost db, SyncTrust trust, ReportingTransport transport, CatchUpOption catchUp) {
    Peer peer = Peer.create(db, trust.applyToServer(catchUp.applyTo(
        PeerOptions.builder().transport(transport).discovery(true).acknowledgementsIn(PeerBook.of(db)))).build());
    peer.addListener(new PeerListener() {
      @Override
      public void onConnect(String peerId, String transportName) {
        try {
          LocalSettings.put(db, SITE, peerId.toLowerCase(java.util.Locale.ROOT)); // status names the server by it
        } catch (RuntimeException e) {
          // Status only: a busy database must not stop the sync.
        }
      }
    });
    return peer;
  }

  /** The WebSocket transport to the server, reporting failures to {@code log}. */
  static ReportingTransport transport(Cfost db, ServerClient client, Consumer<String> log) {
    return new ReportingTransport(client.transport(db, DeviceKeys.forDatabase(db), identityUser(db)), log);
  }

  /** The server's address as the transport's peer (for {@link ReportingTransport#failure}). */
  static PeerAddress address(ReportingTransport transport, Cfost db) {
    return transport.lookup(Topic.of(db.databaseId())).get(0);
  }

  /** Records the server connection's state in the database, for {@code cfost status} in another process. */
  static final class StateRecorder implements PeerListener {
    private final Cfost db;

    StateRecorder(Cfost db) {
      this.db = db;
      record("connecting since " + Instant.now(), null);
    }

    void record(String state, String error) {
      try {
        LocalSettings.put(db, STATE, state);
        if (error != null) {
          LocalSettings.put(db, ERROR, Instant.now() + " " + Errors.oneLine(error));
        }
      } catch (RuntimeException e) {
        // Status only: a busy database must not stop the sync.
      }
    }

    @Override
    public void onConnect(String peerId, String transport) {
      record("connected since " + Instant.now() + " (server site " + peerId + ")", null);
    }

    @Override
    public void onDisconnect(String peerId, String reason) {
      record("disconnected since " + Instant.now(), reason);
    }

    @Override
    public void onError(String peerId, Throwable error) {
      record(LocalSettings.get(db, STATE).orElse("disconnected"), Errors.describe(error));
    }

    /** A failed connection attempt (from the transport): not connected, and why. */
    void failed(String line) {
      record("not connected since " + Instant.now(), line);
    }

    /** The daemon stopped. */
    void stopped() {
      record("not connected (the daemon stopped at " + Instant.now() + ")", null);
    }
  }
}
