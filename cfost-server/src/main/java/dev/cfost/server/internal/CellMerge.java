package dev.cfost.server.internal;

import dev.cfost.Change;
import dev.cfost.Seal;
import dev.cfost.identity.ChangeSeals;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Merges one validated batch into a database of a user's file, inside the caller's transaction.
 *
 * <p>Design note: the merge rule, cfost-core's {@code Merger} without a schema (docs/ARCHITECTURE.md,
 * "The merge rule"; cr-sqlite's rule, with causal length after Yu and Rostad's "causal length"
 * CRDT). For each change against the stored row ({@code rows.cl}) and cell:
 * <ol>
 *   <li>Causal length first. Lower is ignored. Higher starts a new life: the row's cells are deleted
 *       (forgotten, as a device rebuilds the base row), its sentinel is stamped with the change's cl and
 *       site (but see FIRST_LIFE below); a sentinel or an even cl (deleted) ends there, a cell change
 *       then writes its cell.
 *   <li>Same causal length: a sentinel only records the greater site id; a cell of a deleted row is
 *       ignored; a cell never written in this life (no row in {@code cells}) loses to any change, even
 *       one of col_version 0; otherwise the higher col_version wins.
 *   <li>Equal col_version: the greater value in cr-sqlite's order ({@link dev.cfost.internal.ValueOrder}, the device's own).
 *   <li>Equal values: the greater site id is recorded and its value written (-0.0 and 0.0 compare equal
 *       but differ in bits; every replica must hold the same one).
 * </ol>
 * Each change that changes an entry moves it to the database's next stream position. Merging a change
 * twice changes nothing the second time; changes are applied one by one in batch order, which a device
 * does per row too, so the result is the device's.
 *
 * <p>Seals: an entry keeps the seal (of the batch) whose digests hold its change's digest. An identical
 * change that arrives sealed for an entry stored without a seal gives it the seal, without a new
 * position. Seals no entry refers to any more are deleted at the end of the batch.
 */
final class CellMerge implements AutoCloseable {
  /*
   * FIRST_LIFE: a row whose first life (cl 1) a cell change began keeps no sentinel entry. Such a row has
   * cells for as long as its cl is 1, and a cl-1 sentinel of a row with cells is never streamed (as in
   * cfost-core's ChangeReader), so its site could never be seen: storing it would cost a third of the
   * writes of an initial sync (a sentinel beside two cells per row). A row made by a sentinel keeps it.
   */

  private final Connection c;
  private final long db;
  private long head;
  private int applied;
  private final PreparedStatement selectRow;
  private final PreparedStatement insertRow;
  private final PreparedStatement updateRowCl;
  private final PreparedStatement rowSeals;
  private final PreparedStatement deleteCells;
  private final PreparedStatement selectCell;
  private final PreparedStatement upsertCell;
  private final PreparedStatement setSeal;
  /** Rows touched by this batch; every write to them goes through here. */
  private final Map<RowKey, Row> rows = new HashMap<>();
  /** Seals displaced from entries: deleted at the end unless another entry still refers to them. */
  private final Set<Long> displaced = new HashSet<>();
  private final Map<ByteBuffer, Seal> sealByDigest = new HashMap<>();
  private final Map<Seal, Long> sealIds = new IdentityHashMap<>(); // the batch's own Seal objects

  private record RowKey(String table, ByteBuffer pk) {}

  /** Indexes into an entry: {col_version, val, site, seal id or null}. */
  private static final int VERSION = 0;
  private static final int VALUE = 1;
  private static final int SITE = 2;
  private static final int SEAL = 3;

  /** A row of this batch: its id and causal length, and its entries once this batch knows them all. */
  private static final class Row {
    final long id;
    long cl;
    /**
     * The row's entries by cid, when this batch made the row or started its life (nothing else wrote it
     * since, in this transaction), saving a query per cell; null: ask the table.
     */
    Map<String, Object[]> known;

    Row(long id, long cl, Map<String, Object[]> known) {
      this.id = id;
      this.cl = cl;
      this.known = known;
    }
  }

