package dev.cfost.identity.internal;

import static dev.cfost.identity.internal.IdentitySchema.PENDING;
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
 * change's own device when such a seal arrives. Superseded digests are not pruned yet. The index is
 * written in batches, through a pending log ({@link #save}, {@link #fold}).
 */
final class SealStore {
  /** A change's digest, covered by {@code seal}; {@code byOrigin} when the seal is its own device's. */
  record Cover(byte[] digest, Seal seal, boolean byOrigin) {}

  private static final String INSERT_SEAL = "INSERT OR IGNORE INTO " + SEALS
      + "(device_id, signature, digests) VALUES (?, ?, ?)";
  private static final String SEAL_ID = "SELECT id FROM " + SEALS + " WHERE signature = ?";
  private static final String SEAL_BY_ID = "SELECT device_id, signature, digests FROM " + SEALS + " WHERE id = ?";

  /** Covers waiting in the pending log before they are folded into the index: at most a few MiB of heap. */
  static final int FOLD_AT = 100_000;
  /** A logged cover: the digest, the seal's row id, 1 if by the change's origin. */
  private static final int LOGGED_BYTES = ChangeDigest.BYTES + 8 + 1;

  private SealStore() {}

  /**
   * Keeps the covers: their seals at once, their digests in the pending log (one row per call), folded
   * into the digest index once enough wait or before a lookup ({@link #find}).
   */
  static void save(Connection c, List<Cover> covers) throws SQLException {
    if (covers.isEmpty()) {
      return;
    }
    Map<Seal, Long> ids = new IdentityHashMap<>();
    ByteBuffer log = ByteBuffer.allocate(covers.size() * LOGGED_BYTES);
    try (PreparedStatement insert = c.prepareStatement(INSERT_SEAL);
        PreparedStatement select = c.prepareStatement(SEAL_ID)) {
      Seal last = null; // a batch's covers come in runs of one seal: one lookup per run
      long lastId = 0;
      for (Cover cover : covers) {
        if (cover.seal() != last) {
          last = cover.seal();
          Long id = ids.get(last);
          if (id == null) {
            id = saveSeal(insert, select, last);
            ids.put(last, id);
          }
          lastId = id;
        }
        log.put(cover.digest()).putLong(lastId).put((byte) (cover.byOrigin() ? 1 : 0));
      }
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + PENDING + "(covers, count) VALUES (?, ?)")) {
      ps.setBytes(1, log.array());
      ps.setInt(2, covers.size());
      ps.executeUpdate();
    }
    if (pendingCount(c) >= FOLD_AT) {
      fold(c);
    }
  }

  /**
   * Moves the pending log into the digest index, in key order: each B-tree page of the index is then
   * written once per fold, not once per received batch (the digests are random). Applies the covers as if
   * one by one in the order they were saved (the sort is stable): a digest keeps the first seal, replaced
   * by its origin's. Inside the caller's write transaction.
   */
  static void fold(Connection c) throws SQLException {
    List<byte[]> entries = new ArrayList<>();
    long last = -1;
    try (PreparedStatement ps = c.prepareStatement("SELECT id, covers FROM " + PENDING + " ORDER BY id");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        last = rs.getLong(1);
        byte[] all = rs.getBytes(2);
        for (int at = 0; at + LOGGED_BYTES <= all.length; at += LOGGED_BYTES) {
          entries.add(Arrays.copyOfRange(all, at, at + LOGGED_BYTES));
        }
      }
    }
    if (last < 0) {
      return;
    }
    entries.sort((x, y) -> Arrays.compareUnsigned(x, 0, ChangeDigest.BYTES, y, 0, ChangeDigest.BYTES));
    // All first seals, then all origins' seals: the same result as in saved order (an origin's seal replaces
    // any other, the last origin's wins, else the first seal stays), and each statement runs as one batch.
    try (PreparedStatement first = c.prepareStatement("INSERT OR IGNORE INTO " + SEALED + "(digest, seal_id) VALUES (?, ?)");
        PreparedStatement origin = c.prepareStatement("INSERT OR REPLACE INTO " + SEALED + "(digest, seal_id) VALUES (?, ?)")) {
      for (PreparedStatement ps : List.of(first, origin)) {
        byte kind = (byte) (ps == origin ? 1 : 0);
        for (byte[] e : entries) {
          if (e[LOGGED_BYTES - 1] == kind) {
            ps.setBytes(1, Arrays.copyOf(e, ChangeDigest.BYTES));
            ps.setLong(2, ByteBuffer.wrap(e).getLong(ChangeDigest.BYTES));
            ps.addBatch();
          }
        }
        ps.executeBatch();
      }
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + PENDING + " WHERE id <= ?")) {
      ps.setLong(1, last);
      ps.executeUpdate();
    }
  }

  private static long pendingCount(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT total(count) FROM " + PENDING);
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getLong(1) : 0;
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

  /** The stored seal covering each of {@code digests} that has one; folds the pending log first (a write). */
  static Map<DigestKey, Seal> find(Connection c, List<byte[]> digests) throws SQLException {
    fold(c);
    Map<DigestKey, Long> sealIds = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT seal_id FROM " + SEALED + " WHERE digest = ?")) {
      for (byte[] digest : digests) {
        ps.setBytes(1, digest);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            sealIds.put(DigestKey.of(digest), rs.getLong(1));
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
    Map<DigestKey, Seal> out = new HashMap<>();
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
