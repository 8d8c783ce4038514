package dev.cfost.server;

import static dev.cfost.server.TestChanges.cell;
import static dev.cfost.server.TestChanges.pk;
import static dev.cfost.server.TestChanges.seal;
import static dev.cfost.server.TestChanges.sentinel;
import static dev.cfost.server.TestChanges.shape;
import static dev.cfost.server.TestChanges.site;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.InvalidChangeException;
import dev.cfost.Seal;
import dev.cfost.identity.DeviceKeys;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ServerStore} must do: accounts, tokens and devices ({@link ServerStoreAccountsContract}),
 * batches that make rows ({@link ServerStoreBatchContract}), the merge rule, atomicity, idempotence, isolation of users, cursors, paging and the cells of one table. An
 * implementation's test extends this class and opens its store. The property at the end checks the merge
 * against a real cfost-core replica.
 */
public abstract class ServerStoreContract extends ServerStoreBatchContract {
  // ---- the merge rule

  @Test
  void theHigherColVersionWinsAConcurrentEditWhateverTheOrder() {
    Change older = cell("t", "k", "a", "old", 5, 1, 9);
    Change newer = cell("t", "k", "a", "new", 6, 1, 1);
    store.applyBatch("alice", DB, List.of(older, newer), List.of());
    store.applyBatch("alice", "other", List.of(newer, older), List.of());
    assertThat(stream("alice", DB)).containsExactly(shape(newer));
    assertThat(stream("alice", "other")).containsExactly(shape(newer));
  }

  @Test
  void concurrentEditsOfDifferentColumnsBothSurvive() {
    store.applyBatch("alice", DB, List.of(cell("t", "k", "a", 1L, 5, 1, 1)), List.of());
    store.applyBatch("alice", DB, List.of(cell("t", "k", "b", 2L, 5, 1, 2)), List.of());
    assertThat(stream("alice", DB)).containsExactly(shape(cell("t", "k", "a", 1L, 5, 1, 1)),
        shape(cell("t", "k", "b", 2L, 5, 1, 2)));
  }

  @Test
  void equalColVersionsTieByValueThenBySiteWhoseBitsAreKept() {
    // The greater value in cr-sqlite's order: INTEGER > REAL > TEXT > BLOB > NULL.
    store.applyBatch("alice", DB, List.of(cell("t", "k", "a", "zzz", 5, 1, 9), cell("t", "k", "a", 1L, 5, 1, 1)),
        List.of());
    assertThat(stream("alice", DB)).containsExactly(shape(cell("t", "k", "a", 1L, 5, 1, 1)));
    // Equal values (-0.0 and 0.0 compare equal): the greater site's is recorded, with its bits.
    Change minus = cell("t", "z", "a", -0.0, 5, 1, 2);
    Change plus = cell("t", "z", "a", 0.0, 5, 1, 1);
    store.applyBatch("alice", "d1", List.of(minus, plus), List.of());
    store.applyBatch("alice", "d2", List.of(plus, minus), List.of());
    assertThat(stream("alice", "d1")).containsExactly(shape(minus));
    assertThat(stream("alice", "d2")).containsExactly(shape(minus));
  }

  @Test
  void aCellNeverWrittenInThisLifeLosesToColVersionZero() {
    store.applyBatch("alice", DB, List.of(cell("t", "k", "a", 1L, 9, 1, 1)), List.of());
    Change zero = cell("t", "k", "b", "first", 0, 1, 2);
    ApplyResult r = store.applyBatch("alice", DB, List.of(zero), List.of());
    assertThat(r.applied()).isEqualTo(1);
    assertThat(stream("alice", DB)).contains(shape(zero));
    // Then col_version 0 against 0: the value decides.
    store.applyBatch("alice", DB, List.of(cell("t", "k", "b", "abc", 0, 1, 3)), List.of());
    assertThat(stream("alice", DB)).contains(shape(zero)); // "first" > "abc"
  }

