package dev.cfost;

import static dev.cfost.TestDb.dump;
import static dev.cfost.TestDb.open;
import static dev.cfost.TestDb.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Cfost#mergeFromPeer}: the changes of many batches and the peer's cursor, all or nothing. */
class MergeFromPeerTest {
  @TempDir Path dir;
  Cfost source;
  Cfost target;

  @BeforeEach
  void open2() {
    source = open(dir.resolve("source.db"));
    target = open(dir.resolve("target.db"));
    for (Cfost db : new Cfost[] {source, target}) {
      sql(db, "CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT)");
      db.replicate("todo");
    }
    for (int i = 0; i < 30; i++) {
      sql(source, "INSERT INTO todo VALUES ('t" + i + "', 'title " + i + "')");
    }
    source.capture();
  }

  @AfterEach
  void close() {
    source.close();
    target.close();
  }

  private List<ChangeBatch> batches() {
    List<ChangeBatch> out = new ArrayList<>();
    Cursor c = Cursor.START;
    while (true) {
      ChangeBatch b = source.changes(c, 7);
      out.add(b);
      c = b.next();
      if (b.caughtUp()) {
        return out;
      }
    }
  }

  @Test
  void mergesEveryBatchAndSavesTheLastCursor() {
    List<ChangeBatch> batches = batches();
    assertThat(batches).hasSizeGreaterThan(3);

    MergeResult r = target.mergeFromPeer(source.siteId(), batches.iterator(), false);

    assertThat(r.received()).isEqualTo(batches.stream().mapToInt(b -> b.changes().size()).sum());
    assertThat(dump(target, "todo")).isEqualTo(dump(source, "todo"));
    assertThat(target.peerCursor(source.siteId())).isEqualTo(batches.get(batches.size() - 1).next());
  }

  @Test
  void aBadChangeInALaterBatchUndoesTheEarlierBatchesAndTheCursor() {
    List<ChangeBatch> batches = batches();
    ChangeBatch last = batches.get(batches.size() - 1);
    Change good = last.changes().get(0);
    // Malformed: a peer's unknown table would be kept aside (cfost_deferred), not refused.
    Change bad = new Change("nope", good.pk(), good.cid(), good.val(), good.colVersion(), good.dbVersion(),
        good.siteId(), 0, good.seq());
    batches.set(batches.size() - 1, new ChangeBatch(List.of(bad), last.next(), true));

    assertThatThrownBy(() -> target.mergeFromPeer(source.siteId(), batches.iterator(), false))
        .isInstanceOf(InvalidChangeException.class).hasMessageContaining("field 'cl' must be >= 1");

    assertThat(dump(target, "todo")).isEmpty();
    assertThat(target.peerCursor(source.siteId())).isEqualTo(Cursor.START);
  }

  /** A sync peer's sender skips a merge that holds only what the peer sent; it must see one that holds more. */
  @Test
  void aMergeTellsWhetherItsCommitHoldsWritesTheBatchDidNotBring() {
    List<ChangeBatch> batches = batches();
    MergeResult alone = target.mergeFromPeer(source.siteId(), batches.subList(0, 2).iterator(), false);
    assertThat(alone.applied()).isPositive();
    assertThat(alone.otherWrites()).as("a merge of the batch alone").isFalse();

    // Written with plain SQL and not captured yet: the merge's transaction captures it, in its own db_version.
    sql(target, "INSERT INTO todo VALUES ('local', 'written here')");
    MergeResult withLocal = target.mergeFromPeer(source.siteId(), batches.subList(2, 3).iterator(), false);
    assertThat(withLocal.applied()).isPositive();
    assertThat(withLocal.otherWrites()).as("a merge whose commit captured a local write").isTrue();
    assertThat(target.changes(Cursor.since(withLocal.dbVersion() - 1), 1000).changes())
        .as("the local write shares the merge's db_version").anyMatch(c -> java.util.Arrays.equals(c.siteId(), target.siteId()));
  }

  /** A column renamed with plain SQL: the merge's transaction streams its cells again, which the peer needs. */
  @Test
  void aMergeThatStreamsARenamedColumnAgainHasOtherWrites() {
    List<ChangeBatch> batches = batches();
    target.mergeFromPeer(source.siteId(), batches.subList(0, 2).iterator(), false);
    sql(target, "ALTER TABLE todo RENAME COLUMN title TO name");
    MergeResult after = target.mergeFromPeer(source.siteId(), batches.subList(2, 3).iterator(), false);
    assertThat(after.otherWrites()).as("a merge whose transaction streamed the renamed column again").isTrue();
    assertThat(target.changes(Cursor.since(after.dbVersion() - 1), 1000).changes())
        .as("the renamed cells, at the merge's db_version").anyMatch(c -> c.cid().equals("name"));
  }

  @Test
  void emptyBatchesStillMoveTheCursor() {
    Cursor end = source.changes(Cursor.START, 1000).next();
    target.mergeFromPeer(source.siteId(), List.of(new ChangeBatch(List.of(), end, true)).iterator(), false);
    assertThat(target.peerCursor(source.siteId())).isEqualTo(end);
  }

  @Test
  void theDatabaseIdIsReadWhileAMergeIsInProgress() throws Exception {
    target.setDatabaseId("shared-db");
    CountDownLatch merging = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<ChangeBatch> batches = batches();
    // The merge waits inside its transaction for its next batch, as a session catching up does.
    Iterator<ChangeBatch> slow = new Iterator<>() {
      int next;

      @Override
      public boolean hasNext() {
        if (next == 1) {
          merging.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        return next < batches.size();
      }

      @Override
      public ChangeBatch next() {
        return batches.get(next++);
      }
    };
    // Two threads: the merge, and the read that must not wait for it.
    ExecutorService executor = Executors.newFixedThreadPool(2);
    try {
      var merge = executor.submit(() -> target.mergeFromPeer(source.siteId(), slow, false));
      assertThat(merging.await(10, TimeUnit.SECONDS)).isTrue();

      // A seal check reads it on a session's reader thread while the merger's transaction is open.
      Future<String> id = executor.submit(target::databaseId);
      assertThat(id.get(5, TimeUnit.SECONDS)).isEqualTo("shared-db");

      release.countDown();
      merge.get(30, TimeUnit.SECONDS);
      assertThat(dump(target, "todo")).isEqualTo(dump(source, "todo"));
    } finally {
      release.countDown();
      executor.shutdownNow();
    }
  }
}
