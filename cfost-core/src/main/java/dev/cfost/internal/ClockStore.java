package dev.cfost.internal;

import static dev.cfost.internal.Sql.id;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes {@link ClockRow}s and checks base-row existence for one table, on one connection,
 * with prepared statements kept for the life of a transaction.
 *
 * <p>Not thread-safe: owned by the write transaction that made it.
 */
final class ClockStore implements AutoCloseable {
  /** Keys per {@code k0 IN (...)} query of {@link #loadMany}. */
  static final int MANY = 256;
  /** Below this many keys {@link #loadMany} leaves the lookups to {@link #load}. */
  static final int FEW = 16;

  final TableSpec spec;
  private final Affinity firstKeyAffinity;
  private final Connection c;
  private final PreparedStatement load;
  private PreparedStatement loadMany;
  private final BatchedInsert later;
  private final PreparedStatement exists;

  ClockStore(Connection c, TableSpec spec) throws SQLException {
    this.spec = spec;
    this.firstKeyAffinity = spec.keyAffinities.get(0);
    this.c = c;
    int n = spec.columns.size();
    String cells = cellList();
    this.load = c.prepareStatement("SELECT cl, cl_v, cl_d, cl_s, cl_q, db, rq" + cells + " FROM "
        + id(spec.clock) + " WHERE " + spec.clockKeyMatch());
    this.later = new BatchedInsert(c, "INSERT OR REPLACE INTO " + id(spec.clock) + "(" + spec.keyList("k")
        + ", cl, cl_v, cl_d, cl_s, cl_q, db, rq" + cells + ")", spec.keyCount() + 7 + 4 * n);
    this.exists = c.prepareStatement("SELECT 1 FROM " + id(spec.name) + " WHERE " + spec.baseKeyMatch());
  }

  /** The row's clocks, or null if the row was never seen. */
  ClockRow load(List<Object> key) throws SQLException {
    bindKey(load, key);
    try (ResultSet rs = load.executeQuery()) {
      return rs.next() ? read(rs, key, 1) : null;
    }
  }

  /**
   * Loads the clock rows of many keys with one {@code k0 IN (...)} query per {@value #MANY} keys instead
   * of one query per key (measured -22% merge time, docs/BENCHMARKS.md, F11). Returns, by
   * {@link #lookupKey}, the row of every key it looked up, or null where the row has no clocks; a key
   * missing from the result was not looked up and needs {@link #load}.
   *
   * <p>Only one-column keys whose value SQLite stores unchanged in the key column are looked up here:
   * a row read back is matched to its key by the stored value, so a value the column's affinity
   * converts (a number bound to a TEXT key, say) would never match and must go one by one.
   */
  Map<Object, ClockRow> loadMany(Collection<List<Object>> keys) throws SQLException {
    Map<Object, ClockRow> out = new HashMap<>(keys.size() * 2);
    if (spec.keyCount() != 1 || keys.size() < FEW) {
      return out; // a live merge of a few rows: point lookups beat preparing a 256-key statement
    }
    List<Object> batch = new ArrayList<>(MANY);
    for (List<Object> key : keys) {
      if (firstKeyAffinity.storesUnchanged(key.get(0))) {
        out.put(lookupKey(key), null);
        batch.add(key.get(0));
        if (batch.size() == MANY) {
          loadBatch(batch, out);
          batch.clear();
        }
      }
    }
    if (!batch.isEmpty()) {
      loadBatch(batch, out);
    }
    return out;
  }

  /**
   * A one-column key as a map key: its canonical value ({@link Affinity#canonical}: a key as stored and
   * the same key as received must meet), a blob wrapped so that equal bytes are equal keys.
   */
  Object lookupKey(List<Object> key) {
    Object v = firstKeyAffinity.canonicalOrSame(key.get(0));
    return v instanceof byte[] b ? ByteBuffer.wrap(b) : v;
  }

