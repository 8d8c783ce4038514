package dev.cfost.identity.internal;

import static dev.cfost.identity.internal.IdentitySchema.HELD;
import static dev.cfost.identity.internal.IdentitySchema.SEALS;

import dev.cfost.Change;
import dev.cfost.ChangeJson;
import dev.cfost.Seal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Received changes whose only seal is by a device this replica does not know yet (its row of the device
 * list comes later in the relay's stream). They are kept here, unmerged, with that seal, until the device
 * list names the device; then they are checked like any batch and merged, or dropped. Local table
 * {@code identity_held}; the seals live in {@code identity_seals}.
 *
 * <p>Bounded, as any relay can send changes sealed by devices that never join: at most {@value #MAX_CHANGES}
 * changes and {@value #MAX_MIB} MiB are held per peer (the sync peer's site id that sent them; changes
 * checked outside a session count under no peer), so that one relay at its quota does not stop another's,
 * and at most {@value #MAX_TOTAL_CHANGES} changes and {@value #MAX_TOTAL_MIB} MiB in all. A batch past
 * either bound is refused whole, so nothing is lost silently: the sender sends it again later. A change
 * held for {@value #EXPIRY_DAYS} days is dropped.
 */
final class HeldChanges {
  /** A change that waits for the device of {@code seal}. */
  record Held(Change change, byte[] digest, Seal seal) {}

  /** A stored held change. */
  record Row(long id, Change change, byte[] digest) {}

  /** A seal some held changes wait for, by its row id. */
  record Waiting(long sealId, String deviceId) {}

  /** Held changes per peer. */
  static final long MAX_CHANGES = 100_000;
  /** Their size per peer, in MiB. */
  static final long MAX_MIB = 64;
  /** Held changes over all peers. */
  static final long MAX_TOTAL_CHANGES = 1_000_000;
  /** Their size over all peers, in MiB. */
  static final long MAX_TOTAL_MIB = 512;
  static final long EXPIRY_DAYS = 30;

  private HeldChanges() {}

  /** Drops the changes held since before {@code now - EXPIRY_DAYS}; returns how many. */
  static int expire(Connection c, long now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + HELD + " WHERE received_at < ?")) {
      ps.setLong(1, now - EXPIRY_DAYS * 86_400_000L);
      return ps.executeUpdate();
    }
  }

  /** How many changes are held and how many bytes they take: {count, bytes}. */
  static long[] size(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT count(*), coalesce(sum(length(change)), 0) FROM " + HELD);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return new long[] {rs.getLong(1), rs.getLong(2)};
    }
  }

  /** How many changes sent by {@code peer} (null: none) are held, and their bytes: {count, bytes}. */
  static long[] size(Connection c, byte[] peer) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT count(*), coalesce(sum(length(change)), 0) FROM " + HELD
        + " WHERE peer IS ?")) {
      ps.setBytes(1, peer);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new long[] {rs.getLong(1), rs.getLong(2)};
      }
    }
  }

  /** Refuses the batch (its transaction rolls back) once {@code peer}'s held changes, or all, pass the bound. */
  static void checkLimit(Connection c, byte[] peer) throws SQLException {
    long[] mine = size(c, peer);
    if (mine[0] > MAX_CHANGES || mine[1] > MAX_MIB << 20) {
      throw new dev.cfost.identity.SealRefusedException(dev.cfost.identity.SealRefusedException.HELD_LIMIT,
          "this replica holds at most " + MAX_CHANGES + " changes (" + MAX_MIB + " MiB) per peer sealed by devices"
          + " it does not know; this batch would make " + mine[0] + " (" + (mine[1] >> 20) + " MiB) from "
          + (peer == null ? "no peer" : "this peer") + ": refused until the device list names their devices or"
          + " they expire");
    }
    long[] all = size(c);
    if (all[0] > MAX_TOTAL_CHANGES || all[1] > MAX_TOTAL_MIB << 20) {
      throw new dev.cfost.identity.SealRefusedException(dev.cfost.identity.SealRefusedException.HELD_LIMIT,
          "this replica holds at most " + MAX_TOTAL_CHANGES + " changes (" + MAX_TOTAL_MIB + " MiB) in all sealed"
          + " by devices it does not know; this batch would make " + all[0] + " (" + (all[1] >> 20) + " MiB):"
          + " refused until the device list names their devices or they expire");
    }
  }

  static void hold(Connection c, List<Held> held, long receivedAt, byte[] peer) throws SQLException {
    Map<Seal, Long> sealIds = new IdentityHashMap<>();
    try (PreparedStatement ps = c.prepareStatement("INSERT OR IGNORE INTO " + HELD
        + "(digest, change, seal_id, received_at, peer) VALUES (?, ?, ?, ?, ?)")) {
      for (Held h : held) {
        Long sealId = sealIds.get(h.seal());
        if (sealId == null) {
          sealId = SealStore.saveSeal(c, h.seal());
          sealIds.put(h.seal(), sealId);
        }
        ps.setBytes(1, h.digest());
        ps.setString(2, ChangeJson.write(h.change()));
        ps.setLong(3, sealId);
        ps.setLong(4, receivedAt);
        ps.setBytes(5, peer);
        ps.executeUpdate();
      }
    }
  }

  /** The seals that held changes wait for, with their devices; empty when nothing is held. */
  static List<Waiting> waiting(Connection c) throws SQLException {
    List<Waiting> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT s.id, s.device_id FROM " + SEALS + " s WHERE s.id IN"
            + " (SELECT seal_id FROM " + HELD + ")");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(new Waiting(rs.getLong(1), rs.getString(2)));
      }
    }
    return out;
  }

  static boolean isEmpty(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT NOT EXISTS (SELECT 1 FROM " + HELD + ")");
        ResultSet rs = ps.executeQuery()) {
      return rs.next() && rs.getBoolean(1);
    }
  }

  /** The changes waiting for the seal with row id {@code sealId}. */
  static List<Row> waitingFor(Connection c, long sealId) throws SQLException {
    List<Row> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT id, change, digest FROM " + HELD + " WHERE seal_id = ? ORDER BY id")) {
      ps.setLong(1, sealId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Row(rs.getLong(1), ChangeJson.read(rs.getString(2), 0), rs.getBytes(3)));
        }
      }
    }
    return out;
  }

  static void delete(Connection c, List<Long> ids) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + HELD + " WHERE id = ?")) {
      for (long id : ids) {
        ps.setLong(1, id);
        ps.executeUpdate();
      }
    }
  }

  /** Forgets the held changes with these digests, under whichever seal: they are merged. */
  static void deleteDigests(Connection c, List<byte[]> digests) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + HELD + " WHERE digest = ?")) {
      for (byte[] d : digests) {
        ps.setBytes(1, d);
        ps.executeUpdate();
      }
    }
  }
}