  @Test
  void aDeleteBeatsAnEditOfTheSameLife() {
    Change edit = cell("t", "k", "a", "late edit", 99, 1, 9);
    Change delete = sentinel("t", "k", 2, 1);
    store.applyBatch("alice", "d1", List.of(edit, delete), List.of());
    store.applyBatch("alice", "d2", List.of(delete, edit), List.of());
    assertThat(stream("alice", "d1")).containsExactly(shape(delete));
    assertThat(stream("alice", "d2")).containsExactly(shape(delete));
  }

  @Test
  void aResurrectionForgetsTheCellsOfTheOldLife() {
    store.applyBatch("alice", DB, List.of(cell("t", "k", "a", "a1", 5, 1, 1), cell("t", "k", "b", "b1", 5, 1, 1)),
        List.of());
    Change back = sentinel("t", "k", 3, 2);
    Change a3 = cell("t", "k", "a", "a3", 1, 3, 2);
    store.applyBatch("alice", DB, List.of(sentinel("t", "k", 2, 1), back, a3), List.of());
    // b is of the old life: forgotten, as on a device that deleted and re-inserted the row.
    assertThat(stream("alice", DB)).containsExactly(shape(back), shape(a3));
    // A late edit of the old life is ignored.
    assertThat(store.applyBatch("alice", DB, List.of(cell("t", "k", "b", "b2", 99, 1, 9)), List.of()).applied())
        .isZero();
    // A cell of a higher life, alone, starts that life too.
    Change a5 = cell("t", "k", "a", "a5", 1, 5, 1);
    store.applyBatch("alice", DB, List.of(a5), List.of());
    assertThat(stream("alice", DB)).containsExactly(shape(sentinel("t", "k", 5, 1)), shape(a5));
  }

  @Test
  void theSameDeleteFromTwoSitesRecordsTheGreaterSite() {
    store.applyBatch("alice", "d1", List.of(sentinel("t", "k", 2, 1), sentinel("t", "k", 2, 3)), List.of());
    store.applyBatch("alice", "d2", List.of(sentinel("t", "k", 2, 3), sentinel("t", "k", 2, 1)), List.of());
    assertThat(stream("alice", "d1")).containsExactly(shape(sentinel("t", "k", 2, 3)));
    assertThat(stream("alice", "d2")).isEqualTo(stream("alice", "d1"));
  }

  @Test
  void aPlainInsertStreamsItsCellsAndARowWithoutCellsItsSentinel() {
    store.applyBatch("alice", DB, List.of(sentinel("t", "k", 1, 1), cell("t", "k", "a", 1L, 1, 1, 1),
        sentinel("keys_only", "j", 1, 1)), List.of());
    assertThat(stream("alice", DB)).containsExactly(shape(cell("t", "k", "a", 1L, 1, 1, 1)),
        shape(sentinel("keys_only", "j", 1, 1)));
  }

  @Test
  void aBatchMergedTwiceChangesNothingTheSecondTime() {
    List<Change> batch = List.of(cell("t", "k", "a", 1L, 5, 1, 1), sentinel("t", "j", 2, 1),
        cell("t", "k", "b", new byte[] {1, 2}, 5, 1, 1));
    ApplyResult first = store.applyBatch("alice", DB, batch, List.of());
    List<String> before = stream("alice", DB);
    ApplyResult second = store.applyBatch("alice", DB, batch, List.of());
    assertThat(second.applied()).isZero();
    assertThat(second.position()).isEqualTo(first.position());
    assertThat(stream("alice", DB)).isEqualTo(before);
  }

  @Test
  void aBatchWithOneInvalidChangeAppliesNothingAndNamesIt() {
    store.applyBatch("alice", DB, List.of(cell("t", "k", "a", 1L, 5, 1, 1)), List.of());
    List<String> before = stream("alice", DB);
    List<Change> bad = List.of(
        cell("t", "k", "a", 2L, 6, 1, 1),
        new Change("t", pk("k"), "a", 3L, 7, 1, new byte[3], 1, 0));
    assertThatThrownBy(() -> store.applyBatch("alice", DB, bad, List.of()))
        .isInstanceOf(InvalidChangeException.class).hasMessageContaining("change #1").hasMessageContaining("site_id");
    assertThat(stream("alice", DB)).isEqualTo(before);
    assertThat(store.head("alice", DB)).isEqualTo(1);
  }