  private void loadBatch(List<Object> values, Map<Object, ClockRow> out) throws SQLException {
    if (loadMany == null) {
      StringBuilder marks = new StringBuilder();
      for (int i = 0; i < MANY; i++) {
        marks.append(i == 0 ? "?" : ", ?");
      }
      loadMany = c.prepareStatement(selectAll() + " WHERE k0 IN (" + marks + ")");
    }
    for (int i = 0; i < MANY; i++) {
      // A short last batch repeats its last key: duplicates in an IN list match nothing more.
      Sql.bind(loadMany, i + 1, values.get(Math.min(i, values.size() - 1)));
    }
    try (ResultSet rs = loadMany.executeQuery()) {
      while (rs.next()) {
        List<Object> key = readKey(rs, 1, 1);
        out.put(lookupKey(key), read(rs, key, 2));
      }
    }
  }

  private String cellList() {
    StringBuilder cells = new StringBuilder();
    for (int i = 1; i <= spec.columns.size(); i++) {
      cells.append(", v").append(i).append(", d").append(i).append(", s").append(i).append(", q").append(i);
    }
    return cells.toString();
  }

  private String selectAll() {
    return "SELECT k0, cl, cl_v, cl_d, cl_s, cl_q, db, rq" + cellList() + " FROM " + id(spec.clock);
  }

  /** Reads a clock row whose {@code cl} is column {@code first}. */
  private ClockRow read(ResultSet rs, List<Object> key, int first) throws SQLException {
    int n = spec.columns.size();
    ClockRow r = new ClockRow(key, n);
    int p = first;
    r.cl = rs.getLong(p++);
    r.clV = rs.getLong(p++);
    r.clD = rs.getLong(p++);
    r.clS = rs.getLong(p++);
    r.clQ = rs.getLong(p++);
    r.db = rs.getLong(p++);
    r.rq = rs.getLong(p++);
    for (int i = 0; i < n; i++) {
      r.v[i] = rs.getLong(p++);
      r.d[i] = rs.getLong(p++);
      r.s[i] = rs.getLong(p++);
      r.q[i] = rs.getLong(p++);
    }
    return r;
  }

  /** Writes a row's clocks now (and any held by {@link #storeLater}). */
  void store(ClockRow r) throws SQLException {
    storeLater(r);
    flush();
  }


  /**
   * Like {@link #store}, written at the latest by {@link #flush}: the caller must flush before this
   * row's clocks are read again.
   */
  void storeLater(ClockRow r) throws SQLException {
    Object[] row = new Object[r.key.size() + 7 + 4 * r.v.length];
    int p = 0;
    for (Object k : r.key) {
      row[p++] = k;
    }
    row[p++] = r.cl;
    row[p++] = r.clV;
    row[p++] = r.clD;
    row[p++] = r.clS;
    row[p++] = r.clQ;
    row[p++] = r.db;
    row[p++] = r.rq;
    for (int i = 0; i < r.v.length; i++) {
      row[p++] = r.v[i];
      row[p++] = r.d[i];
      row[p++] = r.s[i];
      row[p++] = r.q[i];
    }
    later.add(row);
  }

  void flush() throws SQLException {
    later.flush();
  }

  /** Forgets the rows held by {@link #storeLater} (their transaction rolled back to a savepoint). */
  void discard() {
    later.discard();
  }

  boolean baseRowExists(List<Object> key) throws SQLException {
    bindKey(exists, key);
    try (ResultSet rs = exists.executeQuery()) {
      return rs.next();
    }
  }

  private static void bindKey(PreparedStatement ps, List<Object> key) throws SQLException {
    for (int k = 0; k < key.size(); k++) {
      Sql.bind(ps, k + 1, key.get(k));
    }
  }

  static List<Object> readKey(ResultSet rs, int first, int count) throws SQLException {
    List<Object> key = new ArrayList<>(count);
    for (int k = 0; k < count; k++) {
      key.add(Sql.read(rs, first + k));
    }
    return key;
  }

  @Override
  public void close() throws SQLException {
    load.close();
    if (loadMany != null) {
      loadMany.close();
    }
    later.close();
    exists.close();
  }
}
