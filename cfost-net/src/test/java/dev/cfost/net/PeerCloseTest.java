package dev.cfost.net;

import static dev.cfost.net.Nodes.await;
import static dev.cfost.net.Nodes.count;
import static dev.cfost.net.Nodes.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Peer#close} during live sync: when it returns, none of its sessions' threads may still run, so an
 * application that closes its database next never has a session call a closed engine.
 */
class PeerCloseTest {
  @TempDir Path dir;

  @Test
  void closeReturnsOnlyOnceItsSessionsStoppedAndNoneTouchesTheClosedDatabase() throws Exception {
    try (MemoryNetwork net = new MemoryNetwork(11)) {
      net.latency(0, 2);
      for (int round = 0; round < 8; round++) {
        closeDuringSync(net, "close-a" + round, "close-b" + round);
      }
    }
  }

  private void closeDuringSync(MemoryNetwork net, String nameA, String nameB) throws Exception {
    Cfost a = Nodes.replica(dir.resolve(nameA + ".db"));
    Cfost b = Nodes.replica(dir.resolve(nameB + ".db"));
    Peer peerB = Peer.create(b, options(net, nameB).build());
    PeerAddress addrB = peerB.start().get(0);
    List<Throwable> errorsAfterClose = new CopyOnWriteArrayList<>();
    AtomicBoolean closed = new AtomicBoolean();
    Peer peerA = Peer.create(a, options(net, nameA).peer(addrB).maxBatchChanges(5)
        .listenerExecutor(Runnable::run).build()); // direct: errors raised after close are seen too
    peerA.addListener(new PeerListener() {
      @Override
      public void onError(String peerId, Throwable error) {
        if (closed.get()) {
          errorsAfterClose.add(error);
        }
      }
    });
    peerA.start();
    AtomicBoolean writing = new AtomicBoolean(true);
    Thread writer = new Thread(() -> { // both sides write all along: A's merger and sender stay busy
      for (int i = 0; writing.get(); i++) {
        sql(b, "INSERT OR REPLACE INTO todo VALUES ('b" + i % 400 + "', 'v" + i + "', 'bob')");
        synchronized (a) {
          if (i % 4 == 0 && !closed.get()) {
            sql(a, "INSERT OR REPLACE INTO todo VALUES ('a" + i % 100 + "', 'v" + i + "', 'ann')");
          }
        }
      }
    }, "close-test-writer");
    writer.start();
    try {
      await(nameA + " merges " + nameB + "'s rows", 30, () -> count(a) > 60);
      synchronized (a) {
        closed.set(true);
      }
      peerA.close();
      // A's session threads are named after the remote end, B ("cfost-session-close-b0:0-reader").
      List<String> stillRunning = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> t.isAlive() && t.getName().startsWith("cfost-session-" + nameB + ":"))
          .map(Thread::getName).toList();
      a.close();
      Thread.sleep(300); // a session thread that outlived close would now fail on the closed database
      assertThat(stillRunning).as("session threads running after Peer.close() returned").isEmpty();
      assertThat(errorsAfterClose).as("errors reported after Peer.close() returned").isEmpty();
    } finally {
      writing.set(false);
      writer.join();
      peerB.close();
      b.close();
    }
  }

  /**
   * A listener run on the peer's own thread ({@code cfost-peer}, here through a direct executor) that closes
   * the peer when a revocation ends a session: close must still wait for the sessions' threads (a merge is
   * under way), and must not wait for its own thread until the 5 s limit and interrupt what still runs.
   */
  @Test
  void closeCalledOnThePeersOwnThreadStillWaitsForTheSessionsAndNotForItself() throws Exception {
    try (MemoryNetwork net = new MemoryNetwork(12)) {
      Cfost a = Nodes.replica(dir.resolve("self-a.db"));
      Cfost b = Nodes.replica(dir.resolve("self-b.db"));
      Peer peerB = Peer.create(b, options(net, "self-b").build());
      PeerAddress addrB = peerB.start().get(0);
      AtomicBoolean revoked = new AtomicBoolean();
      PeerAuthorizer authorizer = (key, device) -> {
        if (!revoked.get()) {
          return null;
        }
        String thread = Thread.currentThread().getName();
        if (thread.endsWith("-merger")) {
          try {
            Thread.sleep(400); // a slow read inside the merge transaction: the merger is busy when close begins
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return null;
        }
        return thread.equals("cfost-peer") ? "revoked" : null; // only the peer's re-check refuses
      };
      Peer[] peerA = new Peer[1];
      List<String> closedOn = new CopyOnWriteArrayList<>();
      List<String> runningAfterClose = new CopyOnWriteArrayList<>();
      List<Long> closeMillis = new CopyOnWriteArrayList<>();
      peerA[0] = Peer.create(a, options(net, "self-a").peer(addrB).maxBatchChanges(5).authorizer(authorizer)
          .reauthorizeEvery(50).listenerExecutor(Runnable::run).build());
      peerA[0].addListener(new PeerListener() {
        @Override
        public void onDisconnect(String peerId, String reason) {
          // The reader may see the session end first (the peer answers the refusal): only the re-check's counts.
          if (revoked.get() && Thread.currentThread().getName().equals("cfost-peer") && closedOn.isEmpty()) {
            closedOn.add(Thread.currentThread().getName());
            long began = System.nanoTime();
            peerA[0].close();
            closeMillis.add((System.nanoTime() - began) / 1_000_000);
            Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("cfost-session-self-b:"))
                .forEach(t -> runningAfterClose.add(t.getName()));
          }
        }
      });
      peerA[0].start();
      AtomicBoolean writing = new AtomicBoolean(true);
      Thread writer = new Thread(() -> {
        for (int i = 0; writing.get(); i++) {
          sql(b, "INSERT OR REPLACE INTO todo VALUES ('b" + i % 400 + "', 'v" + i + "', 'bob')");
        }
      }, "close-self-writer");
      writer.start();
      try {
        await("self-a merges self-b's rows", 30, () -> count(a) > 60);
        revoked.set(true);
        await("the listener closed self-a", 30, () -> !closeMillis.isEmpty());
        assertThat(closedOn).as("the thread the listener closed the peer on").containsExactly("cfost-peer");
        assertThat(runningAfterClose).as("session threads running after Peer.close() returned").isEmpty();
        assertThat(closeMillis.get(0)).as("ms Peer.close() took: it must not wait for its own thread")
            .isLessThan(5_000); // PeerEngine.STOP_WAIT_MILLIS: past it, close interrupts the threads still running
      } finally {
        writing.set(false);
        writer.join();
        peerA[0].close();
        peerB.close();
        a.close();
        b.close();
      }
    }
  }

  /**
   * A configured peer that accepts TCP but never answers the TLS handshake holds a dialer in a blocking read
   * for up to 5 s (the transport's read timeout): close must end that dial, not wait it out.
   */
  @Test
  void closeEndsADialToAPeerThatNeverAnswersItsHandshake() throws Exception {
    try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      List<java.net.Socket> held = new CopyOnWriteArrayList<>();
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            held.add(silent.accept()); // kept open, never written to
          }
        } catch (java.io.IOException closed) {
          // the test ended
        }
      }, "close-test-silent-peer");
      acceptor.start();
      Cfost a = Nodes.replica(dir.resolve("dial-a.db"));
      Peer peer = Peer.create(a, PeerOptions.builder()
          .transport(Transports.tcp(TlsIdentity.forSyncKey(SyncKey.generate()), null, false)).discovery(false)
          .peer(PeerAddress.parse("127.0.0.1:" + silent.getLocalPort())).build());
      try {
        peer.start();
        await("the dial reached the silent peer", 30, () -> !held.isEmpty());
        long began = System.nanoTime();
        peer.close();
        long tookMillis = (System.nanoTime() - began) / 1_000_000;
        assertThat(tookMillis).as("ms Peer.close() took with a dial in its TLS handshake").isLessThan(2_000);
      } finally {
        peer.close();
        a.close();
        silent.close();
        acceptor.join();
        for (java.net.Socket s : held) {
          s.close();
        }
      }
    }
  }

  private static PeerOptions.Builder options(MemoryNetwork net, String name) {
    return PeerOptions.builder().transport(Transports.memory(net, name)).discovery(false)
        .backoff(20, 500).keepAlive(500, 5_000);
  }
}
