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

  private static PeerOptions.Builder options(MemoryNetwork net, String name) {
    return PeerOptions.builder().transport(Transports.memory(net, name)).discovery(false)
        .backoff(20, 500).keepAlive(500, 5_000);
  }
}
