package dev.cfost.net;

import dev.cfost.Change;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The merge rule as docs/ARCHITECTURE.md ("The merge rule") and {@code Cfost}'s Javadoc state it, written
 * again for the simulation from the changes' metadata alone, without calling the engine: the state every
 * replica must reach once it has received the same changes.
 *
 * <p>Per row, the causal length {@code cl} decides first: a lower one is ignored; a higher one starts a
 * new life of the row (odd: it exists, even: deleted) in which no cell has been written yet. Within the
 * same odd life, a cell not written in it takes any change; otherwise the higher {@code col_version}
 * wins, then the greater value (INTEGER > REAL > TEXT > BLOB > NULL, numbers by value, text and blobs by
 * unsigned bytes), then the greater site id (unsigned bytes). A row that exists shows the cells written
 * in its life and NULL (every simulated column's default) for the others.
 *
 * <p>Thread-safe: the simulation's thread feeds it, the checks read it.
 */
final class MergeModel {
  private final Map<String, Row> rows = new HashMap<>();
  private long applied;

  private static final class Row {
    final String id;
    long cl;
    final Map<String, Cell> cells = new HashMap<>();

    Row(String id) {
      this.id = id;
    }
  }

  private record Cell(long colVersion, Object value, byte[] site) {}

  /** Folds one change into the model; idempotent, and the order of changes does not matter. */
  synchronized void apply(Change c) {
    applied++;
    Row row = rows.computeIfAbsent(c.table() + "/" + Arrays.toString(c.pk()), k -> new Row(textKey(c.pk())));
    if (c.cl() < row.cl) {
      return;
    }
    if (c.cl() > row.cl) {
      row.cl = c.cl();
      row.cells.clear();
      if (c.isSentinel() || c.cl() % 2 == 0) {
        return;
      }
    } else if (c.isSentinel() || c.cl() % 2 == 0) {
      return; // the same life again: nothing visible changes
    }
    Cell mine = row.cells.get(c.cid());
    Cell theirs = new Cell(c.colVersion(), c.val(), c.siteId());
    if (mine == null || wins(theirs, mine)) {
      row.cells.put(c.cid(), theirs);
    }
  }

  private static boolean wins(Cell a, Cell b) {
    if (a.colVersion != b.colVersion) {
      return a.colVersion > b.colVersion;
    }
    int byValue = compareValues(a.value, b.value);
    if (byValue != 0) {
      return byValue > 0;
    }
    return Arrays.compareUnsigned(a.site, b.site) > 0;
  }

  static int compareValues(Object a, Object b) {
    int ra = rank(a);
    int rb = rank(b);
    if (ra != rb) {
      return Integer.compare(ra, rb);
    }
    if (a instanceof Long x) {
      return Long.compare(x, (Long) b);
    }
    if (a instanceof Double x) {
      return Double.compare(x, (Double) b);
    }
    if (a instanceof String x) {
      return Arrays.compareUnsigned(x.getBytes(StandardCharsets.UTF_8), ((String) b).getBytes(StandardCharsets.UTF_8));
    }
    if (a instanceof byte[] x) {
      return Arrays.compareUnsigned(x, (byte[]) b);
    }
    return 0; // both NULL
  }

  private static int rank(Object v) {
    if (v == null) {
      return 0;
    }
    if (v instanceof byte[]) {
      return 1;
    }
    if (v instanceof String) {
      return 2;
    }
    if (v instanceof Double) {
      return 3;
    }
    if (v instanceof Long) {
      return 4;
    }
    throw new AssertionError("not a SQLite value: " + v.getClass());
  }

  /** How many changes were folded in. */
  synchronized long applied() {
    return applied;
  }

  /**
   * The rows that exist, by id, each as {@code id|type:value|...} over {@code columns}: the form of
   * {@link NetworkSimulation}'s table dumps.
   */
  synchronized Map<String, String> expected(List<String> columns) {
    Map<String, String> out = new TreeMap<>();
    for (Row row : rows.values()) {
      if (row.cl % 2 == 1) {
        StringBuilder line = new StringBuilder(row.id);
        for (String column : columns) {
          Cell cell = row.cells.get(column);
          line.append('|').append(typed(cell == null ? null : cell.value));
        }
        out.put(row.id, line.toString());
      }
    }
    return out;
  }

  /** A value as {@code sqlite-type:value}, the form the dumps use. */
  static String typed(Object v) {
    if (v == null) {
      return "null:";
    }
    if (v instanceof Long) {
      return "integer:" + v;
    }
    if (v instanceof Double) {
      return "real:" + v;
    }
    if (v instanceof String) {
      return "text:" + v;
    }
    return "blob:" + Arrays.toString((byte[]) v);
  }

  /**
   * Reads a packed key of one TEXT column (cr-sqlite's encoding: the column count, a header byte
   * {@code (n << 3) | 3}, the length in {@code n} big-endian bytes, the UTF-8 bytes).
   */
  static String textKey(byte[] pk) {
    if (pk.length < 2 || pk[0] != 1 || (pk[1] & 7) != 3) {
      throw new AssertionError("not a packed single TEXT key: " + Arrays.toString(pk));
    }
    int n = (pk[1] & 0xff) >>> 3;
    int length = 0;
    for (int i = 0; i < n; i++) {
      length = (length << 8) | (pk[2 + i] & 0xff);
    }
    if (2 + n + length != pk.length) {
      throw new AssertionError("packed key length does not add up: " + Arrays.toString(pk));
    }
    return new String(pk, 2 + n, length, StandardCharsets.UTF_8);
  }
}