  @Test
  void malformedChangesAreRefusedWithTheFieldNamed() {
    byte[] s = site(1);
    List<Object[]> cases = List.of(
        new Object[] {new Change(null, pk("k"), "a", 1L, 1, 1, s, 1, 0), "'table' is missing"},
        new Object[] {new Change("t", pk("k"), "", 1L, 1, 1, s, 1, 0), "'cid'"},
        new Object[] {new Change("t", new byte[] {1, 9}, "a", 1L, 1, 1, s, 1, 0), "'pk' of table 't' is malformed"},
        new Object[] {new Change("t", new byte[] {1, 5}, "a", 1L, 1, 1, s, 1, 0), "is NULL"},
        new Object[] {new Change("t", new byte[] {1, 0x11, 0, 5}, "a", 1L, 1, 1, s, 1, 0), "minimal"},
        new Object[] {new Change("t", pk("k"), "a", 1L, 1, 1, s, 0, 0), "'cl'"},
        new Object[] {new Change("t", pk("k"), "a", 1L, 1, 1, s, 1L << 53, 0), "'cl'"},
        new Object[] {new Change("t", pk("k"), "a", 1L, -1, 1, s, 1, 0), "'col_version'"},
        new Object[] {new Change("t", pk("k"), "a", Double.NaN, 1, 1, s, 1, 0), "NaN"},
        new Object[] {new Change("t", pk("k"), "a", 1, 1, 1, s, 1, 0), "unsupported type"},
        new Object[] {new Change("t", pk("k"), "-1", 1L, 1, 1, s, 1, 0), "sentinel"},
        new Object[] {new Change("t", pk("k"), "-1", null, 5, 1, s, 3, 0), "must equal its 'cl'"},
        new Object[] {new Change("t", pk("k"), "a", "\uD800", 1, 1, s, 1, 0), "valid Unicode"});
    for (Object[] c : cases) {
      assertThatThrownBy(() -> store.applyBatch("alice", DB, List.of((Change) c[0]), List.of()))
          .as("%s", c[0]).isInstanceOf(InvalidChangeException.class).hasMessageContaining("change #0")
          .hasMessageContaining((String) c[1]);
    }
    assertThat(store.head("alice", DB)).isZero();
    assertThatThrownBy(() -> store.applyBatch("alice", "no/slash", List.of(), List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("database id 'no/slash'");
    assertThatThrownBy(() -> store.applyBatch("nobody", DB, List.of(), List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no account");
  }

  // ---- users, stream, cursors, seals

  @Test
  void oneUsersCellsAndCursorsAreNeverAnotherUsers() {
    DeviceKeys k = DeviceKeys.generate();
    String device = k.deviceId().toString();
    store.applyBatch("alice", DB, List.of(cell("t", "k", "a", "alice's", 5, 1, 1)), List.of(), device,
        Cursor.START, new Cursor(3, 3, Long.MAX_VALUE));
    store.acknowledge("alice", DB, device, 1);
    assertThat(store.changesAfter("bob", DB, 0, 100).changes()).isEmpty();
    assertThat(store.head("bob", DB)).isZero();
    assertThat(store.databases("bob")).isEmpty();
    assertThat(store.receivedCursor("bob", DB, device)).isEqualTo(Cursor.START);
    assertThat(store.acknowledged("bob", DB, device)).isZero();
    store.applyBatch("bob", DB, List.of(cell("t", "k", "a", "bob's", 1, 1, 2)), List.of());
    assertThat(stream("alice", DB)).containsExactly(shape(cell("t", "k", "a", "alice's", 5, 1, 1)));
    assertThat(stream("bob", DB)).containsExactly(shape(cell("t", "k", "a", "bob's", 1, 1, 2)));
    assertThat(store.databases("alice")).containsExactly(DB);
  }

  @Test
  void theReceivedCursorIsSavedWithItsBatchAndAcknowledgementsPerDevice() {
    String d1 = DeviceKeys.generate().deviceId().toString();
    String d2 = DeviceKeys.generate().deviceId().toString();
    assertThat(store.receivedCursor("alice", DB, d1)).isEqualTo(Cursor.START);
    store.applyBatch("alice", DB, List.of(cell("t", "k", "a", 1L, 5, 1, 1)), List.of(), d1, Cursor.START,
        new Cursor(0, 4, 2));
    assertThat(store.receivedCursor("alice", DB, d1)).isEqualTo(new Cursor(0, 4, 2));
    // A refused batch does not move the cursor either.
    List<Change> bad = List.of(new Change("t", pk("k"), "a", 1L, -5, 1, site(1), 1, 0));
    assertThatThrownBy(() -> store.applyBatch("alice", DB, bad, List.of(), d1, new Cursor(0, 4, 2),
        new Cursor(9, 9, 9)))
        .isInstanceOf(InvalidChangeException.class);
    assertThat(store.receivedCursor("alice", DB, d1)).isEqualTo(new Cursor(0, 4, 2));
    // An empty batch (a device's eose past what it does not send) moves the cursor alone: no position, no wake.
    java.util.concurrent.atomic.AtomicInteger commits = new java.util.concurrent.atomic.AtomicInteger();
    try (var r = store.onCommit((user, db) -> commits.incrementAndGet())) {
      assertThat(store.applyBatch("alice", DB, List.of(), List.of(), d1, new Cursor(0, 4, 2), Cursor.since(9))
          .stored()).isTrue();
    }
    assertThat(store.receivedCursor("alice", DB, d1)).isEqualTo(Cursor.since(9));
    assertThat(store.head("alice", DB)).isEqualTo(1);
    assertThat(commits).hasValue(0);
    assertThat(store.receivedCursor("alice", DB, d2)).isEqualTo(Cursor.START);
    store.acknowledge("alice", DB, d2, 1);
    assertThat(store.acknowledged("alice", DB, d2)).isEqualTo(1);
    assertThat(store.acknowledged("alice", DB, d1)).isZero();
    assertThatThrownBy(() -> store.acknowledge("alice", DB, d2, 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ends at 1");
  }

  @Test
  void changesAfterPagesInPositionOrderAndAMovedEntryComesAgain() {
    List<Change> batch = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      batch.add(cell("t", "k", "c" + i, (long) i, 1, 1, 1));
    }
    // A sentinel first, which the stream leaves out (its row has cells, whose changes carry cl 1).
    assertThat(store.applyBatch("alice", DB, List.of(sentinel("t", "k", 1, 1)), List.of()))
        .extracting(ApplyResult::previous, ApplyResult::position).containsExactly(0L, 1L);
    ApplyResult seven = store.applyBatch("alice", DB, batch, List.of());
    // The positions after 'previous' up to 'position' are the batch's: a session may skip them for its sender.
    assertThat(seven).extracting(ApplyResult::previous, ApplyResult::position).containsExactly(1L, 8L);
    StoredChanges first = store.changesAfter("alice", DB, 0, 3);
    assertThat(first.changes()).extracting(Change::dbVersion).containsExactly(2L, 3L);
    assertThat(first.changes()).extracting(Change::seq).containsOnly(0L);
    assertThat(first.position()).isEqualTo(3);
    assertThat(first.caughtUp()).isFalse();
    // c0 (position 2, already read) changes: it moves to position 9, past the reader.
    assertThat(store.applyBatch("alice", DB, List.of(cell("t", "k", "c0", 100L, 2, 1, 1)), List.of()))
        .extracting(ApplyResult::previous, ApplyResult::position).containsExactly(8L, 9L);
    List<Long> rest = new ArrayList<>();
    long position = first.position();
    StoredChanges page;
    do {
      page = store.changesAfter("alice", DB, position, 3);
      page.changes().forEach(c -> rest.add((Long) c.val()));
      position = page.position();
    } while (!page.caughtUp());
    assertThat(rest).containsExactly(2L, 3L, 4L, 5L, 6L, 100L);
    assertThat(position).isEqualTo(9);
    assertThat(store.changesAfter("alice", DB, 9, 3)).isEqualTo(StoredChanges.none(9, true));
    assertThat(store.changesAfter("alice", "unknown", 0, 3).changes()).isEmpty();
    assertThatThrownBy(() -> store.changesAfter("alice", DB, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.changesAfter("alice", DB, -1, 3)).isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * The seal a page names for a change covers that change as the page gives it back, since the server
   * relays it with that seal alone: -0.0 merges as equal to 0.0, so a sealed -0.0 arriving for an unsealed
   * 0.0 of the same site and version is not "this very change", and its seal must not be attached.
   */
  @Test
  void aSealOverMinusZeroIsNotAttachedToAnUnsealedZero() {
    String device = DeviceKeys.generate().deviceId().toString();
    Change unsealedZero = cell("t", "u", "a", 0.0, 1, 1, 1);
    Change minusZeroSameSite = cell("t", "u", "a", -0.0, 1, 1, 1);
    Change zero = cell("t", "z", "a", 0.0, 1, 1, 1);
    Change minusZero = cell("t", "z", "a", -0.0, 1, 1, 2);
    store.applyBatch("alice", DB, List.of(unsealedZero), List.of());
    store.applyBatch("alice", DB, List.of(minusZeroSameSite), List.of(seal(device, List.of(minusZeroSameSite), 3)));
    store.applyBatch("alice", DB, List.of(zero), List.of(seal(device, List.of(zero), 1)));
    store.applyBatch("alice", DB, List.of(minusZero), List.of(seal(device, List.of(minusZero), 2)));
    StoredChanges page = store.changesAfter("alice", DB, 0, 10);
    assertThat(page.changes()).extracting(Change::val).containsExactly(0.0, -0.0);
    assertThat(page.sealOf().get(0)).as("the unsealed 0.0 keeps no seal").isEqualTo(-1);
    byte[] digest = dev.cfost.identity.ChangeSeals.digest(page.changes().get(1));
    assertThat(page.seals().get(page.sealOf().get(1)).digests()).as("the seal named for -0.0")
        .anySatisfy(d -> assertThat(d).isEqualTo(digest));
  }

  @Test
  void sealsAreKeptWithTheirChangesForwardedOnceAndDroppedWhenSuperseded() {
    String device = DeviceKeys.generate().deviceId().toString();
    Change a = cell("t", "k", "a", 1L, 5, 1, 1);
    Change b = cell("t", "k", "b", 2L, 5, 1, 1);
    Change unsealed = cell("t", "j", "a", 3L, 5, 1, 1);
    Seal seal = seal(device, List.of(a, b), 1);
    store.applyBatch("alice", DB, List.of(a, b, unsealed), List.of(seal));
    StoredChanges page = store.changesAfter("alice", DB, 0, 10);
    assertThat(page.changes()).hasSize(3);
    assertThat(page.seals()).hasSize(1);
    Seal forwarded = page.seals().get(0);
    assertThat(forwarded.deviceId()).isEqualTo(device);
    assertThat(forwarded.signature()).isEqualTo(seal.signature());
    assertThat(forwarded.digests()).containsExactlyElementsOf(seal.digests());
    assertThat(page.sealOf()).as("each change names its seal in the page, the unsealed one none").containsExactly(0, 0, -1);
    // The change arrives again, sealed: the stored one takes the seal.
    Seal late = seal(device, List.of(unsealed), 2);
    store.applyBatch("alice", DB, List.of(unsealed), List.of(late));
    StoredChanges again = store.changesAfter("alice", DB, 0, 10);
    assertThat(again.seals()).extracting(Seal::signature)
        .containsExactlyInAnyOrder(seal.signature(), late.signature());
    for (int i = 0; i < again.changes().size(); i++) {
      byte[] digest = dev.cfost.identity.ChangeSeals.digest(again.changes().get(i));
      assertThat(again.seals().get(again.sealOf().get(i)).digests()).as("the seal named for change " + i)
          .anySatisfy(d -> assertThat(d).isEqualTo(digest));
    }
    // a and b superseded: their seal is no longer forwarded; the new values' seal is.
    Change a2 = cell("t", "k", "a", 9L, 6, 1, 2);
    Change b2 = cell("t", "k", "b", 9L, 6, 1, 2);
    Seal second = seal(device, List.of(a2, b2), 3);
    store.applyBatch("alice", DB, List.of(a2, b2), List.of(second));
    assertThat(store.changesAfter("alice", DB, 0, 10).seals()).extracting(Seal::signature)
        .containsExactlyInAnyOrder(late.signature(), second.signature());
    assertThatThrownBy(() -> store.applyBatch("alice", DB, List.of(a2),
        List.of(new Seal(device, new byte[3], seal.digests()))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("seal #0");
  }

  @Test
  void aBatchIsStoredOnlyIfItContinuesTheCursorTheStoreHoldsForItsDevice() {
    String d1 = DeviceKeys.generate().deviceId().toString();
    String d2 = DeviceKeys.generate().deviceId().toString();
    Cursor first = new Cursor(2, 2, Long.MAX_VALUE);
    ApplyResult stored = store.applyBatch("alice", DB, List.of(cell("t", "k", "a", 1L, 1, 1, 1)), List.of(), d1,
        Cursor.START, first);
    assertThat(stored.stored()).isTrue();
    assertThat(stored.held()).isNull();
    // The same batch again (a duplicate), and one after a lost batch: nothing stored, the held cursor told.
    for (Cursor from : List.of(Cursor.START, new Cursor(5, 5, Long.MAX_VALUE))) {
      ApplyResult refused = store.applyBatch("alice", DB, List.of(cell("t", "k", "b", 2L, 1, 1, 1)), List.of(), d1,
          from, new Cursor(9, 9, Long.MAX_VALUE));
      assertThat(refused.stored()).isFalse();
      assertThat(refused.held()).isEqualTo(first);
      assertThat(refused.applied()).isZero();
      assertThat(refused.position()).isEqualTo(1);
    }
    assertThat(stream("alice", DB)).containsExactly(shape(cell("t", "k", "a", 1L, 1, 1, 1)));
    assertThat(store.receivedCursor("alice", DB, d1)).isEqualTo(first);
    // Another device's cursor, and another user's, are their own; an acknowledgement is not a received cursor.
    store.acknowledge("alice", DB, d2, 1);
    assertThat(store.applyBatch("alice", DB, List.of(), List.of(), d2, first, first).held()).isEqualTo(Cursor.START);
    assertThat(store.applyBatch("alice", DB, List.of(), List.of(), d2, Cursor.START, first).stored()).isTrue();
    assertThat(store.applyBatch("bob", DB, List.of(), List.of(), d1, first, first).held()).isEqualTo(Cursor.START);
    assertThat(store.applyBatch("alice", "unknown", List.of(), List.of(), d1, first, first).held())
        .isEqualTo(Cursor.START);
    assertThatThrownBy(() -> store.applyBatch("alice", DB, List.of(), List.of(), d1, null, first))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("all given or all null");
  }

  @Test
  void ofBatchesRacingFromOneCursorExactlyOneIsStored() throws Exception {
    String device = DeviceKeys.generate().deviceId().toString();
    int racers = 8;
    for (int round = 0; round < 5; round++) {
      Cursor from = store.receivedCursor("alice", DB, device);
      java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(racers);
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(racers);
      List<java.util.concurrent.Future<ApplyResult>> results = new ArrayList<>();
      for (int i = 0; i < racers; i++) {
        long n = round * racers + i + 1;
        results.add(pool.submit(() -> {
          start.await();
          return store.applyBatch("alice", DB, List.of(cell("t", "r" + n, "a", n, 1, 1, 1)), List.of(), device,
              from, new Cursor(n, n, Long.MAX_VALUE));
        }));
      }
      int won = 0;
      for (java.util.concurrent.Future<ApplyResult> f : results) {
        ApplyResult r = f.get(30, java.util.concurrent.TimeUnit.SECONDS);
        if (r.stored()) {
          won++;
        } else {
          assertThat(r.held()).isNotEqualTo(from);
        }
      }
      pool.shutdown();
      assertThat(won).as("batches stored in round %d", round).isEqualTo(1);
      assertThat(all("alice", DB)).as("round %d", round).hasSize(round + 1);
    }
  }

  @Test
  void aPageOfLargeValuesEndsEarlyAndResumes() {
    byte[] big = new byte[3 * 1024 * 1024];
    List<Change> batch = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      batch.add(cell("t", "k", "c" + i, big, 1, 1, 1));
    }
    store.applyBatch("alice", DB, batch, List.of());
    StoredChanges first = store.changesAfter("alice", DB, 0, 100);
    assertThat(first.changes().size()).isBetween(1, 4);
    assertThat(first.caughtUp()).isFalse();
    assertThat(all("alice", DB)).hasSize(5);
  }

  @Test
  void batchesFromManyThreadsAreAllMerged() throws Exception {
    int threads = 4;
    int batches = 8;
    List<Thread> running = new ArrayList<>();
    List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Thread th = new Thread(() -> {
        try {
          for (int b = 0; b < batches; b++) {
            String user = b % 2 == 0 ? "alice" : "bob";
            store.applyBatch(user, DB, List.of(cell("t", "k" + thread, "c" + b, (long) b, 1, 1, 1)), List.of());
          }
        } catch (Throwable e) {
          errors.add(e);
        }
      });
      th.start();
      running.add(th);
    }
    for (Thread th : running) {
      th.join();
    }
    assertThat(errors).isEmpty();
    assertThat(all("alice", DB)).hasSize(threads * batches / 2);
    assertThat(all("bob", DB)).hasSize(threads * batches / 2);
    assertThat(store.head("alice", DB)).isEqualTo(threads * batches / 2);
  }

  // ---- tableCells

  @Test
  void tableCellsAreTheCurrentCellsOfOneTableInKeyOrderWithoutSentinels() {
    Change b = cell("devices", "b", "name", "phone", 1, 1, 1);
    Change aKey = cell("devices", "a", "key", new byte[] {1, 2}, 1, 1, 1);
    Change aName = cell("devices", "a", "name", "laptop", 1, 1, 1);
    store.applyBatch("alice", DB, List.of(sentinel("devices", "b", 1, 1), b, aName, aKey,
        cell("other", "a", "name", "not this table", 1, 1, 1), sentinel("devices", "keys-only", 1, 2)), List.of());
    Change renamed = cell("devices", "a", "name", "work laptop", 2, 1, 2);
    store.applyBatch("alice", DB, List.of(renamed, cell("devices", "a", "name", "stale", 1, 1, 9)), List.of());
    List<Change> cells = store.tableCells("alice", DB, "devices", 100);
    assertThat(cells).extracting(TestChanges::shape)
        .containsExactly(shape(aKey), shape(renamed), shape(b));
    assertThat(cells).extracting(Change::table).containsOnly("devices");
    // Each cell's stream position as db_version: the position changesAfter gives it.
    long renamedAt = store.head("alice", DB);
    assertThat(cells.get(1).dbVersion()).isEqualTo(renamedAt);
    for (Change c : cells) {
      assertThat(all("alice", DB)).filteredOn(s -> s.dbVersion() == c.dbVersion()).extracting(TestChanges::shape)
          .containsExactly(shape(c));
    }
    assertThat(store.tableCells("alice", DB, "devices", 2)).extracting(TestChanges::shape)
        .containsExactly(shape(aKey), shape(renamed));
    assertThat(store.tableCells("alice", DB, "no_such_table", 10)).isEmpty();
  }

  @Test
  void aDeletedRowHasNoCellsAndAResurrectedOneOnlyItsNewLifesCells() {
    store.applyBatch("alice", DB, List.of(cell("devices", "a", "name", "laptop", 1, 1, 1),
        cell("devices", "a", "revoked_at", null, 1, 1, 1), cell("devices", "b", "name", "phone", 1, 1, 1)), List.of());
    store.applyBatch("alice", DB, List.of(sentinel("devices", "a", 2, 1)), List.of());
    assertThat(store.tableCells("alice", DB, "devices", 100)).extracting(TestChanges::shape)
        .containsExactly(shape(cell("devices", "b", "name", "phone", 1, 1, 1)));
    Change back = cell("devices", "a", "name", "laptop again", 1, 3, 2);
    store.applyBatch("alice", DB, List.of(sentinel("devices", "a", 3, 2), back), List.of());
    assertThat(store.tableCells("alice", DB, "devices", 100)).extracting(TestChanges::shape)
        .containsExactly(shape(back), shape(cell("devices", "b", "name", "phone", 1, 1, 1)));
  }

  @Test
  void tableCellsRefuseABadTableOrLimitAndReadAnUnknownDatabaseOrAnotherUsersAsEmpty() {
    store.applyBatch("alice", DB, List.of(cell("devices", "a", "name", "alice's", 1, 1, 1)), List.of());
    assertThat(store.tableCells("alice", "unknown", "devices", 10)).isEmpty();
    assertThat(store.tableCells("bob", DB, "devices", 10)).isEmpty();
    assertThat(store.head("alice", "unknown")).isZero();
    assertThat(store.databases("alice")).containsExactly(DB);
    for (String bad : new String[] {"", null, "t".repeat(129)}) {
      assertThatThrownBy(() -> store.tableCells("alice", DB, bad, 10)).as("table %s", bad)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("table name");
    }
    for (int bad : new int[] {0, -1, ServerStore.MAX_BATCH + 1}) {
      assertThatThrownBy(() -> store.tableCells("alice", DB, "devices", bad)).as("limit %s", bad)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit");
    }
    assertThatThrownBy(() -> store.tableCells("alice", "no/slash", "devices", 10))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("database id 'no/slash'");
    assertThatThrownBy(() -> store.tableCells("nobody", DB, "devices", 10))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no account");
    assertThat(store.tableCells("alice", DB, "devices", ServerStore.MAX_BATCH)).hasSize(1);
  }

  // ---- the server merges like a device

  @Provide
  Arbitrary<List<Change>> changeSets() {
    return ServerStoreConvergence.changeSets();
  }

  @Provide
  Arbitrary<List<Change>> largeChangeSets() {
    return ServerStoreConvergence.largeChangeSets();
  }

  @Provide
  Arbitrary<Long> seeds() {
    return Arbitraries.longs();
  }

  @Property(tries = 40, shrinking = ShrinkingMode.BOUNDED)
  void theStoreHoldsWhatAReplicaMergingTheSameChangesHolds(@ForAll("changeSets") List<Change> changes,
      @ForAll("seeds") long seed) throws Exception {
    holdsWhatAReplicaHolds(changes, seed, 5);
  }

  @Property(tries = 12, shrinking = ShrinkingMode.BOUNDED)
  void theStoreHoldsWhatAReplicaHoldsAfterLargeBatchesOfManyRows(@ForAll("largeChangeSets") List<Change> changes,
      @ForAll("seeds") long seed) throws Exception {
    holdsWhatAReplicaHolds(changes, seed, 300);
  }

  /** A store of its own and a replica get {@code changes} in batches of 1 to {@code maxBatch}; both hold the same. */
  private void holdsWhatAReplicaHolds(List<Change> changes, long seed, int maxBatch) throws Exception {
    Path tmp = ServerStoreConvergence.tempDir();
    try (ServerStore s = openStore(tmp.resolve("store"), new TestChanges.ManualClock())) {
      s.createAccount("alice", "alice", "alice@example.org", HASH);
      ServerStoreConvergence.check(s, tmp, changes, seed, maxBatch);
    } finally {
      ServerStoreConvergence.delete(tmp);
    }
  }
}
