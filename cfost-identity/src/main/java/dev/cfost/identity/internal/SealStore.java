package dev.cfost.identity.internal;

import static dev.cfost.identity.internal.IdentitySchema.PENDING;
import static dev.cfost.identity.internal.IdentitySchema.SEAL_KEYS;
import static dev.cfost.identity.internal.IdentitySchema.SEALS;
import static dev.cfost.identity.internal.IdentitySchema.WHOLE_DIGEST_INDEX;

import dev.cfost.Seal;
import dev.cfost.internal.BatchedInsert;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

  /** Covers waiting in the pending log before they are folded into the index: about 10 MiB of heap to fold. */
  static final int FOLD_AT = 250_000;
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
   * one by one in the order they were saved: a digest keeps the first seal, replaced by its origin's.
   * Inside the caller's write transaction.
   */
  static void fold(Connection c) throws SQLException {
    Folding folding = null; // made at the first row: every lookup folds first, and the log is mostly empty then
    long last = -1;
    try (PreparedStatement ps = c.prepareStatement("SELECT id, covers FROM " + PENDING + " ORDER BY id");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        if (folding == null) {
          folding = new Folding(SealKeys.of(c));
        }
        last = rs.getLong(1);
        folding.addLogged(rs.getBytes(2));
      }
    }
    if (folding == null) {
      return;
    }
    folding.write(c);
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + PENDING + " WHERE id <= ?")) {
      ps.setLong(1, last);
      ps.executeUpdate();
    }
  }

  /** The covers of a fold in primitive arrays: about 30 bytes each on the heap while it runs. */
  private static final class Folding {
    private final SealKeys keyOf;
    long[] keys = new long[1024];
    /** The seal's row id, shifted left by one, and 1 if the seal is by the change's origin. */
    long[] seals = new long[1024];
    int size;

    Folding(SealKeys keyOf) {
      this.keyOf = keyOf;
    }

    /** Adds the covers of one row of the pending log. */
    void addLogged(byte[] logged) {
      ByteBuffer b = ByteBuffer.wrap(logged);
      for (int at = 0; at + LOGGED_BYTES <= logged.length; at += LOGGED_BYTES) {
        add(keyOf.of(logged, at), b.getLong(at + ChangeDigest.BYTES), logged[at + LOGGED_BYTES - 1] == 1);
      }
    }

    void add(long key, long sealId, boolean byOrigin) {
      if (size == keys.length) {
        keys = Arrays.copyOf(keys, 2 * size);
        seals = Arrays.copyOf(seals, 2 * size);
      }
      keys[size] = key;
      seals[size] = sealId << 1 | (byOrigin ? 1 : 0);
      size++;
    }

    /**
     * Writes the covers into the index in key order. All first seals, then all origins' seals: the same
     * result as in the order added (an origin's seal replaces any other, the last origin's wins, else the
     * first seal stays). Equal keys keep the order they were added in.
     */
    void write(Connection c) throws SQLException {
      int[] order = keyOrder();
      for (boolean byOrigin : new boolean[] {false, true}) {
        try (BatchedInsert insert = new BatchedInsert(c, "INSERT OR " + (byOrigin ? "REPLACE" : "IGNORE")
            + " INTO " + SEAL_KEYS + "(key, seal_id)", 2)) {
          for (int i : order) {
            if (byOrigin(i) == byOrigin) {
              insert.add(new Object[] {keys[i], sealId(i)});
            }
          }
          insert.flush();
        }
      }
    }

    long sealId(int i) {
      return seals[i] >>> 1;
    }

    boolean byOrigin(int i) {
      return (seals[i] & 1) == 1;
    }

    /**
     * The covers' indexes by key, equal keys in saved order: one primitive sort of the keys' high bits with
     * the index in the low ones (keys that differ only in those bits are neighbours in the index anyway).
     */
    int[] keyOrder() {
      int bits = 32 - Integer.numberOfLeadingZeros(Math.max(1, size - 1));
      long low = (1L << bits) - 1;
      long[] sorted = new long[size];
      for (int i = 0; i < size; i++) {
        sorted[i] = (keys[i] & ~low) | i;
      }
      Arrays.sort(sorted);
      int[] order = new int[size];
      for (int i = 0; i < size; i++) {
        order[i] = (int) (sorted[i] & low);
      }
      return order;
    }
  }

  private static long pendingCount(Connection c) throws SQLException {
    // length() reads a blob's size from its record header, not its overflow pages (a row is about 80 KB).
    try (PreparedStatement ps = c.prepareStatement("SELECT total(length(covers)) FROM " + PENDING);
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getLong(1) / LOGGED_BYTES : 0;
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

  /**
   * The stored seal covering each of {@code digests} that has one; folds the pending log first (a write).
   * The index is keyed by 8 bytes ({@link SealKeys}), so a seal found there counts only if it covers the
   * whole digest: two digests that share a key (by chance, about once in 2^64 pairs) may find no seal,
   * never another change's.
   */
  static Map<DigestKey, Seal> find(Connection c, List<byte[]> digests) throws SQLException {
    fold(c);
    SealKeys keyOf = SealKeys.of(c);
    Map<DigestKey, Long> sealIds = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT seal_id FROM " + SEAL_KEYS + " WHERE key = ?")) {
      for (byte[] digest : digests) {
        ps.setLong(1, keyOf.of(digest));
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            sealIds.put(DigestKey.of(digest), rs.getLong(1));
          }
        }
      }
    }
    record Found(Seal seal, Set<DigestKey> covered) {}
    Map<Long, Found> seals = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement(SEAL_BY_ID)) {
      for (long id : sealIds.values()) {
        if (!seals.containsKey(id)) {
          ps.setLong(1, id);
          try (ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
              Seal s = new Seal(rs.getString(1), rs.getBytes(2), split(rs.getBytes(3)));
              Set<DigestKey> covered = new HashSet<>();
              s.digests().forEach(d -> covered.add(DigestKey.of(d)));
              seals.put(id, new Found(s, covered));
            }
          }
        }
      }
    }
    Map<DigestKey, Seal> out = new HashMap<>();
    sealIds.forEach((digest, id) -> {
      Found f = seals.get(id);
      if (f != null && f.covered().contains(digest)) {
        out.put(digest, f.seal());
      }
    });
    return out;
  }

  /**
   * Moves what a digest index of the earlier layout holds (a {@code WITHOUT ROWID} table by whole digest) into
   * today's, each digest's seal replacing any there (that table is the newer: a version before this one wrote
   * it), {@link #FOLD_AT} rows at a time in key order, and empties it. Emptied, not dropped, so that a process
   * of that version still open on the file does not fail; it finds none of the seals moved, and forwards the
   * changes they cover as ones it has no seal for (left out), until it runs this version. Inside the schema's
   * write transaction.
   */
  static void migrateWholeDigestIndex(Connection c) throws SQLException {
    boolean old;
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?")) {
      ps.setString(1, WHOLE_DIGEST_INDEX);
      try (ResultSet rs = ps.executeQuery()) {
        old = rs.next();
      }
    }
    if (!old) {
      return;
    }
    SealKeys keyOf = SealKeys.of(c);
    Folding folding = new Folding(keyOf);
    try (PreparedStatement ps = c.prepareStatement("SELECT digest, seal_id FROM " + WHOLE_DIGEST_INDEX);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        byte[] digest = rs.getBytes(1);
        if (digest != null && digest.length == ChangeDigest.BYTES) {
          folding.add(keyOf.of(digest), rs.getLong(2), true); // as an origin's: replaces
        }
        if (folding.size == FOLD_AT) {
          folding.write(c);
          folding = new Folding(keyOf);
        }
      }
    }
    folding.write(c);
    Db.exec(c, "DELETE FROM " + WHOLE_DIGEST_INDEX);
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
