package dev.cfost.server.internal;

import dev.cfost.Seal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code seals} table of a user's file: a seal as its device made it (device id, signature, the
 * digests it signs, concatenated in the signed order), once per database, found again by its signature.
 * The signature is over the database id and the digests, so the stored seal forwards unchanged.
 */
final class SealRows {
  private SealRows() {}

  /** Stores {@code seal} for database {@code db} if it is not there yet; returns its id. */
  static long save(Connection c, long db, Seal seal) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT OR IGNORE INTO seals(db, device_id, signature, digests) VALUES (?, ?, ?, ?)")) {
      ps.setLong(1, db);
      ps.setString(2, seal.deviceId());
      ps.setBytes(3, seal.signature());
      ps.setBytes(4, join(seal.digests()));
      ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT id, device_id, digests FROM seals WHERE db = ? AND signature = ?")) {
      ps.setLong(1, db);
      ps.setBytes(2, seal.signature());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  static Seal load(PreparedStatement byId, long id) throws SQLException {
    byId.setLong(1, id);
    try (ResultSet rs = byId.executeQuery()) {
      if (!rs.next()) {
        throw new SQLException("no seal with id " + id);
      }
      return new Seal(rs.getString(1), rs.getBytes(2), split(rs.getBytes(3)));
    }
  }

  static final String BY_ID = "SELECT device_id, signature, digests FROM seals WHERE id = ?";

  static byte[] join(List<byte[]> digests) {
    byte[] out = new byte[digests.size() * WireChecks.DIGEST_BYTES];
    for (int i = 0; i < digests.size(); i++) {
      System.arraycopy(digests.get(i), 0, out, i * WireChecks.DIGEST_BYTES, WireChecks.DIGEST_BYTES);
    }
    return out;
  }

  private static List<byte[]> split(byte[] joined) {
    List<byte[]> out = new ArrayList<>(joined.length / WireChecks.DIGEST_BYTES);
    for (int i = 0; i + WireChecks.DIGEST_BYTES <= joined.length; i += WireChecks.DIGEST_BYTES) {
      out.add(Arrays.copyOfRange(joined, i, i + WireChecks.DIGEST_BYTES));
    }
    return out;
  }

  /**
   * The seals of one page of the stream, each loaded once, and for each entry the index of its seal among
   * them (-1 for none): {@link dev.cfost.server.StoredChanges#sealOf}.
   */
  static final class OfPage {
    private final java.util.Map<Long, Integer> index = new java.util.HashMap<>();
    final java.util.List<Seal> seals = new java.util.ArrayList<>();
    final java.util.List<Integer> sealOf = new java.util.ArrayList<>();

    /**
     * Notes the seal of the page's next change: the seal id in {@code column} of {@code rs}, or none if null;
     * a seal not met yet is loaded with {@code byId} ({@link #BY_ID}).
     */
    void next(java.sql.ResultSet rs, int column, PreparedStatement byId) throws SQLException {
      long id = rs.getLong(column);
      Integer at = -1;
      if (!rs.wasNull()) {
        at = index.get(id);
        if (at == null) {
          at = seals.size();
          index.put(id, at);
          seals.add(load(byId, id));
        }
      }
      sealOf.add(at);
    }
  }
}
