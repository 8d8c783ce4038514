package dev.cfost.internal;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Site ids by small ordinal, so that clock rows store an integer rather than 16 bytes. Ordinal 0 is
 * this replica.
 *
 * <p>Guarded by the engine's write lock; {@link #reload} after a rolled-back transaction.
 */
final class Sites {
  private final Connection c;
  private final Map<ByteBuffer, Long> ords = new HashMap<>();
  private final List<byte[]> ids = new ArrayList<>();
  // The last site looked up: a batch's changes mostly come from one site (saves hashing 16 bytes each).
  private byte[] lastId;
  private long lastOrd;

  Sites(Connection c) {
    this.c = c;
  }

  void reload() throws SQLException {
    lastId = null;
    ords.clear();
    ids.clear();
    try (PreparedStatement ps = c.prepareStatement("SELECT ord, site_id FROM cfost_sites ORDER BY ord");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        put(rs.getLong(1), rs.getBytes(2));
      }
    }
  }

  private void put(long ord, byte[] id) {
    ords.put(ByteBuffer.wrap(id), ord);
    while (ids.size() <= ord) {
      ids.add(null);
    }
    ids.set((int) ord, id);
  }

  /**
   * The site id of an ordinal. An ordinal this cache does not hold was added by another engine on the
   * same file (ordinals are only ever appended): the cache is read again, in the caller's transaction.
   */
  byte[] id(long ord) {
    if (ord >= ids.size() || ids.get((int) ord) == null) {
      try {
        reload();
      } catch (SQLException e) {
        throw new dev.cfost.CfostException("cannot read the site table: " + e.getMessage(), e);
      }
      if (ord >= ids.size() || ids.get((int) ord) == null) {
        throw new dev.cfost.CfostException("site ordinal " + ord + " is not in cfost_sites (the database is damaged)");
      }
    }
    return ids.get((int) ord);
  }

  /** The ordinal of a known site id, or -1. */
  long find(byte[] siteId) {
    Long ord = ords.get(ByteBuffer.wrap(siteId));
    return ord == null ? -1 : ord;
  }

  /** The ordinal of a site id, recording a new site inside the current transaction. */
  long ordinal(byte[] siteId) throws SQLException {
    if (lastId != null && java.util.Arrays.equals(lastId, siteId)) {
      return lastOrd;
    }
    Long ord = ords.get(ByteBuffer.wrap(siteId));
    if (ord != null) {
      lastId = ids.get(ord.intValue());
      lastOrd = ord;
      return ord;
    }
    reload(); // another engine on the file may have recorded it, or taken the next ordinal
    ord = ords.get(ByteBuffer.wrap(siteId));
    if (ord != null) {
      lastId = ids.get(ord.intValue());
      lastOrd = ord;
      return ord;
    }
    long next = ids.size();
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO cfost_sites(ord, site_id) VALUES (?, ?)")) {
      ps.setLong(1, next);
      ps.setBytes(2, siteId);
      ps.executeUpdate();
    }
    byte[] copy = siteId.clone();
    put(next, copy);
    return next;
  }
}
