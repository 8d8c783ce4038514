package dev.cfost.internal;

import dev.cfost.Change;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A merge too large for one chunk, applied in key order: validated changes are first staged in a
 * temporary table, one record per row, then read back sorted by table and packed key and merged chunk by
 * chunk in that order.
 *
 * <p>Why: in arrival order every merged row lands on a random page of the base table's key index and of
 * the clock table, and once those trees outgrow the page cache nearly every row costs page reads and
 * writes. In key order each page is visited once per merge. Measured: docs/BENCHMARKS.md, F12. SQLite's
 * sorter does the sorting with bounded memory (it spills to temporary files), and so does the staging
 * table, so a merge of any size holds one chunk in the heap. A row's changes keep their arrival order.
 *
 * <p>Used inside the caller's write transaction, by the thread holding the engine's write lock.
 */
final class StagedMerge implements AutoCloseable {
  private static final String STAGE = "temp.cfost_stage";

  private final WriteTx tx;
  private final BatchedInsert insert;
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
  private final DataOutputStream out = new DataOutputStream(bytes);
  private long staged;

  StagedMerge(WriteTx tx) throws SQLException {
    this.tx = tx;
    Sql.exec(tx.c, "CREATE TEMP TABLE IF NOT EXISTS cfost_stage(tbl TEXT NOT NULL, pk BLOB NOT NULL, changes BLOB NOT NULL)");
    Sql.exec(tx.c, "DELETE FROM " + STAGE); // empty unless an earlier rollback failed
    this.insert = new BatchedInsert(tx.c, "INSERT INTO " + STAGE + "(tbl, pk, changes)", 3);
  }

  /** Stages validated changes; consecutive changes of one row become one record. */
  void add(List<ChangeValidator.Checked> checked) throws SQLException {
    int from = 0;
    for (int i = 1; i <= checked.size(); i++) {
      if (i == checked.size() || !checked.get(from).sameRow(checked.get(i))) {
        stageRow(checked.subList(from, i));
        from = i;
      }
    }
  }

  private void stageRow(List<ChangeValidator.Checked> row) throws SQLException {
    bytes.reset();
    try {
      for (ChangeValidator.Checked c : row) {
        Change ch = c.change();
        out.writeShort(c.ordinal());
        out.writeLong(ch.cl());
        out.writeLong(ch.colVersion());
        out.writeInt((int) tx.sites.ordinal(ch.siteId()));
        writeValue(ch.val());
      }
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
    }
    ChangeValidator.Checked first = row.get(0);
    insert.add(new Object[] {first.spec().name, first.pk(), bytes.toByteArray()});
    staged += row.size();
  }

  private void writeValue(Object v) throws IOException {
    if (v == null) {
      out.writeByte(0);
    } else if (v instanceof Long l) {
      out.writeByte(1);
      out.writeLong(l);
    } else if (v instanceof Double d) {
      out.writeByte(2);
      out.writeLong(Double.doubleToRawLongBits(d));
    } else if (v instanceof String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      out.writeByte(3);
      out.writeInt(b.length);
      out.write(b);
    } else {
      byte[] b = (byte[]) v;
      out.writeByte(4);
      out.writeInt(b.length);
      out.write(b);
    }
  }

  /**
   * Merges everything staged, in key order, {@code chunk} changes at a time (a row is never split).
   * Returns how many changes won.
   */
  int apply(Map<String, TableSpec> specs, int chunk) throws SQLException {
    insert.flush();
    int applied = 0;
    Rows rows = new Rows();
    try (PreparedStatement ps = tx.c.prepareStatement("SELECT tbl, pk, changes FROM " + STAGE + " ORDER BY tbl, pk, rowid");
        ResultSet rs = ps.executeQuery()) {
      TableSpec spec = null;
      byte[] lastPk = null;
      List<Object> key = null;
      List<ChangeValidator.Checked> row = null;
      while (rs.next()) {
        String t = rs.getString(1);
        byte[] pk = rs.getBytes(2);
        if (spec == null || !spec.name.equals(t) || !Arrays.equals(pk, lastPk)) { // the next row
          if (rows.changes >= chunk) {
            applied += Merger.applyRows(tx, rows.tables);
            rows = new Rows();
          }
          spec = specs.get(t);
          key = PackedKey.unpack(pk); // validated when staged
          lastPk = pk;
          row = new ArrayList<>(4);
          rows.add(spec, row);
        }
        rows.changes += readRow(spec, pk, key, rs.getBytes(3), row);
      }
    }
    if (rows.changes > 0) {
      applied += Merger.applyRows(tx, rows.tables);
    }
    Sql.exec(tx.c, "DELETE FROM " + STAGE);
    return applied;
  }

  /** A chunk of rows read back in key order, by table. */
  private static final class Rows {
    final List<List<List<ChangeValidator.Checked>>> tables = new ArrayList<>();
    private TableSpec last;
    int changes;

    void add(TableSpec spec, List<ChangeValidator.Checked> row) {
      if (spec != last) {
        tables.add(new ArrayList<>());
        last = spec;
      }
      tables.get(tables.size() - 1).add(row);
    }
  }

  /** Decodes a staged record into {@code into}; returns how many changes it held. */
  private int readRow(TableSpec spec, byte[] pk, List<Object> key, byte[] record, List<ChangeValidator.Checked> into) {
    int n = 0;
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(record))) {
      while (in.available() > 0) {
        int ordinal = in.readShort();
        long cl = in.readLong();
        long colVersion = in.readLong();
        byte[] site = tx.sites.id(in.readInt());
        Object val = readValue(in);
        String cid = ordinal == 0 ? Change.SENTINEL : spec.columns.get(ordinal - 1);
        into.add(new ChangeValidator.Checked(new Change(spec.name, pk, cid, val, colVersion, 0, site, cl, 0),
            spec, key, pk, ordinal));
        n++;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayInputStream does not throw
    }
    return n;
  }

  private static Object readValue(DataInputStream in) throws IOException {
    switch (in.readByte()) {
      case 0:
        return null;
      case 1:
        return in.readLong();
      case 2:
        return Double.longBitsToDouble(in.readLong());
      case 3: {
        byte[] b = new byte[in.readInt()];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
      }
      default: {
        byte[] b = new byte[in.readInt()];
        in.readFully(b);
        return b;
      }
    }
  }

  @Override
  public void close() throws SQLException {
    insert.close(); // what was staged goes with the transaction if it fails, else apply() deleted it
  }
}
