package dev.cfost.internal;

import static dev.cfost.internal.Sql.id;

import dev.cfost.Change;
import dev.cfost.ChangeBatch;
import dev.cfost.ChangeFilter;
import dev.cfost.Cursor;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Reads one bounded batch of the change stream inside the caller's transaction.
 *
 * <p>Rows are streamed in the order of their latest change, ({@code db}, {@code rq}), merged across
 * tables; each row yields its sentinel (for a delete or resurrection, or a key-only table) and the cells
 * changed after {@code cursor.complete()}. Only the rows of one batch are held in memory.
 */
final class ChangeReader {
  private ChangeReader() {}

  static ChangeBatch read(WriteTx tx, Collection<TableSpec> specs, Cursor cursor, int maxChanges, ChangeFilter filter)
      throws SQLException {
    filter = SchemaDefinitions.readerFilter(filter);
    List<Stream> streams = new ArrayList<>();
    PriorityQueue<Stream> heads = new PriorityQueue<>(
        Comparator.<Stream>comparingLong(s -> s.db).thenComparingLong(s -> s.rq));
    try {
      for (TableSpec spec : specs) {
        if (!filter.includes(spec.name)) {
          continue;
        }
        Stream s = new Stream(tx, spec, cursor, filter);
        streams.add(s);
        if (s.advance()) {
          heads.add(s);
        }
      }
      List<Change> out = new ArrayList<>();
      long exclude = excludedOrdinal(tx, filter);
      long lastDb = cursor.db();
      long lastRq = cursor.seq();
      while (!heads.isEmpty() && out.size() < maxChanges) {
        Stream s = heads.poll();
        s.emit(tx, cursor.complete(), out, exclude);
        lastDb = s.db;
        lastRq = s.rq;
        if (s.advance()) {
          heads.add(s);
        }
      }
      if (heads.isEmpty()) {
        // Rows this transaction captured carry its db_version, which is recorded only at its commit.
        long version = Math.max(cursor.complete(), tx.wroteChanges() ? tx.dbVersion()
            : EngineSchema.meta(tx.c, "db_version"));
        return new ChangeBatch(out, Cursor.since(version), true);
      }
      return new ChangeBatch(out, new Cursor(cursor.complete(), lastDb, lastRq), false);
    } finally {
      for (Stream s : streams) {
        s.close();
      }
    }
  }

  /** The rows of the included tables changed after {@code cursor}: an index count per table. */
  static long rowsAfter(java.sql.Connection c, Collection<TableSpec> specs, Cursor cursor, ChangeFilter filter)
      throws SQLException {
    long n = 0;
    for (TableSpec spec : specs) {
      if (filter.includes(spec.name)) {
        n += Sql.queryLong(c, "SELECT count(*) FROM " + id(spec.clock) + " WHERE (db, rq) > (?, ?)", cursor.db(),
            cursor.seq());
      }
    }
    return n;
  }

  /** The ordinal of the excluded site, or -1 if none (or if this replica never saw that site). */
  private static long excludedOrdinal(WriteTx tx, ChangeFilter filter) {
    return filter.excludeSite() == null ? -1 : tx.sites.find(filter.excludeSite());
  }

  /** One table's rows after the cursor, in position order. */
  private static final class Stream implements AutoCloseable {
    final TableSpec spec;
    final PreparedStatement ps;
    final ResultSet rs;
    final int cellBase;
    final int valueBase;
    long db;
    long rq;

    Stream(WriteTx tx, TableSpec spec, Cursor cursor, ChangeFilter filter) throws SQLException {
      this.spec = spec;
      int n = spec.columns.size();
      int keys = spec.keyCount();
      StringBuilder sql = new StringBuilder("SELECT ");
      for (int k = 0; k < keys; k++) {
        sql.append("c.k").append(k).append(", ");
      }
      sql.append("c.cl, c.cl_v, c.cl_d, c.cl_s, c.cl_q, c.db, c.rq");
      for (int i = 1; i <= n; i++) {
        sql.append(", c.v").append(i).append(", c.d").append(i).append(", c.s").append(i).append(", c.q").append(i);
      }
      for (int i = 0; i < n; i++) {
        sql.append(", ").append(spec.selectColumn("b.", i));
      }
      sql.append(" FROM ").append(id(spec.clock)).append(" c LEFT JOIN ").append(id(spec.name)).append(" b ON ");
      for (int k = 0; k < keys; k++) {
        sql.append(k == 0 ? "" : " AND ").append("b.").append(id(spec.keyColumns.get(k))).append(" = c.k").append(k);
      }
      sql.append(" WHERE (c.db, c.rq) > (?, ?)"); // a row value seeks the (db, rq) index directly
      String predicate = filter.rowFilters().get(spec.name);
      if (predicate != null) {
        // A subquery keeps the predicate's column names from meeting the clock table's.
        sql.append(" AND (c.cl % 2 = 0 OR (").append(spec.keyList("c.k")).append(") IN (SELECT ")
            .append(spec.rowKeys("f")).append(" FROM ").append(id(spec.name)).append(" f WHERE ").append(predicate)
            .append("))");
      }
      sql.append(" ORDER BY c.db, c.rq");
      this.cellBase = keys + 8;
      this.valueBase = cellBase + 4 * n;
      this.ps = tx.c.prepareStatement(sql.toString());
      ps.setLong(1, cursor.db());
      ps.setLong(2, cursor.seq());
      this.rs = ps.executeQuery();
    }

    boolean advance() throws SQLException {
      if (!rs.next()) {
        return false;
      }
      db = rs.getLong(spec.keyCount() + 6);
      rq = rs.getLong(spec.keyCount() + 7);
      return true;
    }

    void emit(WriteTx tx, long complete, List<Change> out, long exclude) throws SQLException {
      int keys = spec.keyCount();
      byte[] pk = PackedKey.pack(ClockStore.readKey(rs, 1, keys));
      long cl = rs.getLong(keys + 1);
      long clD = rs.getLong(keys + 3);
      boolean alive = (cl & 1) == 1;
      List<Change> cells = new ArrayList<>();
      boolean cellAfter = false; // a live cell changed after the cursor, for this receiver or not
      for (int i = 0; alive && i < spec.columns.size(); i++) {
        int at = cellBase + 4 * i;
        long d = rs.getLong(at + 1);
        if (d > complete && spec.live(i)) {
          cellAfter = true;
          if (rs.getLong(at + 2) != exclude) {
            cells.add(new Change(spec.name, pk, spec.columns.get(i), Sql.read(rs, valueBase + i), rs.getLong(at), d,
                tx.sites.id(rs.getLong(at + 2)), cl, rs.getLong(at + 3)));
          }
        }
      }
      // A row's first life is implied by its cells, so its sentinel is left out, unless no live cell
      // changed after the cursor: a row whose cells are all gone (renamed or dropped columns) or were
      // never written (columns added since) would otherwise not exist for the receiver.
      if (clD > complete && rs.getLong(keys + 4) != exclude && (!alive || cl > 1 || !cellAfter)) {
        out.add(new Change(spec.name, pk, Change.SENTINEL, null, cl, clD,
            tx.sites.id(rs.getLong(keys + 4)), cl, rs.getLong(keys + 5)));
      }
      if (!alive) {
        return;
      }
      cells.sort(Comparator.comparingLong(Change::dbVersion).thenComparingLong(Change::seq));
      out.addAll(cells);
    }

    @Override
    public void close() throws SQLException {
      rs.close();
      ps.close();
    }
  }
}
