package dev.cfost.server.internal;

import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.Seal;
import dev.cfost.server.ApplyResult;
import dev.cfost.server.StoredChanges;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The users' databases in PostgreSQL: what {@link UserFile} is for one SQLite file, for every user at
 * once, each database a row of {@code dbs} named by (user id, database id).
 *
 * <p><b>Positions with several writers.</b> A batch takes its database's row of {@code dbs} with
 * {@code SELECT ... FOR UPDATE} before anything else, reads the head there, hands out the positions after
 * it and writes the new head in the same transaction: the row lock is held until commit, so the batches of
 * one database commit one after the other, in the order of their positions, whichever process writes them.
 * A reader therefore never sees position p+1 committed before p, and resuming after the highest position
 * seen skips nothing (docs/ARCHITECTURE.md, "Positions with several writers").
 */
final class PostgresDatabases {
  /** The channel of commit notifications: one per batch that moved a head, "USER DATABASE ORIGIN". */
  static final String CHANNEL = "cfost_commit";

  private static final String STREAM = "SELECT c.pos, c.cid, c.col_version, c.typ, c.i, c.r, c.t, c.b, c.site,"
      + " c.seal, r.tbl, r.pk, r.cl, c.cid = '-1' AND r.cl = 1"
      + " AND EXISTS (SELECT 1 FROM cells x WHERE x.row_id = c.row_id AND x.cid <> '-1')"
      + " FROM cells c JOIN rows r ON r.id = c.row_id WHERE c.db = ? AND c.pos > ? ORDER BY c.pos LIMIT ?";

  private final PostgresPool pool;
  private final String origin;

  PostgresDatabases(PostgresPool pool, String origin) {
    this.pool = pool;
    this.origin = origin;
  }

  /** What a batch did, and whether it moved the head (a tie that only records a greater site moves it too). */
  record Applied(ApplyResult result, boolean movedHead) {}

  /**
   * Merges a batch; with {@code fromDevice}, only if the device's cursor is still {@code expectedFrom}. The check
   * runs after the database's row is locked: every batch of the database, from any process, takes that lock
   * first and saves its device's cursor before it commits, so the cursor read (READ COMMITTED reads what
   * committed before the lock was granted) is the latest and cannot change before this transaction ends.
   */
  Applied apply(String user, String database, List<Change> changes, List<Seal> seals, List<byte[]> digests,
      String fromDevice, Cursor expectedFrom, Cursor cursor) {
    return pool.tx("merging a batch into database '" + database + "' of user '" + user + "'", c -> {
      long[] dbHead = lockDatabase(c, user, database);
      long db = dbHead[0];
      long head = dbHead[1];
      if (fromDevice != null) {
        Cursor held = Cursor.START;
        try (PreparedStatement ps = c.prepareStatement("SELECT received FROM cursors WHERE db = ? AND device_id = ?")) {
          ps.setLong(1, db);
          ps.setString(2, fromDevice);
          try (ResultSet rs = ps.executeQuery()) {
            if (rs.next() && rs.getString(1) != null) {
              held = Cursor.parse(rs.getString(1));
            }
          }
        }
        if (!held.equals(expectedFrom)) {
          return new Applied(new ApplyResult(0, head, held), false);
        }
      }
      PostgresCells cells = new PostgresCells(c, db);
      CellMerge merge = new CellMerge(cells, head);
      long newHead = merge.apply(changes, seals, digests);
      if (newHead != head) {
        try (PreparedStatement ps = c.prepareStatement("UPDATE dbs SET head = ?, changed_at = clock_timestamp() WHERE id = ?")) {
          ps.setLong(1, newHead);
          ps.setLong(2, db);
          ps.executeUpdate();
        }
        // One notification per batch, delivered at commit (never if the transaction rolls back).
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
          ps.setString(1, CHANNEL);
          ps.setString(2, user + " " + database + " " + origin);
          ps.execute();
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
      return new Applied(new ApplyResult(merge.applied(), head, newHead, null), newHead != head);
    });
  }

  /** The database's {id, head}, created if needed, its row locked until the transaction ends. */
  private static long[] lockDatabase(Connection c, String user, String database) throws SQLException {
    try (PreparedStatement select = c.prepareStatement("SELECT id, head FROM dbs WHERE user_id = ? AND name = ? FOR UPDATE")) {
      select.setString(1, user);
      select.setString(2, database);
      try (ResultSet rs = select.executeQuery()) {
        if (rs.next()) {
          return new long[] {rs.getLong(1), rs.getLong(2)};
        }
      }
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO dbs(user_id, name, head) VALUES (?, ?, 0) ON CONFLICT(user_id, name) DO NOTHING")) {
        ps.setString(1, user);
        ps.setString(2, database);
        ps.executeUpdate();
      }
      try (ResultSet rs = select.executeQuery()) { // made now, or by another process meanwhile
        rs.next();
        return new long[] {rs.getLong(1), rs.getLong(2)};
      }
    }
  }

