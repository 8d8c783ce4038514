package dev.cfost.internal;

import dev.cfost.Cursor;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** The cursor kept per peer ({@code cfost_peers}): where its stream was merged up to. */
final class PeerCursors {
  private PeerCursors() {}

  static Cursor load(Connection c, byte[] peerSiteId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT complete, db, seq FROM cfost_peers WHERE site_id = ?")) {
      ps.setBytes(1, peerSiteId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new Cursor(rs.getLong(1), rs.getLong(2), rs.getLong(3)) : Cursor.START;
      }
    }
  }

  /** Saves a cursor inside the caller's transaction, with the merge it belongs to. */
  static void save(WriteTx tx, byte[] peerSiteId, Cursor cursor, long nowMillis) throws SQLException {
    PreparedStatement ps = tx.prepare("INSERT OR REPLACE INTO cfost_peers(site_id, complete, db, seq, updated_at)"
        + " VALUES (?, ?, ?, ?, ?)");
    ps.setBytes(1, peerSiteId);
    ps.setLong(2, cursor.complete());
    ps.setLong(3, cursor.db());
    ps.setLong(4, cursor.seq());
    ps.setLong(5, nowMillis);
    ps.executeUpdate();
  }
}
