package dev.cfost.identity.internal;

import static dev.cfost.identity.internal.IdentitySchema.SEALED;
import static dev.cfost.identity.internal.IdentitySchema.SEALS;

import dev.cfost.Seal;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The seals this replica received, by the digests of the changes they cover, so that forwarded changes
 * go with their origin's signature. A digest keeps one seal: the first, replaced by one from the
 * change's own device when such a seal arrives. Superseded digests are not pruned yet.
 */
final class SealStore {
  /** A change's digest, covered by {@code seal}; {@code byOrigin} when the seal is its own device's. */
  record Cover(byte[] digest, Seal seal, boolean byOrigin) {}

  private static final String INSERT_SEAL = "INSERT OR IGNORE INTO " + SEALS
      + "(device_id, signature, digests) VALUES (?, ?, ?)";
  private static final String SEAL_ID = "SELECT id FROM " + SEALS + " WHERE signature = ?";
  private static final String SEAL_BY_ID = "SELECT device_id, signature, digests FROM " + SEALS + " WHERE id = ?";

  private SealStore() {}

  static void save(Connection c, List<Cover> covers) throws SQLException {
    // In key order, each B-tree page of the index is visited once per batch, not once per digest. The sort
    // is stable: of two covers of one digest, the first still goes first.
    List<Cover> inOrder = new ArrayList<>(covers);
    inOrder.sort((x, y) -> Arrays.compareUnsigned(x.digest(), y.digest()));
    Map<Seal, Long> ids = new IdentityHashMap<>();
    try (PreparedStatement insert = c.prepareStatement(INSERT_SEAL);
        PreparedStatement select = c.prepareStatement(SEAL_ID);
        PreparedStatement first = c.prepareStatement("INSERT OR IGNORE INTO " + SEALED + "(digest, seal_id) VALUES (?, ?)");
        PreparedStatement origin = c.prepareStatement("INSERT OR REPLACE INTO " + SEALED + "(digest, seal_id) VALUES (?, ?)")) {
      for (Cover cover : inOrder) {
        Long id = ids.get(cover.seal());
        if (id == null) {
          id = saveSeal(insert, select, cover.seal());
          ids.put(cover.seal(), id);
        }
        PreparedStatement ps = cover.byOrigin() ? origin : first;
        ps.setBytes(1, cover.digest());
        ps.setLong(2, id);
        ps.executeUpdate();
      }
    }
  }

  /** Stores {@code seal} if it is new; returns its row id. */
  static long saveSeal(Connection c, Seal seal) throws SQLException {
    try (PreparedStatement insert = c.prepareStatement(INSERT_SEAL);
        PreparedStatement select = c.prepareStatement(SEAL_ID)) {
      return saveSeal(insert, select, seal);
    }
  }

  /** The stored seal with this row id. */
  static Seal seal(Connection c, long id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SEAL_BY_ID)) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("no seal with id " + id);
        }
        return new Seal(rs.getString(1), rs.getBytes(2), split(rs.getBytes(3)));
      }
    }
  }

  private static long saveSeal(PreparedStatement insert, PreparedStatement select, Seal seal) throws SQLException {
    insert.setString(1, seal.deviceId());
    insert.setBytes(2, seal.signature());
    insert.setBytes(3, join(seal.digests()));
    insert.executeUpdate();
    select.setBytes(1, seal.signature());
    try (ResultSet rs = select.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The stored seal covering each of {@code digests} that has one. */
  static Map<ByteBuffer, Seal> find(Connection c, List<byte[]> digests) throws SQLException {
    Map<ByteBuffer, Long> sealIds = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT seal_id FROM " + SEALED + " WHERE digest = ?")) {
      for (byte[] digest : digests) {
        ps.setBytes(1, digest);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            sealIds.put(ByteBuffer.wrap(digest), rs.getLong(1));
          }
        }
      }
    }
    Map<Long, Seal> seals = new LinkedHashMap<>();
    try (PreparedStatement ps = c.prepareStatement(SEAL_BY_ID)) {
      for (long id : sealIds.values()) {
        if (!seals.containsKey(id)) {
          ps.setLong(1, id);
          try (ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
              seals.put(id, new Seal(rs.getString(1), rs.getBytes(2), split(rs.getBytes(3))));
            }
          }
        }
      }
    }
    Map<ByteBuffer, Seal> out = new HashMap<>();
    sealIds.forEach((digest, id) -> {
      Seal s = seals.get(id);
      if (s != null) {
        out.put(digest, s);
      }
    });
    return out;
  }

  private static byte[] join(List<byte[]> digests) {
    byte[] all = new byte[digests.size() * ChangeDigest.BYTES];
    for (int i = 0; i < digests.size(); i++) {
      System.arraycopy(digests.get(i), 0, all, i * ChangeDigest.BYTES, ChangeDigest.BYTES);
    }
    return all;
  }

  private static List<byte[]> split(byte[] all) {
    List<byte[]> out = new ArrayList<>(all.length / ChangeDigest.BYTES);
    for (int at = 0; at + ChangeDigest.BYTES <= all.length; at += ChangeDigest.BYTES) {
      out.add(Arrays.copyOfRange(all, at, at + ChangeDigest.BYTES));
    }
    return out;
  }
}
