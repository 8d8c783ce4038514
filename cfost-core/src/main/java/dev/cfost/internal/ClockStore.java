package dev.cfost.internal;

import static dev.cfost.internal.Sql.id;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes {@link ClockRow}s and checks base-row existence for one table, on one connection,
 * with prepared statements kept for the life of a transaction.
 *
 * <p>Not thread-safe: owned by the write transaction that made it.
 */
final class ClockStore implements AutoCloseable {
  final TableSpec spec;
  private final PreparedStatement load;
  private final PreparedStatement store;
  private final PreparedStatement exists;

  ClockStore(Connection c, TableSpec spec) throws SQLException {
    this.spec = spec;
    int n = spec.columns.size();
    StringBuilder cells = new StringBuilder();
    for (int i = 1; i <= n; i++) {
      cells.append(", v").append(i).append(", d").append(i).append(", s").append(i).append(", q").append(i);
    }
    this.load = c.prepareStatement("SELECT cl, cl_v, cl_d, cl_s, cl_q, db, rq" + cells + " FROM "
        + id(spec.clock) + " WHERE " + spec.clockKeyMatch());
    StringBuilder marks = new StringBuilder();
    for (int i = 0; i < spec.keyCount() + 7 + 4 * n; i++) {
      marks.append(i == 0 ? "?" : ", ?");
    }
    this.store = c.prepareStatement("INSERT OR REPLACE INTO " + id(spec.clock) + "(" + spec.keyList("k")
        + ", cl, cl_v, cl_d, cl_s, cl_q, db, rq" + cells + ") VALUES (" + marks + ")");
    this.exists = c.prepareStatement("SELECT 1 FROM " + id(spec.name) + " WHERE " + spec.baseKeyMatch());
  }

  /** The row's clocks, or null if the row was never seen. */
  ClockRow load(List<Object> key) throws SQLException {
    bindKey(load, key);
    try (ResultSet rs = load.executeQuery()) {
      if (!rs.next()) {
        return null;
      }
      int n = spec.columns.size();
      ClockRow r = new ClockRow(key, n);
      r.cl = rs.getLong(1);
      r.clV = rs.getLong(2);
      r.clD = rs.getLong(3);
      r.clS = rs.getLong(4);
      r.clQ = rs.getLong(5);
      r.db = rs.getLong(6);
      r.rq = rs.getLong(7);
      for (int i = 0; i < n; i++) {
        r.v[i] = rs.getLong(8 + 4 * i);
        r.d[i] = rs.getLong(9 + 4 * i);
        r.s[i] = rs.getLong(10 + 4 * i);
        r.q[i] = rs.getLong(11 + 4 * i);
      }
      return r;
    }
  }

  void store(ClockRow r) throws SQLException {
    int p = 1;
    for (Object k : r.key) {
      Sql.bind(store, p++, k);
    }
    for (long x : new long[] {r.cl, r.clV, r.clD, r.clS, r.clQ, r.db, r.rq}) {
      store.setLong(p++, x);
    }
    for (int i = 0; i < r.v.length; i++) {
      store.setLong(p++, r.v[i]);
      store.setLong(p++, r.d[i]);
      store.setLong(p++, r.s[i]);
      store.setLong(p++, r.q[i]);
    }
    store.executeUpdate();
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
    store.close();
    exists.close();
  }
}
