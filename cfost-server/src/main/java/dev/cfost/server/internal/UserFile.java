package dev.cfost.server.internal;

import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.Seal;
import dev.cfost.server.ApplyResult;
import dev.cfost.server.StoredChanges;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * One user's file ({@code users/<user id>.db}): the cells, stream positions, seals and cursors of all the
 * user's databases. A database is a row of {@code dbs} (its stream head); {@code rows} holds each
 * replicated row's causal length, {@code cells} its current cells and its sentinel (cid {@code -1},
 * col_version = cl) with their clocks, stream position and seal. The value column has no declared type,
 * so SQLite keeps every value exactly as it came (storage class, -0.0).
 */
final class UserFile implements AutoCloseable {
  private static final List<List<String>> MIGRATIONS = List.of(
      // 1: databases, rows, cells and sentinels, seals, device cursors.
      List.of(
          "CREATE TABLE dbs(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, head INTEGER NOT NULL)",
          "CREATE TABLE rows(id INTEGER PRIMARY KEY, db INTEGER NOT NULL, tbl TEXT NOT NULL, pk BLOB NOT NULL,"
              + " cl INTEGER NOT NULL, UNIQUE(db, tbl, pk))",
          "CREATE TABLE cells(id INTEGER PRIMARY KEY, row INTEGER NOT NULL, cid TEXT NOT NULL, db INTEGER NOT NULL,"
              + " pos INTEGER NOT NULL, col_version INTEGER NOT NULL, val, site BLOB NOT NULL, seal INTEGER,"
              + " UNIQUE(row, cid))",
          "CREATE UNIQUE INDEX cells_pos ON cells(db, pos)",
          "CREATE INDEX cells_seal ON cells(seal) WHERE seal IS NOT NULL",
          "CREATE TABLE seals(id INTEGER PRIMARY KEY, db INTEGER NOT NULL, device_id TEXT NOT NULL,"
              + " signature BLOB NOT NULL, digests BLOB NOT NULL, UNIQUE(db, signature))",
          "CREATE TABLE cursors(db INTEGER NOT NULL, device_id TEXT NOT NULL, received TEXT,"
              + " acked INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(db, device_id)) WITHOUT ROWID"));

  /**
   * The stream: entries after a position, with their row. A sentinel of a row's first life (cl 1) is left
   * out when the row has cells, whose changes carry the cl (cfost-core's ChangeReader sends none for a
   * plain insert either).
   */
  private static final String STREAM = "SELECT c.pos, c.cid, c.col_version, c.val, c.site, c.seal, r.tbl, r.pk,"
      + " r.cl, c.cid = '-1' AND r.cl = 1 AND EXISTS (SELECT 1 FROM cells x WHERE x.row = c.row AND x.cid <> '-1')"
      + " FROM cells c JOIN rows r ON r.id = c.row WHERE c.db = ? AND c.pos > ? ORDER BY c.pos LIMIT ?";

  /**
   * A page ends once its keys and values pass this many bytes (at least one change goes), so that a page
   * of large values stays bounded however large the limit.
   */
  static final long PAGE_BYTES = 8L * 1024 * 1024;

  final StoreFile file;

  private UserFile(StoreFile file) {
    this.file = file;
  }

  static UserFile open(Path path) {
    return new UserFile(StoreFile.open(path, "user", MIGRATIONS));
  }

