package dev.cfost.server;

import static dev.cfost.server.TestChanges.cell;
import static dev.cfost.server.TestChanges.seal;
import static dev.cfost.server.TestChanges.sentinel;
import static dev.cfost.server.TestChanges.shape;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Change;
import dev.cfost.Seal;
import dev.cfost.identity.DeviceKeys;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Part of {@link ServerStoreContract}: the stream helpers, and batches that make rows, which a store may keep
 * back until the batch ends (the SQLite store writes them then, many to a statement).
 */
public abstract class ServerStoreBatchContract extends ServerStoreAccountsContract {
  /** The database's whole stream, page by page, as shapes in position order. */
  List<String> stream(String user, String db) {
    List<String> out = new ArrayList<>();
    for (Change c : all(user, db)) {
      out.add(shape(c));
    }
    return out;
  }

  List<Change> all(String user, String db) {
    List<Change> out = new ArrayList<>();
    long position = 0;
    while (true) {
      StoredChanges page = store.changesAfter(user, db, position, 3);
      out.addAll(page.changes());
      position = page.position();
      if (page.caughtUp()) {
        return out;
      }
    }
  }

  /**
   * A store may keep the rows a batch makes back until the batch ends (SQLite does): a batch that makes
   * rows, overwrites their cells, ends and begins their lives, with seals, must leave what the same changes
   * leave one batch each, and what it keeps must read back in the next batch.
   */
  @Test
  void aBatchThatMakesRowsLeavesWhatItsChangesLeaveOneBatchEach() {
    String device = DeviceKeys.generate().deviceId().toString();
    Change a1 = cell("t", "k", "a", 1L, 1, 1, 1);
    Change b1 = cell("t", "k", "b", 2L, 1, 1, 1);
    Change a2 = cell("t", "k", "a", 3L, 2, 1, 2); // overwrites a1: a1's seal still covers b1
    Change j1 = cell("t", "j", "a", 4L, 1, 1, 1); // in no seal
    Change m1 = cell("t", "m", "a", 5L, 1, 1, 1);
    Change mGone = sentinel("t", "m", 2, 1); // ends m's life: m1 goes
    Change mBack = cell("t", "m", "b", 6L, 1, 3, 2); // a third life, begun by a cell
    Change n1 = sentinel("t", "n", 1, 3); // a row made by its sentinel keeps it
    Change n2 = cell("t", "n", "a", 7L, 1, 1, 3);
    List<Change> changes = List.of(a1, b1, a2, j1, m1, mGone, mBack, n1, n2);
    List<Seal> seals = List.of(seal(device, List.of(a1, b1), 1), seal(device, List.of(a2, m1), 2),
        seal(device, List.of(mGone, mBack, n1, n2), 3));
    store.applyBatch("alice", "whole", changes, seals);
    // Read before another database saves the same seals: a seal id freed too early would be taken again.
    List<String> whole = pages("alice", "whole");
    for (Change c : changes) {
      store.applyBatch("alice", "one-by-one", List.of(c), seals);
    }
    assertThat(whole).isEqualTo(pages("alice", "one-by-one"));
    // m's third life has a sentinel made for its cell (unsealed); n's first-life sentinel is not streamed.
    String mLife3 = shape(sentinel("t", "m", 3, 2)) + " unsealed";
    assertThat(pages("alice", "whole")).containsExactly(shape(b1) + " sealed 1", shape(a2) + " sealed 2",
        shape(j1) + " unsealed", mLife3, shape(mBack) + " sealed 3", shape(n2) + " sealed 3");
    // What the first batch kept back is in the tables: the next batch reads and supersedes it.
    Change a3 = cell("t", "k", "a", 8L, 3, 1, 1);
    Change nGone = sentinel("t", "n", 2, 1);
    store.applyBatch("alice", "whole", List.of(a3, nGone), List.of(seal(device, List.of(a3, nGone), 4)));
    assertThat(pages("alice", "whole")).containsExactly(shape(b1) + " sealed 1", shape(j1) + " unsealed", mLife3,
        shape(mBack) + " sealed 3", shape(a3) + " sealed 4", shape(nGone) + " sealed 4");
  }

  /** Many new rows in one batch (more than one multi-row INSERT's worth, in SQLite) all come back, sealed. */
  @Test
  void aBatchOfManyNewRowsIsStoredWhole() {
    String device = DeviceKeys.generate().deviceId().toString();
    List<Change> batch = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      batch.add(cell("t", "row-" + i, "a", (long) i, 1, 1, 1));
      batch.add(cell("t", "row-" + i, "b", "text " + i, 1, 1, 1));
    }
    List<Seal> seals = List.of(seal(device, batch.subList(0, 350), 1), seal(device, batch.subList(350, 600), 2));
    store.applyBatch("alice", DB, batch, seals);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      expected.add(shape(batch.get(i)) + " sealed " + (i < 350 ? 1 : 2));
    }
    assertThat(pages("alice", DB)).containsExactlyElementsOf(expected);
    // And the next batch finds them: an update of each row's first cell.
    List<Change> next = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      next.add(cell("t", "row-" + i, "a", -1L, 2, 1, 1));
    }
    store.applyBatch("alice", DB, next, List.of());
    assertThat(all("alice", DB)).hasSize(600).filteredOn(c -> c.cid().equals("a"))
        .allSatisfy(c -> assertThat(c.val()).isEqualTo(-1L));
  }

  /** The stream's changes with the signature byte of the seal each is forwarded with (see TestChanges.seal). */
  private List<String> pages(String user, String db) {
    List<String> out = new ArrayList<>();
    long position = 0;
    while (true) {
      StoredChanges page = store.changesAfter(user, db, position, 3);
      for (int i = 0; i < page.changes().size(); i++) {
        int seal = page.sealOf().get(i);
        out.add(shape(page.changes().get(i)) + (seal < 0 ? " unsealed" : " sealed " + page.seals().get(seal).signature()[0]));
      }
      position = page.position();
      if (page.caughtUp()) {
        return out;
      }
    }
  }
}
