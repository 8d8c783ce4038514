package dev.cfost.server.internal;

import dev.cfost.Seal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;

/** {@link CellTables} over a user's SQLite file ({@link UserFile}): each call one statement, at once. */
final class SqliteCells implements CellTables, AutoCloseable {
  private final Connection c;
  private final long db;
  private final PreparedStatement selectRow;
  private final PreparedStatement insertRow;
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
    insertRow = c.prepareStatement("INSERT INTO rows(db, tbl, pk, cl) VALUES (?, ?, ?, ?) RETURNING id");
    updateRowCl = c.prepareStatement("UPDATE rows SET cl = ? WHERE id = ?");
    rowSeals = c.prepareStatement("SELECT DISTINCT seal FROM cells WHERE row = ? AND seal IS NOT NULL");
    deleteCells = c.prepareStatement("DELETE FROM cells WHERE row = ?");
    selectCell = c.prepareStatement("SELECT col_version, val, site, seal FROM cells WHERE row = ? AND cid = ?");
    upsertCell = c.prepareStatement("INSERT INTO cells(row, cid, db, pos, col_version, val, site, seal)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(row, cid) DO UPDATE SET pos = excluded.pos,"
        + " col_version = excluded.col_version, val = excluded.val, site = excluded.site, seal = excluded.seal");
    setSeal = c.prepareStatement("UPDATE cells SET seal = ? WHERE row = ? AND cid = ?");
  }

  @Override
  public StoredRow row(String table, byte[] pk) throws SQLException {
    selectRow.setLong(1, db);
    selectRow.setString(2, table);
    selectRow.setBytes(3, pk);
    try (ResultSet rs = selectRow.executeQuery()) {
      return rs.next() ? new StoredRow(rs.getLong(1), rs.getLong(2), null) : null;
    }
  }

  @Override
  public long insertRow(String table, byte[] pk) throws SQLException {
    insertRow.setLong(1, db);
    insertRow.setString(2, table);
    insertRow.setBytes(3, pk);
    insertRow.setLong(4, 0);
    try (ResultSet rs = insertRow.executeQuery()) { // INSERT ... RETURNING id
      rs.next();
      return rs.getLong(1);
    }
  }

  @Override
  public void setCl(long row, long cl) throws SQLException {
    updateRowCl.setLong(1, cl);
    updateRowCl.setLong(2, row);
    updateRowCl.executeUpdate();
  }

  @Override
  public void rowSeals(long row, Set<Long> into) throws SQLException {
    rowSeals.setLong(1, row);
    try (ResultSet rs = rowSeals.executeQuery()) {
      while (rs.next()) {
        into.add(rs.getLong(1));
      }
    }
  }

  @Override
  public void deleteEntries(long row) throws SQLException {
    deleteCells.setLong(1, row);
    deleteCells.executeUpdate();
  }

  @Override
  public Object[] entry(long row, String cid) throws SQLException {
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

  @Override
  public void close() throws SQLException {
    for (PreparedStatement ps : List.of(selectRow, insertRow, updateRowCl, rowSeals, deleteCells, selectCell,
        upsertCell, setSeal)) {
      ps.close();
    }
  }
}
