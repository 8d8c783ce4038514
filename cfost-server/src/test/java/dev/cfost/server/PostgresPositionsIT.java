package dev.cfost.server;

import static dev.cfost.server.TestChanges.cell;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Change;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Positions with several writers (docs/ARCHITECTURE.md): processes writing one database at once never make
 * a reader that resumes after the highest position it has seen skip a change committed later with a lower
 * position. Each writer is a store of its own (its own pool, as another process would be); the reader, a
 * fifth store, reads a page at a time and resumes from the last position it saw, like a device that
 * reconnects between the writers' commits.
 */
class PostgresPositionsIT {
  static final String HASH = ServerStoreContract.HASH;

  @Test
  void aReaderResumingFromTheHighestPositionSeenSkipsNoChangeOfConcurrentWriters() throws Exception {
    String url = TestPostgres.freshDatabase();
    int writers = 4;
    int batches = 40;
    List<ServerStore> stores = new ArrayList<>();
    for (int i = 0; i < writers + 1; i++) {
      stores.add(ServerStore.openPostgres(url, null, null, 2, Clock.systemUTC()));
    }
    try {
      stores.get(0).createAccount("alice", "alice", "alice@example.org", HASH);
      CountDownLatch go = new CountDownLatch(1);
      List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
      List<Thread> threads = new ArrayList<>();
      AtomicBoolean writing = new AtomicBoolean(true);
      for (int w = 0; w < writers; w++) {
        ServerStore s = stores.get(w);
        int writer = w;
        Thread t = new Thread(() -> {
          try {
            go.await();
            for (int b = 0; b < batches; b++) {
              List<Change> batch = new ArrayList<>();
              for (int i = 0; i <= b % 7; i++) { // batches of 1 to 7 changes, so commits take unequal time
                batch.add(cell("t", "w" + writer + "-b" + b, "c" + i, (long) b, 1, 1, writer + 1));
              }
              s.applyBatch("alice", "shared", batch, List.of());
            }
          } catch (Throwable e) {
            errors.add(e);
          }
        });
        t.start();
        threads.add(t);
      }
      ServerStore reader = stores.get(writers);
      Set<String> seen = new HashSet<>();
      long position = 0;
      int reads = 0;
      go.countDown();
      Thread watcher = new Thread(() -> {
        for (Thread t : threads) {
          try {
            t.join();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        writing.set(false);
      });
      watcher.start();
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
      while (true) {
        boolean done = !writing.get();
        // A device's session: one small page, then it goes away and comes back after what it saw.
        StoredChanges page = reader.changesAfter("alice", "shared", position, 3);
        for (Change c : page.changes()) {
          assertThat(c.dbVersion()).isGreaterThan(position);
          seen.add(c.table() + "/" + dev.cfost.Values.hex(c.pk()) + "/" + c.cid());
        }
        long before = position;
        position = page.position();
        reads++;
        if (done && (page.caughtUp() || position == before)) {
          break; // nothing after the position once the last commit was in
        }
        assertThat(System.nanoTime()).as("the reader is still reading after 60 s").isLessThan(deadline);
      }
      watcher.join();
      assertThat(errors).isEmpty();
      // Every change the writers made, and what the store holds now, was seen by the reader.
      Set<String> all = new HashSet<>();
      for (Change c : stores.get(0).changesAfter("alice", "shared", 0, ServerStore.MAX_BATCH).changes()) {
        all.add(c.table() + "/" + dev.cfost.Values.hex(c.pk()) + "/" + c.cid());
      }
      int expected = 0;
      for (int b = 0; b < batches; b++) {
        expected += writers * (b % 7 + 1);
      }
      System.out.printf("the reader read %d pages and saw %d of %d changes%n", reads, seen.size(), all.size());
      assertThat(all).hasSize(expected);
      assertThat(seen).isEqualTo(all);
      assertThat(reads).isGreaterThan(batches); // it read while the writers wrote
      assertThat(stores.get(0).head("alice", "shared")).isEqualTo(expected);
    } finally {
      for (ServerStore s : stores) {
        s.close();
      }
    }
  }
}