  StoredChanges changesAfter(String user, String database, long position, int limit) {
    return pool.tx("reading database '" + database + "' of user '" + user + "'", c -> {
      // One snapshot for the page, its seals and the head: under READ COMMITTED a batch committed between
      // two statements could delete a seal the page's entries named a moment before.
      try (java.sql.Statement s = c.createStatement()) {
        s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      }
      long[] dbHead = database(c, user, database);
      if (dbHead == null) {
        return StoredChanges.none(position, true);
      }
      long db = dbHead[0];
      List<Change> out = new ArrayList<>(Math.min(limit, 1024));
      long last = position;
      long bytes = 0;
      SealRows.OfPage seals = new SealRows.OfPage();
      try (PreparedStatement ps = c.prepareStatement(STREAM); PreparedStatement seal = c.prepareStatement(SealRows.BY_ID)) {
        ps.setFetchSize(256); // a cursor: rows past the page's byte bound are never fetched
        ps.setLong(1, db);
        ps.setLong(2, position);
        ps.setInt(3, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (bytes < UserFile.PAGE_BYTES && rs.next()) {
            last = rs.getLong(1);
            if (rs.getBoolean(14)) {
              continue;
            }
            seals.next(rs, 10, seal);
            // A sentinel's col_version is its cl (the stored one may mark it made for a cell: CellMerge.INFERRED).
            Change change = new Change(rs.getString(11), rs.getBytes(12), rs.getString(2), PgValues.read(rs, 4),
                Change.SENTINEL.equals(rs.getString(2)) ? rs.getLong(13) : rs.getLong(3), last, rs.getBytes(9),
                rs.getLong(13), 0);
            out.add(change);
            bytes += 64 + change.pk().length + UserFile.size(change.val());
          }
        }
      }
      // The head of the same snapshot: a batch committed since is read by the next call.
      return new StoredChanges(out, seals.seals, seals.sealOf, last, last >= head(c, db));
    });
  }

  long head(String user, String database) {
    return pool.tx("reading database '" + database + "' of user '" + user + "'", c -> {
      long[] dbHead = database(c, user, database);
      return dbHead == null ? 0L : dbHead[1];
    });
  }

  List<Change> tableCells(String user, String database, String table, int limit) {
    return pool.tx("reading table '" + table + "' of database '" + database + "'", c -> {
      List<Change> out = new ArrayList<>();
      long[] dbHead = database(c, user, database);
      if (dbHead == null) {
        return out;
      }
      // COLLATE "C": by code point, as SQLite's BINARY orders the same UTF-8.
      try (PreparedStatement ps = c.prepareStatement("SELECT r.pk, r.cl, c.cid, c.typ, c.i, c.r, c.t, c.b,"
          + " c.col_version, c.site, c.pos FROM rows r JOIN cells c ON c.row_id = r.id"
          + " WHERE r.db = ? AND r.tbl = ? AND c.cid <> '-1' ORDER BY r.pk, c.cid COLLATE \"C\" LIMIT ?")) {
        ps.setLong(1, dbHead[0]);
        ps.setString(2, table);
        ps.setInt(3, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(new Change(table, rs.getBytes(1), rs.getString(3), PgValues.read(rs, 4), rs.getLong(9),
                rs.getLong(11), rs.getBytes(10), rs.getLong(2), 0));
          }
        }
      }
      return out;
    });
  }

  List<String> databases(String user) {
    return pool.tx("listing the databases of user '" + user + "'", c -> {
      List<String> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT name FROM dbs WHERE user_id = ? AND head > 0 ORDER BY name COLLATE \"C\"")) {
        ps.setString(1, user);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
      }
      return out;
    });
  }

  Cursor receivedCursor(String user, String database, String device) {
    String text = cursorColumn(user, database, device, "received");
    return text == null ? Cursor.START : Cursor.parse(text);
  }

  long acknowledged(String user, String database, String device) {
    String text = cursorColumn(user, database, device, "acked::text");
    return text == null ? 0 : Long.parseLong(text);
  }

  private String cursorColumn(String user, String database, String device, String column) {
    return pool.tx("reading a cursor", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT k." + column + " FROM cursors k JOIN dbs d ON d.id = k.db"
          + " WHERE d.user_id = ? AND d.name = ? AND k.device_id = ?")) {
        ps.setString(1, user);
        ps.setString(2, database);
        ps.setString(3, device);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? rs.getString(1) : null;
        }
      }
    });
  }

  void acknowledge(String user, String database, String device, long position) {
    pool.tx("saving an acknowledgement", c -> {
      long[] dbHead = database(c, user, database);
      long head = dbHead == null ? 0 : dbHead[1];
      if (position > head) {
        throw new IllegalArgumentException("device '" + device + "' acknowledges position " + position
            + " of database '" + database + "', whose stream ends at " + head);
      }
      if (dbHead == null) {
        dbHead = lockDatabase(c, user, database); // acknowledging 0 of a database not made yet
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO cursors(db, device_id, acked) VALUES (?, ?, ?)"
          + " ON CONFLICT(db, device_id) DO UPDATE SET acked = excluded.acked")) {
        ps.setLong(1, dbHead[0]);
        ps.setString(2, device);
        ps.setLong(3, position);
        ps.executeUpdate();
      }
      return null;
    });
  }

  /** The database's {id, head}, or null if it does not exist. */
  private static long[] database(Connection c, String user, String database) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT id, head FROM dbs WHERE user_id = ? AND name = ?")) {
      ps.setString(1, user);
      ps.setString(2, database);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new long[] {rs.getLong(1), rs.getLong(2)} : null;
      }
    }
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
}
