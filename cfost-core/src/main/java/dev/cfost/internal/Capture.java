package dev.cfost.internal;

import static dev.cfost.internal.Sql.id;

import dev.cfost.Values;
import java.nio.ByteBuffer;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/**
 * Folds the triggers' write log into per-cell clocks.
 *
 * <p>The triggers only append (op, changed-column mask, key) to a rowid log, which keeps the
 * application's write path cheap; this class later stamps those writes with a db_version and
 * hybrid-clock col_versions. It reads the log sorted by key and folds {@value #CHUNK} keys at a time,
 * so memory stays bounded however large the application's transaction was, and deletes what it folded
 * in the same transaction, so a crash leaves either the log or its clocks, never both or neither.
 *
 * <p>Per touched key, from the ops in the chunk and whether the row exists now:
 * <ul>
 *   <li>exists, alive, no delete seen: the cells in the masks (all, for an insert) get new versions;
 *   <li>exists, alive, deleted and re-inserted: causal length + 2, all cells new;
 *   <li>exists, deleted or never seen: causal length + 1 (created or resurrected), all cells new;
 *   <li>gone, alive: causal length + 1 (deleted);
 *   <li>gone, deleted or never seen: nothing to record.
 * </ul>
 * A new col_version is {@code max(old + 1, hlc)}: the later edit wins across devices.
 */
final class Capture {
  static final int CHUNK = 10_000;

  private Capture() {}

  /** Folds all pending log rows of {@code spec}; returns how many log rows it consumed. */
  static long run(WriteTx tx, TableSpec spec) throws SQLException {
    long consumed = 0;
    long last = -1;
    int masks = spec.maskCount();
    // Key order, not log order: a large transaction's rows then meet the clock table and the base table's
    // key index page by page instead of at random (measured: docs/BENCHMARKS.md, F14). SQLite's sorter
    // keeps the memory bounded; a key's log rows come together, in log order.
    StringBuilder order = new StringBuilder();
    for (int k = 0; k < spec.keyCount(); k++) {
      order.append('k').append(k).append(", ");
    }
    String select = "SELECT seq, op, " + maskList(masks) + ", " + spec.keyList("k") + " FROM " + id(spec.log)
        + " ORDER BY " + order + "seq";
    try (PreparedStatement read = tx.c.prepareStatement(select); ResultSet rs = read.executeQuery()) {
      Map<ByteBuffer, Pending> pending = new java.util.TreeMap<>(Merger.KEY_ORDER);
      List<Object> previous = null;
      while (rs.next()) {
        consumed++;
        last = Math.max(last, rs.getLong(1));
        int op = rs.getInt(2);
        List<Object> key = ClockStore.readKey(rs, 3 + masks, spec.keyCount());
        // A chunk ends only between keys SQLite sorts as different, so no key spans two chunks (1 and
        // 1.0 are different keys in a column without affinity, yet sort as equal).
        if (pending.size() >= CHUNK && !maybeEqual(previous, key)) {
          foldAll(tx, spec, pending);
        }
        previous = key;
        ByteBuffer k = ByteBuffer.wrap(PackedKey.pack(key));
        Pending p = pending.computeIfAbsent(k, x -> new Pending(key, masks));
        if (op == 3) {
          p.sawDelete = true;
        } else if (op == 1) {
          p.all = true;
        } else {
          for (int m = 0; m < masks; m++) {
            p.masks[m] |= rs.getLong(3 + m);
          }
        }
      }
      foldAll(tx, spec, pending);
    }
    if (consumed > 0) {
      try (PreparedStatement delete = tx.c.prepareStatement("DELETE FROM " + id(spec.log) + " WHERE seq <= ?")) {
        delete.setLong(1, last);
        delete.executeUpdate();
      }
    }
    return consumed;
  }

  private static void foldAll(WriteTx tx, TableSpec spec, Map<ByteBuffer, Pending> pending) throws SQLException {
    if (pending.isEmpty()) {
      return;
    }
    // Only now: a table's store prepares its statements, which an empty log (most tables, most times) never needs.
    ClockStore store = tx.store(spec);
    List<List<Object>> keys = new java.util.ArrayList<>(pending.size());
    for (Pending p : pending.values()) {
      keys.add(p.key);
    }
    Map<Object, ClockRow> loaded = store.loadMany(keys);
    for (Pending p : pending.values()) {
      fold(tx, spec, store, p, loaded);
    }
    store.flush(); // the keys of the next chunk are others
    pending.clear();
  }

  /** Whether SQLite might sort two keys as equal: numbers compare by value across INTEGER and REAL. */
  private static boolean maybeEqual(List<Object> a, List<Object> b) {
    if (a == null) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      Object x = a.get(i);
      Object y = b.get(i);
      boolean same = x instanceof Number n && y instanceof Number m
          ? n.doubleValue() == m.doubleValue() : Values.equal(x, y);
      if (!same) {
        return false;
      }
    }
    return true;
  }

  private static String maskList(int masks) {
    StringBuilder sb = new StringBuilder();
    for (int m = 0; m < masks; m++) {
      sb.append(m == 0 ? "" : ", ").append('m').append(m);
    }
    return sb.toString();
  }

  private static void fold(WriteTx tx, TableSpec spec, ClockStore store, Pending p, Map<Object, ClockRow> loaded)
      throws SQLException {
    boolean exists = store.baseRowExists(p.key);
    Object lookup = loaded.isEmpty() ? null : store.lookupKey(p.key);
    ClockRow row = lookup != null && loaded.containsKey(lookup) ? loaded.get(lookup) : store.load(p.key);
    long cl = row == null ? 0 : row.cl;
    boolean alive = (cl & 1) == 1;
    if (!exists && !alive) {
      return;
    }
    if (row == null) {
      row = new ClockRow(p.key, spec.columns.size());
    }
    long dbv = tx.dbVersion();
    long stamp = tx.localStamp();
    boolean allCells;
    if (!exists) {
      row.cl = cl + 1;
      row.resetCells();
      row.stampSentinel(row.cl, dbv, 0, tx.nextSeq());
      store.storeLater(row);
      tx.changed(spec.name, p.key, true);
      return;
    } else if (!alive) {
      row.cl = cl + 1;
      allCells = true;
    } else if (p.sawDelete) {
      row.cl = cl + 2;
      allCells = true;
    } else {
      allCells = p.all;
    }
    if (row.cl != cl) {
      row.resetCells();
      row.stampSentinel(row.cl, dbv, 0, tx.nextSeq());
    }
    boolean any = row.cl != cl;
    for (int i = 0; i < spec.columns.size(); i++) {
      if (spec.live(i)
          && (allCells || (p.masks[i / TableSpec.MASK_BITS] & (1L << (i % TableSpec.MASK_BITS))) != 0)) {
        row.stampCell(i, Math.max(row.v[i] + 1, stamp), dbv, 0, tx.nextSeq());
        any = true;
      }
    }
    if (any) {
      store.storeLater(row);
      tx.changed(spec.name, p.key, false);
    }
  }

  /** The net effect of one chunk's log rows on one key. */
  private static final class Pending {
    final List<Object> key;
    final long[] masks;
    boolean all;
    boolean sawDelete;

    Pending(List<Object> key, int masks) {
      this.key = key;
      this.masks = new long[masks];
    }
  }
}