  /**
   * Merges a batch; with {@code fromDevice}, only if the device's cursor is still {@code expectedFrom} (checked in
   * the batch's transaction, under the file's one writer), saving {@code cursor} with it.
   */
  /** Merges a batch (see {@code ServerStore.applyBatch}); runs {@code moved} once it committed a new head. */
  ApplyResult apply(String database, List<Change> changes, List<Seal> seals, List<byte[]> digests, String fromDevice,
      Cursor expectedFrom, Cursor cursor, Runnable moved) {
    boolean[] headMoved = new boolean[1];
    ApplyResult result = file.tx("merging a batch into database '" + database + "'", c -> {
      if (fromDevice != null) {
        Long existing = databaseId(c, database);
        String text = existing == null ? null : cursorColumn(c, existing, fromDevice, "received");
        Cursor held = text == null ? Cursor.START : Cursor.parse(text);
        if (!held.equals(expectedFrom)) {
          return new ApplyResult(0, existing == null ? 0 : head(c, existing), held);
        }
      }
      long db = databaseFor(c, database);
      long head = head(c, db);
      long newHead;
      int applied;
      try (SqliteCells cells = new SqliteCells(c, db)) {
        CellMerge merge = new CellMerge(cells, head);
        newHead = merge.apply(changes, seals, digests);
        applied = merge.applied();
      }
      headMoved[0] = newHead != head;
      if (newHead != head) {
        try (PreparedStatement ps = c.prepareStatement("UPDATE dbs SET head = ? WHERE id = ?")) {
          ps.setLong(1, newHead);
          ps.setLong(2, db);
          ps.executeUpdate();
        }
      }
      if (fromDevice != null) {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO cursors(db, device_id, received) VALUES (?, ?, ?)"
            + " ON CONFLICT(db, device_id) DO UPDATE SET received = excluded.received")) {
          ps.setLong(1, db);
          ps.setString(2, fromDevice);
          ps.setString(3, cursor.toString());
          ps.executeUpdate();
        }
      }
      return new ApplyResult(applied, head, newHead, null);
    });
    if (headMoved[0]) {
      moved.run();
    }
    return result;
  }

  StoredChanges changesAfter(String database, long position, int limit) {
    return file.tx("reading database '" + database + "'", c -> {
      Long db = databaseId(c, database);
      if (db == null) {
        return StoredChanges.none(position, true);
      }
      List<Change> out = new ArrayList<>(Math.min(limit, 1024));
      long last = position;
      long bytes = 0;
      SealRows.OfPage seals = new SealRows.OfPage();
      try (PreparedStatement ps = c.prepareStatement(STREAM); PreparedStatement seal = c.prepareStatement(SealRows.BY_ID)) {
        ps.setLong(1, db);
        ps.setLong(2, position);
        ps.setInt(3, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (bytes < PAGE_BYTES && rs.next()) {
            last = rs.getLong(1);
            if (rs.getBoolean(10)) {
              continue;
            }
            seals.next(rs, 6, seal);
            // db_version is the stream position and seq 0: one entry per position.
            // A sentinel's col_version is its cl (the stored one may mark it made for a cell: CellMerge.INFERRED).
            Change change = new Change(rs.getString(7), rs.getBytes(8), rs.getString(2), StoreFile.read(rs, 4),
                Change.SENTINEL.equals(rs.getString(2)) ? rs.getLong(9) : rs.getLong(3), last, rs.getBytes(5),
                rs.getLong(9), 0);
            out.add(change);
            bytes += 64 + change.pk().length + size(change.val());
          }
        }
      }
      return new StoredChanges(out, seals.seals, seals.sealOf, last, last >= head(c, db));
    });
  }

  static long size(Object v) {
    if (v instanceof byte[] b) {
      return b.length;
    }
    return v instanceof String t ? 3L * t.length() : 8; // UTF-8 takes at most 3 bytes per char
  }

  long head(String database) {
    return file.tx("reading database '" + database + "'", c -> {
      Long db = databaseId(c, database);
      return db == null ? 0L : head(c, db);
    });
  }

  List<Change> tableCells(String database, String table, int limit) {
    return file.tx("reading table '" + table + "' of database '" + database + "'", c -> {
      Long db = databaseId(c, database);
      List<Change> out = new ArrayList<>();
      if (db == null) {
        return out;
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT r.pk, r.cl, c.cid, c.val, c.col_version, c.site, c.pos"
          + " FROM rows r JOIN cells c ON c.row = r.id WHERE r.db = ? AND r.tbl = ? AND c.cid <> '-1'"
          + " ORDER BY r.pk, c.cid LIMIT ?")) {
        ps.setLong(1, db);
        ps.setString(2, table);
        ps.setInt(3, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(new Change(table, rs.getBytes(1), rs.getString(3), StoreFile.read(rs, 4), rs.getLong(5),
                rs.getLong(7), rs.getBytes(6), rs.getLong(2), 0));
          }
        }
      }
      return out;
    });
  }

  List<String> databases() {
    return file.tx("listing databases", c -> {
      List<String> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT name FROM dbs WHERE head > 0 ORDER BY name");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    });
  }

  Cursor receivedCursor(String database, String device) {
    String text = cursorColumn(database, device, "received");
    return text == null ? Cursor.START : Cursor.parse(text);
  }

  long acknowledged(String database, String device) {
    String text = cursorColumn(database, device, "acked");
    return text == null ? 0 : Long.parseLong(text);
  }

  private String cursorColumn(String database, String device, String column) {
    return file.tx("reading a cursor", c -> {
      Long db = databaseId(c, database);
      return db == null ? null : cursorColumn(c, db, device, column);
    });
  }

  private static String cursorColumn(Connection c, long db, String device, String column) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + column + " FROM cursors WHERE db = ? AND device_id = ?")) {
      ps.setLong(1, db);
      ps.setString(2, device);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  void acknowledge(String database, String device, long position) {
    file.tx("saving an acknowledgement", c -> {
      long db = databaseFor(c, database);
      long head = head(c, db);
      if (position > head) {
        throw new IllegalArgumentException("device '" + device + "' acknowledges position " + position
            + " of database '" + database + "', whose stream ends at " + head);
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO cursors(db, device_id, acked) VALUES (?, ?, ?)"
          + " ON CONFLICT(db, device_id) DO UPDATE SET acked = excluded.acked")) {
        ps.setLong(1, db);
        ps.setString(2, device);
        ps.setLong(3, position);
        ps.executeUpdate();
      }
      return null;
    });
  }

  private static Long databaseId(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT id FROM dbs WHERE name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    }
  }

  private static long databaseFor(Connection c, String name) throws SQLException {
    Long id = databaseId(c, name);
    if (id != null) {
      return id;
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO dbs(name, head) VALUES (?, 0)")) {
      ps.setString(1, name);
      ps.executeUpdate();
    }
    return databaseId(c, name);
  }

  private static long head(Connection c, long db) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT head FROM dbs WHERE id = ?")) {
      ps.setLong(1, db);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @Override
  public void close() {
    file.close();
  }
}
