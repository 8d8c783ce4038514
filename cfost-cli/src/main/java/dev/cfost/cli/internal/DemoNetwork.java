package dev.cfost.cli.internal;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.cfost.Cfost;
import dev.cfost.identity.Argon2Params;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.ServerClient;
import dev.cfost.identity.SyncTrust;
import dev.cfost.net.Peer;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.PeerListener;
import dev.cfost.net.PeerOptions;
import dev.cfost.net.Transports;
import dev.cfost.server.CfostServer;
import dev.cfost.server.ServerConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.slf4j.LoggerFactory;

/**
 * The demo's live sync, on the public API as cfost-examples' TodoApp does it: peer to peer over TLS on
 * loopback, and a sync server on loopback in this process. Everything it starts it closes.
 */
final class DemoNetwork implements AutoCloseable {
  /**
   * Cheap Argon2id for the demo's throwaway user and server, so that the demo stays fast on a small
   * machine; real accounts keep {@link Argon2Params#DEFAULT}.
   */
  static final Argon2Params CHEAP_ARGON2 = new Argon2Params(1024, 1, 1);
  private static final long WAIT_NANOS = 45_000_000_000L;

  private final List<AutoCloseable> open = new ArrayList<>();
  private final AtomicReference<String> lastError = new AtomicReference<>();
  private CfostServer server;

  /** Starts a peer session between the two devices; returns once both listen or dial. */
  List<Peer> peerToPeer(Cfost laptop, SyncTrust laptopTrust, Cfost phone, SyncTrust phoneTrust) throws IOException {
    Peer laptopLan = track(Peer.create(laptop, laptopTrust.applyTo(PeerOptions.builder()
        .transport(Transports.tcp(laptopTrust.tlsIdentity(), new InetSocketAddress("127.0.0.1", 0), false))
        .discovery(false)).build()));
    PeerAddress at = laptopLan.start().get(0);
    Peer phoneLan = track(Peer.create(phone, phoneTrust.applyTo(PeerOptions.builder()
        .transport(Transports.tcp(phoneTrust.tlsIdentity(), null, false)).discovery(false).peer(at)).build()));
    phoneLan.start();
    return List.of(laptopLan, phoneLan);
  }

  /** A sync server on 127.0.0.1 and a free port, its data under {@code dataDir}. */
  URI startServer(Path dataDir) throws IOException {
    quietServerLog();
    server = CfostServer.start(ServerConfig.builder().listen("127.0.0.1:0").dataDir(dataDir)
        .argon2(CHEAP_ARGON2).build());
    return URI.create("http://127.0.0.1:" + server.port());
  }

  /** A device's session with the server, which is the transport's one peer. */
  Peer viaServer(Cfost db, SyncTrust trust, DeviceKeys keys, String user, ServerClient client) throws IOException {
    Peer peer = track(Peer.create(db, trust.applyToServer(PeerOptions.builder()
        .transport(client.transport(db, keys, user)).discovery(true).discoveryInterval(200)).build()));
    peer.addListener(new PeerListener() {
      @Override
      public void onError(String peerId, Throwable error) {
        lastError.set(error.getMessage()); // retried; shown only if the wait gives up
      }
    });
    peer.start();
    return peer;
  }

  /** Waits until {@code done}, or fails naming what did not happen and the last sync error. */
  void await(String what, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT_NANOS;
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        String error = lastError.get();
        throw new CliException("demo gave up after 45 s waiting until " + what
            + (error == null ? "" : " (last sync error: " + error + ")"));
      }
      Thread.sleep(50);
    }
  }

  /** Closes the peers, newest first, and then the server. */
  @Override
  public void close() throws Exception {
    Exception first = null;
    for (int i = open.size() - 1; i >= 0; i--) {
      try {
        open.get(i).close();
      } catch (Exception e) {
        first = first == null ? e : first;
      }
    }
    open.clear();
    if (server != null) {
      server.close();
      server = null;
    }
    if (first != null) {
      throw first;
    }
  }

  /** The server's INFO lines (started, registered) would interleave with the demo's own; warnings still show. */
  private static void quietServerLog() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.getLogger("dev.cfost.server").setLevel(Level.WARN);
    }
  }

  private Peer track(Peer peer) {
    open.add(peer);
    return peer;
  }
}