  CellMerge(Connection c, long db, long head) throws SQLException {
    this.c = c;
    this.db = db;
    this.head = head;
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

  /** Merges {@code changes} (validated) with {@code seals} (checked for form); returns the new head. */
  long apply(List<Change> changes, List<Seal> seals) throws SQLException {
    for (Seal s : seals) {
      for (byte[] d : s.digests()) {
        sealByDigest.putIfAbsent(ByteBuffer.wrap(d), s); // the first seal covering a change is kept
      }
    }
    for (Change ch : changes) {
      merge(ch);
    }
    pruneSeals();
    return head;
  }

  @Override
  public void close() throws SQLException {
    for (PreparedStatement ps : List.of(selectRow, insertRow, updateRowCl, rowSeals, deleteCells, selectCell,
        upsertCell, setSeal)) {
      ps.close();
    }
  }

  int applied() {
    return applied;
  }

  private void merge(Change ch) throws SQLException {
    RowKey key = new RowKey(ch.table(), ByteBuffer.wrap(ch.pk()));
    Row row = rows.get(key);
    if (row == null) {
      row = loadRow(ch);
      rows.put(key, row);
    }
    if (ch.cl() < row.cl) {
      return;
    }
    if (ch.cl() > row.cl) {
      newLife(row, ch);
      if (ch.isSentinel() || ch.cl() % 2 == 0) {
        applied++;
        return;
      }
      write(row, ch, ch.colVersion(), ch.val(), null); // the cell is new in this life
      applied++;
      return;
    }
    if (ch.isSentinel()) {
      Object[] sentinel = entry(row, Change.SENTINEL);
      if (sentinel == null && ch.cl() == 1) {
        return; // see FIRST_LIFE
      }
      int cmp = sentinel == null ? 1 : Arrays.compareUnsigned(ch.siteId(), (byte[]) sentinel[SITE]);
      if (cmp > 0) {
        write(row, ch, ch.cl(), null, sentinel);
      } else if (cmp == 0) {
        attachSeal(row, ch, sentinel);
      }
      return;
    }
    if (row.cl % 2 == 0) {
      return; // a cell of a deleted row
    }
    Object[] cell = entry(row, ch.cid());
    if (cell == null) {
      write(row, ch, ch.colVersion(), ch.val(), null); // never written in this life
      applied++;
      return;
    }
    int cmp = Long.compare(ch.colVersion(), (Long) cell[VERSION]);
    if (cmp == 0) {
      cmp = dev.cfost.internal.ValueOrder.compare(ch.val(), cell[VALUE]);
      if (cmp == 0) {
        int site = Arrays.compareUnsigned(ch.siteId(), (byte[]) cell[SITE]);
        if (site > 0) {
          write(row, ch, ch.colVersion(), ch.val(), cell); // the same value, maybe other bits
        } else if (site == 0) {
          attachSeal(row, ch, cell);
        }
        return;
      }
    }
    if (cmp > 0) {
      write(row, ch, ch.colVersion(), ch.val(), cell);
      applied++;
    }
  }

  /** The change's row; inserted with cl 0 (no life yet, no entries) if the store has none. */
  private Row loadRow(Change ch) throws SQLException {
    selectRow.setLong(1, db);
    selectRow.setString(2, ch.table());
    selectRow.setBytes(3, ch.pk());
    try (ResultSet rs = selectRow.executeQuery()) {
      if (rs.next()) {
        return new Row(rs.getLong(1), rs.getLong(2), null);
      }
    }
    insertRow.setLong(1, db);
    insertRow.setString(2, ch.table());
    insertRow.setBytes(3, ch.pk());
    insertRow.setLong(4, 0);
    try (ResultSet rs = insertRow.executeQuery()) { // INSERT ... RETURNING id
      rs.next();
      return new Row(rs.getLong(1), 0, new HashMap<>());
    }
  }

  /** Starts the row's life {@code ch.cl()}: its entries are forgotten, its sentinel is the change's. */
  private void newLife(Row row, Change ch) throws SQLException {
    if (row.known == null || !row.known.isEmpty()) {
      rowSeals.setLong(1, row.id);
      try (ResultSet rs = rowSeals.executeQuery()) {
        while (rs.next()) {
          displaced.add(rs.getLong(1));
        }
      }
      deleteCells.setLong(1, row.id);
      deleteCells.executeUpdate();
    }
    row.known = new HashMap<>(); // nothing left: the row's entries are all known from here on
    row.cl = ch.cl();
    updateRowCl.setLong(1, ch.cl());
    updateRowCl.setLong(2, row.id);
    updateRowCl.executeUpdate();
    if (ch.cl() == 1 && !ch.isSentinel()) {
      return; // see FIRST_LIFE
    }
    // A sentinel made for a cell change is no change anyone signed: it has no seal (a forwarder leaves it
    // out, as a device does; the cell change carries the cl).
    put(row, Change.SENTINEL, ch.cl(), null, ch.siteId(), ch.isSentinel() ? sealOf(ch) : null, null);
  }

  /** {col_version, val, site, seal} of an entry of the row, or null if it has none in this life. */
  private Object[] entry(Row row, String cid) throws SQLException {
    if (row.known != null) {
      return row.known.get(cid);
    }
    selectCell.setLong(1, row.id);
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

  /** Writes {@code ch} over {@code old} (the stored entry, or null) at the next position. */
  private void write(Row row, Change ch, long colVersion, Object val, Object[] old) throws SQLException {
    put(row, ch.cid(), colVersion, val, ch.siteId(), sealOf(ch), old);
  }

  private void put(Row row, String cid, long colVersion, Object val, byte[] site, Long seal, Object[] old)
      throws SQLException {
    if (old != null && old[SEAL] != null && !old[SEAL].equals(seal)) {
      displaced.add((Long) old[SEAL]);
    }
    upsertCell.setLong(1, row.id);
    upsertCell.setString(2, cid);
    upsertCell.setLong(3, db);
    upsertCell.setLong(4, ++head);
    upsertCell.setLong(5, colVersion);
    StoreFile.bind(upsertCell, 6, val);
    upsertCell.setBytes(7, site);
    if (seal == null) {
      upsertCell.setNull(8, java.sql.Types.INTEGER);
    } else {
      upsertCell.setLong(8, seal);
    }
    upsertCell.executeUpdate();
    if (row.known != null) {
      row.known.put(cid, new Object[] {colVersion, val, site, seal});
    }
  }

  /** The stored entry is this very change: if it was kept without a seal until now, it takes this one. */
  private void attachSeal(Row row, Change ch, Object[] stored) throws SQLException {
    if (stored[SEAL] != null) {
      return;
    }
    Long seal = sealOf(ch);
    if (seal != null) {
      setSeal.setLong(1, seal);
      setSeal.setLong(2, row.id);
      setSeal.setString(3, ch.cid());
      setSeal.executeUpdate();
      stored[SEAL] = seal; // the known entry too, if the row's entries are known
    }
  }

  /** The id of the stored seal covering {@code ch} (stored now if new), or null if none covers it. */
  private Long sealOf(Change ch) throws SQLException {
    if (ch == null || sealByDigest.isEmpty()) {
      return null;
    }
    Seal seal = sealByDigest.get(ByteBuffer.wrap(ChangeSeals.digest(ch)));
    if (seal == null) {
      return null;
    }
    Long id = sealIds.get(seal);
    if (id == null) {
      id = SealRows.save(c, db, seal);
      sealIds.put(seal, id);
    }
    return id;
  }

  private void pruneSeals() throws SQLException {
    if (displaced.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement(
        "DELETE FROM seals WHERE id = ? AND NOT EXISTS (SELECT 1 FROM cells WHERE seal = ?)")) {
      for (long id : displaced) {
        ps.setLong(1, id);
        ps.setLong(2, id);
        ps.executeUpdate();
      }
    }
  }
}
