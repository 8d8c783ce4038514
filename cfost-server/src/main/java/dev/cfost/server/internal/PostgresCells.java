package dev.cfost.server.internal;

import dev.cfost.Change;
import dev.cfost.Seal;
import java.nio.ByteBuffer;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@link CellTables} over PostgreSQL, made for few round trips: {@link #prepare} loads the batch's rows and
 * the entries its changes touch in a few array queries (inserting the rows that are new), the merge then
 * reads from memory, and the writes are kept until the end and sent as JDBC batches. Reads answer as if
 * the kept writes were made: an entry written in this batch is read back as written, a row whose entries
 * were deleted has only the entries written since.
 *
 * <p>The kept writes are final states, sent in an order that keeps them so: the rows' deleted entries
 * first, then causal lengths, then each entry's last write (an entry written twice is sent once, at its
 * last position; a position in between is left empty, as SQLite's store leaves it), then seals given to
 * stored entries. Used by one transaction's thread only.
 */
final class PostgresCells implements CellTables {
  /** Keys per query of {@link #prepare}: bounds the arrays sent. */
  private static final int CHUNK = 5_000;
  /** An entry's columns, read by {@link #readEntry}. */
  private static final String ENTRY_COLUMNS = "c.col_version, c.typ, c.i, c.r, c.t, c.b, c.site, c.seal";

  private final Connection c;
  private final long db;
  private final Map<CellMerge.RowKey, StoredRow> rows = new HashMap<>();
  /** Stored entries the batch touches, by row and cid, as loaded (kept writes are not applied here). */
  private final Map<Long, Map<String, Object[]>> stored = new HashMap<>();
  /** Every stored entry's seal, by row and cid: for {@link #rowSeals}. */
  private final Map<Long, Map<String, Long>> storedSeals = new HashMap<>();
  /** Rows and cids loaded into {@link #stored} (found or not). */
  private final Set<EntryKey> loaded = new HashSet<>();

  // Kept writes.
  private final Set<Long> deleted = new HashSet<>();
  private final Map<Long, Long> cls = new LinkedHashMap<>();
  /** Entries written: {position, col_version, value, site, seal}. */
  private final Map<Long, Map<String, Object[]>> puts = new LinkedHashMap<>();
  private final Map<Long, Map<String, Long>> seals = new LinkedHashMap<>();

  private record EntryKey(long row, String cid) {}

  PostgresCells(Connection c, long db) {
    this.c = c;
    this.db = db;
  }

  @Override
  public void prepare(List<Change> batch) throws SQLException {
    Map<CellMerge.RowKey, Set<String>> cids = new LinkedHashMap<>();
    for (Change ch : batch) {
      cids.computeIfAbsent(new CellMerge.RowKey(ch.table(), ByteBuffer.wrap(ch.pk())), k -> new HashSet<>())
          .add(ch.cid());
    }
    List<CellMerge.RowKey> keys = new ArrayList<>(cids.keySet());
    for (int from = 0; from < keys.size(); from += CHUNK) {
      List<CellMerge.RowKey> chunk = keys.subList(from, Math.min(keys.size(), from + CHUNK));
      loadRows(chunk);
      List<CellMerge.RowKey> missing = new ArrayList<>();
      List<Long> found = new ArrayList<>();
      List<Long> entryRows = new ArrayList<>();
      List<String> entryCids = new ArrayList<>();
      for (CellMerge.RowKey k : chunk) {
        StoredRow r = rows.get(k);
        if (r == null) {
          missing.add(k);
          continue;
        }
        found.add(r.id());
        for (String cid : cids.get(k)) {
          entryRows.add(r.id());
          entryCids.add(cid);
          loaded.add(new EntryKey(r.id(), cid));
        }
      }
      loadEntries(entryRows, entryCids);
      loadSeals(found);
      insertRows(missing);
    }
  }

  private void loadRows(List<CellMerge.RowKey> keys) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT r.id, r.tbl, r.pk, r.cl"
        + " FROM unnest(?::text[], ?::bytea[]) AS k(tbl, pk) JOIN rows r ON r.tbl = k.tbl AND r.pk = k.pk"
        + " WHERE r.db = ?")) {
      ps.setArray(1, tables(keys));
      ps.setArray(2, keysOf(keys));
      ps.setLong(3, db);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.put(new CellMerge.RowKey(rs.getString(2), ByteBuffer.wrap(rs.getBytes(3))),
              new StoredRow(rs.getLong(1), rs.getLong(4), null));
        }
      }
    }
  }

  private void loadEntries(List<Long> rowIds, List<String> cidList) throws SQLException {
    if (rowIds.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT c.row_id, c.cid, " + ENTRY_COLUMNS
        + " FROM unnest(?::bigint[], ?::text[]) AS k(row_id, cid) JOIN cells c ON c.row_id = k.row_id AND c.cid = k.cid")) {
      ps.setArray(1, c.createArrayOf("bigint", rowIds.toArray()));
      ps.setArray(2, c.createArrayOf("text", cidList.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          stored.computeIfAbsent(rs.getLong(1), k -> new HashMap<>()).put(rs.getString(2), readEntry(rs, 3));
        }
      }
    }
  }

  /** {col_version, value, site, seal} from the {@link #ENTRY_COLUMNS} at {@code index}. */
  private static Object[] readEntry(ResultSet rs, int index) throws SQLException {
    long seal = rs.getLong(index + 7);
    Long sealId = rs.wasNull() ? null : seal;
    return new Object[] {rs.getLong(index), PgValues.read(rs, index + 1), rs.getBytes(index + 6), sealId};
  }

  private void loadSeals(List<Long> rowIds) throws SQLException {
    if (rowIds.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT row_id, cid, seal FROM cells WHERE row_id = ANY(?::bigint[]) AND seal IS NOT NULL")) {
      ps.setArray(1, c.createArrayOf("bigint", rowIds.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          storedSeals.computeIfAbsent(rs.getLong(1), k -> new HashMap<>()).put(rs.getString(2), rs.getLong(3));
        }
      }
    }
  }

  private void insertRows(List<CellMerge.RowKey> keys) throws SQLException {
    if (keys.isEmpty()) {
      return;
    }
    // Under the database's row lock (the caller's), so no other transaction inserts these rows meanwhile.
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO rows(db, tbl, pk, cl)"
        + " SELECT ?, k.tbl, k.pk, 0 FROM unnest(?::text[], ?::bytea[]) AS k(tbl, pk) RETURNING id, tbl, pk")) {
      ps.setLong(1, db);
      ps.setArray(2, tables(keys));
      ps.setArray(3, keysOf(keys));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          // New: no life yet, and all its entries (none) known.
          rows.put(new CellMerge.RowKey(rs.getString(2), ByteBuffer.wrap(rs.getBytes(3))),
              new StoredRow(rs.getLong(1), 0, new HashMap<>()));
        }
      }
    }
  }

  private Array tables(List<CellMerge.RowKey> keys) throws SQLException {
    String[] out = new String[keys.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = keys.get(i).table();
    }
    return c.createArrayOf("text", out);
  }

  private Array keysOf(List<CellMerge.RowKey> keys) throws SQLException {
    byte[][] out = new byte[keys.size()][];
    for (int i = 0; i < out.length; i++) {
      ByteBuffer pk = keys.get(i).pk();
      out[i] = new byte[pk.remaining()];
      pk.duplicate().get(out[i]);
    }
    return c.createArrayOf("bytea", out);
  }

  @Override
  public StoredRow row(String table, byte[] pk) throws SQLException {
    // Prepared: every row of the batch is here, inserted if it was new.
    return rows.get(new CellMerge.RowKey(table, ByteBuffer.wrap(pk)));
  }

  @Override
  public long insertRow(String table, byte[] pk) throws SQLException { // only for a row prepare() did not see
    CellMerge.RowKey k = new CellMerge.RowKey(table, ByteBuffer.wrap(pk));
    insertRows(List.of(k));
    return rows.get(k).id();
  }

  @Override
  public void setCl(long row, long cl) {
    cls.put(row, cl);
  }

  @Override
  public void rowSeals(long row, Set<Long> into) {
    // More than the stored entries' seals may be named (one overwritten since): pruning checks each.
    if (!deleted.contains(row)) {
      into.addAll(storedSeals.getOrDefault(row, Map.of()).values());
    }
    into.addAll(seals.getOrDefault(row, Map.of()).values());
    for (Object[] p : puts.getOrDefault(row, Map.of()).values()) {
      if (p[4] != null) {
        into.add((Long) p[4]);
      }
    }
  }

  @Override
  public void deleteEntries(long row) {
    deleted.add(row);
    puts.remove(row);
    seals.remove(row);
  }

  @Override
  public Object[] entry(long row, String cid) throws SQLException {
    Object[] put = puts.getOrDefault(row, Map.of()).get(cid);
    if (put != null) {
      return new Object[] {put[1], put[2], put[3], put[4]};
    }
    if (deleted.contains(row)) {
      return null;
    }
    if (!loaded.contains(new EntryKey(row, cid))) {
      flush(); // not prepared for: ask the table, with every kept write made
      loadEntries(List.of(row), List.of(cid));
      loaded.add(new EntryKey(row, cid));
    }
    Object[] e = stored.getOrDefault(row, Map.of()).get(cid);
    if (e == null) {
      return null;
    }
    Long seal = seals.getOrDefault(row, Map.of()).get(cid);
    return new Object[] {e[0], e[1], e[2], seal != null ? seal : e[3]};
  }

  @Override
  public void putEntry(long row, String cid, long position, long colVersion, Object val, byte[] site, Long seal) {
    puts.computeIfAbsent(row, k -> new LinkedHashMap<>()).put(cid, new Object[] {position, colVersion, val, site, seal});
    Map<String, Long> s = seals.get(row);
    if (s != null) {
      s.remove(cid);
    }
  }

  @Override
  public void setSeal(long row, String cid, long seal) {
    Object[] put = puts.getOrDefault(row, Map.of()).get(cid);
    if (put != null) {
      put[4] = seal;
    } else {
      seals.computeIfAbsent(row, k -> new LinkedHashMap<>()).put(cid, seal);
    }
  }

  @Override
  public long saveSeal(Seal seal) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO seals(db, device_id, signature, digests)"
        + " VALUES (?, ?, ?, ?) ON CONFLICT(db, signature) DO NOTHING")) {
      ps.setLong(1, db);
      ps.setString(2, seal.deviceId());
      ps.setBytes(3, seal.signature());
      ps.setBytes(4, SealRows.join(seal.digests()));
      ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT id FROM seals WHERE db = ? AND signature = ?")) {
      ps.setLong(1, db);
      ps.setBytes(2, seal.signature());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @Override
  public void pruneSeals(Set<Long> ids) throws SQLException {
    flush();
    if (ids.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM seals s WHERE s.id = ANY(?::bigint[])"
        + " AND NOT EXISTS (SELECT 1 FROM cells x WHERE x.seal = s.id)")) {
      ps.setArray(1, c.createArrayOf("bigint", ids.toArray()));
      ps.executeUpdate();
    }
  }

  /** Makes the kept writes, in the order that keeps their final states (see the class comment). */
  void flush() throws SQLException {
    if (!deleted.isEmpty()) {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM cells WHERE row_id = ANY(?::bigint[])")) {
        ps.setArray(1, c.createArrayOf("bigint", deleted.toArray()));
        ps.executeUpdate();
      }
      for (long row : deleted) {
        stored.remove(row);
        storedSeals.remove(row);
      }
      deleted.clear();
    }
    if (!cls.isEmpty()) {
      try (PreparedStatement ps = c.prepareStatement("UPDATE rows r SET cl = u.cl"
          + " FROM unnest(?::bigint[], ?::bigint[]) AS u(id, cl) WHERE r.id = u.id")) {
        ps.setArray(1, c.createArrayOf("bigint", cls.keySet().toArray()));
        ps.setArray(2, c.createArrayOf("bigint", cls.values().toArray()));
        ps.executeUpdate();
      }
      cls.clear();
    }
    if (!puts.isEmpty()) {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO cells(row_id, cid, db, pos, col_version, typ, i,"
          + " r, t, b, site, seal) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(row_id, cid) DO UPDATE"
          + " SET pos = excluded.pos, col_version = excluded.col_version, typ = excluded.typ, i = excluded.i,"
          + " r = excluded.r, t = excluded.t, b = excluded.b, site = excluded.site, seal = excluded.seal")) {
        for (Map.Entry<Long, Map<String, Object[]>> row : puts.entrySet()) {
          for (Map.Entry<String, Object[]> e : row.getValue().entrySet()) {
            Object[] p = e.getValue();
            ps.setLong(1, row.getKey());
            ps.setString(2, e.getKey());
            ps.setLong(3, db);
            ps.setLong(4, (Long) p[0]);
            ps.setLong(5, (Long) p[1]);
            PgValues.bind(ps, 6, p[2]);
            ps.setBytes(11, (byte[]) p[3]);
            if (p[4] == null) {
              ps.setNull(12, java.sql.Types.BIGINT);
            } else {
              ps.setLong(12, (Long) p[4]);
            }
            ps.addBatch();
            stored.computeIfAbsent(row.getKey(), k -> new HashMap<>()).put(e.getKey(),
                new Object[] {p[1], p[2], p[3], p[4]});
            loaded.add(new EntryKey(row.getKey(), e.getKey()));
            Map<String, Long> rs = storedSeals.computeIfAbsent(row.getKey(), k -> new HashMap<>());
            if (p[4] == null) {
              rs.remove(e.getKey());
            } else {
              rs.put(e.getKey(), (Long) p[4]);
            }
          }
        }
        ps.executeBatch();
      }
      puts.clear();
    }
    if (!seals.isEmpty()) {
      try (PreparedStatement ps = c.prepareStatement("UPDATE cells SET seal = ? WHERE row_id = ? AND cid = ?")) {
        for (Map.Entry<Long, Map<String, Long>> row : seals.entrySet()) {
          for (Map.Entry<String, Long> e : row.getValue().entrySet()) {
            ps.setLong(1, e.getValue());
            ps.setLong(2, row.getKey());
            ps.setString(3, e.getKey());
            ps.addBatch();
            Object[] s = stored.getOrDefault(row.getKey(), Map.of()).get(e.getKey());
            if (s != null) {
              s[3] = e.getValue();
            }
            storedSeals.computeIfAbsent(row.getKey(), k -> new HashMap<>()).put(e.getKey(), e.getValue());
          }
        }
        ps.executeBatch();
      }
      seals.clear();
    }
  }
}
