package dev.cfost.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.Cfost;
import dev.cfost.CfostException;
import dev.cfost.Change;
import dev.cfost.ChangeBatch;
import dev.cfost.ChangeFilter;
import dev.cfost.Cursor;
import dev.cfost.InvalidChangeException;
import dev.cfost.SealedChanges;
import dev.cfost.net.BatchSealer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ChangeSeals#check}: the seals of a received batch are written by the transaction that merges it,
 * so that they are there exactly when the changes are, and a relay forwards them with their origin's seal.
 */
class SealsKeptWithTheMergeTest {
  @TempDir Path dir;
  final List<Cfost> open = new ArrayList<>();
  Cfost a;
  Cfost b;
  DeviceKeys ka = DeviceKeys.generate();
  DeviceKeys kb = DeviceKeys.generate();
  ChangeSeals sealsA;
  ChangeSeals sealsB;

  @BeforeEach
  void twoDevicesOfOneUser() {
    a = replica("a.db");
    b = replica("b.db");
    String alice = Fixtures.userWithDevice(a, "alice", ka);
    Devices.open(a).add(alice, kb.publicKey(), "b", ka.deviceId());
    Devices.open(a).bindSite(kb.deviceId(), b.siteId());
    sealsA = ChangeSeals.open(a, ka, alice);
    sealsB = ChangeSeals.open(b, kb, alice);
    Fixtures.pull(b, a);
  }

  @AfterEach
  void close() {
    open.forEach(Cfost::close);
  }

  private Cfost replica(String name) {
    Cfost db = Fixtures.open(dir.resolve(name));
    open.add(db);
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT, done INTEGER)");
    } catch (java.sql.SQLException e) {
      throw new AssertionError(e);
    }
    db.replicate("todo");
    return db;
  }

  private void insert(String id) {
    try (Connection c = a.connect(); Statement s = c.createStatement()) {
      s.execute("INSERT INTO todo VALUES ('" + id + "', 'milk', 0)");
    } catch (java.sql.SQLException e) {
      throw new AssertionError(e);
    }
  }

  private static List<Change> todos(Cfost db) {
    return db.changes(Cursor.START, 1000, new ChangeFilter(Set.of("todo"), Map.of(), null)).changes();
  }

  /** Merges {@code batch} into b from a, writing {@code checked}'s seals in the merge's transaction. */
  private void mergeWith(List<Change> changes, BatchSealer.Checked checked) {
    ChangeBatch batch = new ChangeBatch(changes, Cursor.since(changes.get(changes.size() - 1).dbVersion()), true);
    b.mergeFromPeer(a.siteId(), List.of(batch).iterator(), false, (c, x) -> checked.keep().run(c));
  }

  @Test
  void theSealsAreWrittenByTheMergeNotByTheCheck() {
    insert("t1");
    SealedChanges fromA = sealsA.seal(todos(a));

    BatchSealer.Checked checked = sealsB.check(a.siteId(), fromA.changes(), fromA.seals());
    assertThat(checked.changes()).isEqualTo(fromA.changes());
    b.merge(fromA.changes()); // merged without the keep: b cannot prove a's changes to anyone
    assertThat(sealsB.seal(todos(b)).changes()).isEmpty();

    mergeWith(fromA.changes(), checked);

    SealedChanges fromB = sealsB.seal(todos(b));
    assertThat(fromB.changes()).isEqualTo(todos(b));
    assertThat(fromB.seals()).singleElement()
        .satisfies(s -> assertThat(s.deviceId()).isEqualTo(ka.deviceId().toString()));
  }

  @Test
  void aMergeThatIsRefusedKeepsNoSeal() {
    insert("t1");
    SealedChanges fromA = sealsA.seal(todos(a));
    BatchSealer.Checked checked = sealsB.check(a.siteId(), fromA.changes(), fromA.seals());
    Change good = fromA.changes().get(0);
    List<Change> broken = new ArrayList<>(fromA.changes());
    broken.add(new Change("todo", good.pk(), good.cid(), good.val(), good.colVersion(), good.dbVersion(),
        good.siteId(), 0, good.seq())); // cl 0: refused by the merge, after the seals were written in it

    assertThatThrownBy(() -> mergeWith(broken, checked)).isInstanceOf(InvalidChangeException.class);

    b.merge(fromA.changes());
    assertThat(sealsB.seal(todos(b)).changes()).isEmpty(); // the seals rolled back with the merge
  }

  @Test
  void aBatchTheCheckRefusesWritesNothingAndSaysWhy() {
    insert("t1");
    SealedChanges fromA = sealsA.seal(todos(a));
    List<Change> altered = new ArrayList<>(fromA.changes());
    Change first = altered.get(0);
    altered.set(0, new Change(first.table(), first.pk(), first.cid(), "poison", first.colVersion(),
        first.dbVersion(), first.siteId(), first.cl(), first.seq()));

    assertThatThrownBy(() -> sealsB.check(a.siteId(), altered, fromA.seals()))
        .isInstanceOf(SealRefusedException.class).hasMessageContaining("no seal of the batch covers it");
  }

  @Test
  void verifyStillKeepsTheSealsAtOnce() {
    insert("t1");
    SealedChanges fromA = sealsA.seal(todos(a));

    sealsB.verify(a.siteId(), fromA.changes(), fromA.seals());
    b.merge(fromA.changes());

    assertThat(sealsB.seal(todos(b)).seals()).singleElement()
        .satisfies(s -> assertThat(s.deviceId()).isEqualTo(ka.deviceId().toString()));
  }

  @Test
  void aFailingKeepUndoesTheMerge() {
    insert("t1");
    SealedChanges fromA = sealsA.seal(todos(a));
    BatchSealer.Checked checked = sealsB.check(a.siteId(), fromA.changes(), fromA.seals());
    BatchSealer.Checked failing = new BatchSealer.Checked(checked.changes(), c -> {
      checked.keep().run(c);
      throw new java.sql.SQLException("disk full");
    });

    assertThatThrownBy(() -> mergeWith(fromA.changes(), failing)).isInstanceOf(CfostException.class)
        .hasMessageContaining("disk full");

    assertThat(todos(b)).isEmpty();
  }
}
