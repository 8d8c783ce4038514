package dev.cfost.internal;

import static dev.cfost.internal.Sql.id;

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
 * hybrid-clock col_versions. It reads the log in chunks of {@value #CHUNK} rows, so memory stays
 * bounded however large the application's transaction was, and deletes what it folded in the same
 * transaction, so a crash leaves either the log or its clocks, never both or neither.
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
    int masks = spec.maskCount();
    String select = "SELECT seq, op, " + maskList(masks) + ", " + spec.keyList("k") + " FROM " + id(spec.log)
        + " ORDER BY seq LIMIT " + CHUNK;
    try (PreparedStatement read = tx.c.prepareStatement(select);
        PreparedStatement delete = tx.c.prepareStatement("DELETE FROM " + id(spec.log) + " WHERE seq <= ?")) {
      while (true) {
        Map<ByteBuffer, Pending> pending = new java.util.TreeMap<>(Merger.KEY_ORDER); // key order: see Merger
        long last = -1;
        int rows = 0;
        try (ResultSet rs = read.executeQuery()) {
          while (rs.next()) {
            rows++;
            last = rs.getLong(1);
            int op = rs.getInt(2);
            List<Object> key = ClockStore.readKey(rs, 3 + masks, spec.keyCount());
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
        }
        if (rows == 0) {
          return consumed;
        }
        for (Pending p : pending.values()) {
          fold(tx, spec, p);
        }
        delete.setLong(1, last);
        delete.executeUpdate();
        consumed += rows;
        if (rows < CHUNK) {
          return consumed;
        }
      }
    }
  }

  private static String maskList(int masks) {
    StringBuilder sb = new StringBuilder();
    for (int m = 0; m < masks; m++) {
      sb.append(m == 0 ? "" : ", ").append('m').append(m);
    }
    return sb.toString();
  }

  private static void fold(WriteTx tx, TableSpec spec, Pending p) throws SQLException {
    ClockStore store = tx.store(spec);
    boolean exists = store.baseRowExists(p.key);
    ClockRow row = store.load(p.key);
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
      store.store(row);
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
      if (allCells || (p.masks[i / TableSpec.MASK_BITS] & (1L << (i % TableSpec.MASK_BITS))) != 0) {
        row.stampCell(i, Math.max(row.v[i] + 1, stamp), dbv, 0, tx.nextSeq());
        any = true;
      }
    }
    if (any) {
      store.store(row);
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
