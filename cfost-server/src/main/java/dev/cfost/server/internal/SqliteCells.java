package dev.cfost.server.internal;

import dev.cfost.Change;
import dev.cfost.Seal;
import dev.cfost.internal.BatchedInsert;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@link CellTables} over a user's SQLite file ({@link UserFile}). A row the batch makes is kept here
 * with its entries and written at the end of the batch ({@link #pruneSeals}), many rows to a statement: an
 * initial sync makes a row per change or two, and a statement per row and entry cost more than the
 * B-tree work itself. Every other write is made at once.
 */
final class SqliteCells implements CellTables, AutoCloseable {
  /** Keys to a look-ahead statement; a batch is looked up ahead when it has more than LOOK_AHEAD_MIN rows. */
  static final int LOOK_AHEAD = 64;
  static final int LOOK_AHEAD_MIN = 8;
  private final Connection c;
  private final long db;
  /** Rows this batch made, by id, with their entries: in no table until {@link #flush}. */
  private final Map<Long, NewRow> made = new LinkedHashMap<>();
  private final Map<CellMerge.RowKey, Long> madeIds = new HashMap<>();
  /**
   * The batch's rows looked up ahead ({@link #prepare}), by key: the stored row, or null for none. Each is
   * handed out once ({@link #row}); a key asked again is looked up alone.
   */
  private final Map<CellMerge.RowKey, StoredRow> looked = new HashMap<>();
  /** The next row id to give, once read (the file's writer is this transaction's connection alone). */
  private long nextId = -1;
  private final PreparedStatement selectRow;
  private final PreparedStatement updateRowCl;
  private final PreparedStatement rowSeals;
  private final PreparedStatement deleteCells;
  private final PreparedStatement selectCell;
  private final PreparedStatement upsertCell;
  private final PreparedStatement setSeal;

  SqliteCells(Connection c, long db) throws SQLException {
    this.c = c;
    this.db = db;
    selectRow = c.prepareStatement("SELECT id, cl FROM rows WHERE db = ? AND tbl = ? AND pk = ?");
    updateRowCl = c.prepareStatement("UPDATE rows SET cl = ? WHERE id = ?");
    rowSeals = c.prepareStatement("SELECT DISTINCT seal FROM cells WHERE row = ? AND seal IS NOT NULL");
    deleteCells = c.prepareStatement("DELETE FROM cells WHERE row = ?");
    selectCell = c.prepareStatement("SELECT col_version, val, site, seal FROM cells WHERE row = ? AND cid = ?");
    upsertCell = c.prepareStatement("INSERT INTO cells(row, cid, db, pos, col_version, val, site, seal)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(row, cid) DO UPDATE SET pos = excluded.pos,"
        + " col_version = excluded.col_version, val = excluded.val, site = excluded.site, seal = excluded.seal");
    setSeal = c.prepareStatement("UPDATE cells SET seal = ? WHERE row = ? AND cid = ?");
  }

  /** A row this batch made: its key, causal length and entries {position, col_version, val, site, seal}. */
  private static final class NewRow {
    final String table;
    final byte[] pk;
    long cl;
    final Map<String, Object[]> entries = new LinkedHashMap<>();

    NewRow(String table, byte[] pk) {
      this.table = table;
      this.pk = pk;
    }
  }

  /**
   * Looks up the batch's rows {@link #LOOK_AHEAD} keys to a statement when it has more than
   * {@link #LOOK_AHEAD_MIN} of them (an initial sync's batches, whose rows are mostly new): a statement per row
   * cost more in binding, stepping and resetting through the driver than the index search itself.
   */
  @Override
  public void prepare(List<Change> batch) throws SQLException {
    Map<String, Set<CellMerge.RowKey>> byTable = new LinkedHashMap<>();
    int rows = 0;
    for (Change ch : batch) {
      if (byTable.computeIfAbsent(ch.table(), t -> new LinkedHashSet<>())
          .add(new CellMerge.RowKey(ch.table(), ByteBuffer.wrap(ch.pk())))) {
        rows++;
      }
    }
    if (rows <= LOOK_AHEAD_MIN) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT id, cl, pk FROM rows WHERE db = ? AND tbl = ? AND pk IN (?"
        + ", ?".repeat(LOOK_AHEAD - 1) + ")")) {
      for (Map.Entry<String, Set<CellMerge.RowKey>> t : byTable.entrySet()) {
        List<CellMerge.RowKey> keys = new ArrayList<>(t.getValue());
        for (int from = 0; from < keys.size(); from += LOOK_AHEAD) {
          lookAhead(ps, t.getKey(), keys.subList(from, Math.min(keys.size(), from + LOOK_AHEAD)));
        }
      }
    }
  }

  /**
   * Looks {@code keys} (at most {@link #LOOK_AHEAD}) up with {@code ps}; a shorter list repeats its first key
   * in the places left, so that one statement serves every table and chunk (a repeat in IN changes nothing).
   */
  private void lookAhead(PreparedStatement ps, String table, List<CellMerge.RowKey> keys) throws SQLException {
    ps.setLong(1, db);
    ps.setString(2, table);
    for (int i = 0; i < LOOK_AHEAD; i++) {
      CellMerge.RowKey key = keys.get(i < keys.size() ? i : 0);
      ps.setBytes(3 + i, key.pk().array()); // the change's own key, wrapped whole
      looked.put(key, null);
    }
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        looked.put(new CellMerge.RowKey(table, ByteBuffer.wrap(rs.getBytes(3))), new StoredRow(rs.getLong(1),
            rs.getLong(2), null));
      }
    }
  }

  @Override
  public StoredRow row(String table, byte[] pk) throws SQLException {
    CellMerge.RowKey key = new CellMerge.RowKey(table, ByteBuffer.wrap(pk));
    Long id = madeIds.get(key);
    if (id != null) {
      return new StoredRow(id, made.get(id).cl, null);
    }
    if (looked.containsKey(key)) {
      return looked.remove(key);
    }
    selectRow.setLong(1, db);
    selectRow.setString(2, table);
    selectRow.setBytes(3, pk);
    try (ResultSet rs = selectRow.executeQuery()) {
      return rs.next() ? new StoredRow(rs.getLong(1), rs.getLong(2), null) : null;
    }
  }

  @Override
  public long insertRow(String table, byte[] pk) throws SQLException {
    if (nextId < 0) {
      try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(max(id), 0) + 1 FROM rows");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        nextId = rs.getLong(1);
      }
    }
    long id = nextId++;
    made.put(id, new NewRow(table, pk));
    madeIds.put(new CellMerge.RowKey(table, ByteBuffer.wrap(pk)), id);
    return id;
  }

  @Override
  public void setCl(long row, long cl) throws SQLException {
    NewRow m = made.get(row);
    if (m != null) {
      m.cl = cl;
      return;
    }
    updateRowCl.setLong(1, cl);
    updateRowCl.setLong(2, row);
    updateRowCl.executeUpdate();
  }

  @Override
  public void rowSeals(long row, Set<Long> into) throws SQLException {
    NewRow m = made.get(row);
    if (m != null) {
      for (Object[] e : m.entries.values()) {
        if (e[4] != null) {
          into.add((Long) e[4]);
        }
      }
      return;
    }
    rowSeals.setLong(1, row);
    try (ResultSet rs = rowSeals.executeQuery()) {
      while (rs.next()) {
        into.add(rs.getLong(1));
      }
    }
  }

  @Override
  public void deleteEntries(long row) throws SQLException {
    NewRow m = made.get(row);
    if (m != null) {
      m.entries.clear();
      return;
    }
    deleteCells.setLong(1, row);
    deleteCells.executeUpdate();
  }

  @Override
  public Object[] entry(long row, String cid) throws SQLException {
    NewRow m = made.get(row);
    if (m != null) {
      Object[] e = m.entries.get(cid);
      return e == null ? null : new Object[] {e[1], e[2], e[3], e[4]};
    }
    selectCell.setLong(1, row);
    selectCell.setString(2, cid);
    try (ResultSet rs = selectCell.executeQuery()) {
      if (!rs.next()) {
        return null;
      }
      long seal = rs.getLong(4);
      Long sealId = rs.wasNull() ? null : seal; // wasNull speaks of the last column read
      return new Object[] {rs.getLong(1), StoreFile.read(rs, 2), rs.getBytes(3), sealId};
    }
  }

  @Override
  public void putEntry(long row, String cid, long position, long colVersion, Object val, byte[] site, Long seal)
      throws SQLException {
    NewRow m = made.get(row);
    if (m != null) {
      m.entries.put(cid, new Object[] {position, colVersion, val, site, seal});
      return;
    }
    upsertCell.setLong(1, row);
    upsertCell.setString(2, cid);
    upsertCell.setLong(3, db);
    upsertCell.setLong(4, position);
    upsertCell.setLong(5, colVersion);
    StoreFile.bind(upsertCell, 6, val);
    upsertCell.setBytes(7, site);
    if (seal == null) {
      upsertCell.setNull(8, java.sql.Types.INTEGER);
    } else {
      upsertCell.setLong(8, seal);
    }
    upsertCell.executeUpdate();
  }

  @Override
  public void setSeal(long row, String cid, long seal) throws SQLException {
    NewRow m = made.get(row);
    if (m != null) {
      Object[] e = m.entries.get(cid);
      if (e != null) {
        e[4] = seal;
      }
      return;
    }
    setSeal.setLong(1, seal);
    setSeal.setLong(2, row);
    setSeal.setString(3, cid);
    setSeal.executeUpdate();
  }

  @Override
  public long saveSeal(Seal seal) throws SQLException {
    return SealRows.save(c, db, seal);
  }

  @Override
  public void pruneSeals(Set<Long> seals) throws SQLException {
    flush();
    if (seals.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement(
        "DELETE FROM seals WHERE id = ? AND NOT EXISTS (SELECT 1 FROM cells WHERE seal = ?)")) {
      for (long id : seals) {
        ps.setLong(1, id);
        ps.setLong(2, id);
        ps.executeUpdate();
      }
    }
  }

  /** Writes the rows this batch made and their entries, many to a statement ({@link BatchedInsert}). */
  private void flush() throws SQLException {
    if (made.isEmpty()) {
      return;
    }
    try (BatchedInsert rows = new BatchedInsert(c, "INSERT INTO rows(id, db, tbl, pk, cl)", 5);
        BatchedInsert cells = new BatchedInsert(c, "INSERT INTO cells(row, cid, db, pos, col_version, val, site, seal)", 8)) {
      for (Map.Entry<Long, NewRow> r : made.entrySet()) {
        NewRow row = r.getValue();
        rows.add(new Object[] {r.getKey(), db, row.table, row.pk, row.cl});
        for (Map.Entry<String, Object[]> e : row.entries.entrySet()) {
          Object[] x = e.getValue(); // {position, col_version, val, site, seal}: new rows have no stored entries
          cells.add(new Object[] {r.getKey(), e.getKey(), db, x[0], x[1], x[2], x[3], x[4]});
        }
      }
      rows.flush();
      cells.flush();
    }
    made.clear();
    madeIds.clear();
  }

  @Override
  public void close() throws SQLException {
    for (PreparedStatement ps : List.of(selectRow, updateRowCl, rowSeals, deleteCells, selectCell,
        upsertCell, setSeal)) {
      ps.close();
    }
  }
}
