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
 * changes and {@value #MAX_MIB} MiB are held (a batch past that is refused whole, so nothing is lost
 * silently: the sender sends it again later), and a change held for {@value #EXPIRY_DAYS} days is dropped.
 */
final class HeldChanges {
  /** A change that waits for the device of {@code seal}. */
  record Held(Change change, byte[] digest, Seal seal) {}

  /** A stored held change. */
  record Row(long id, Change change, byte[] digest) {}

  /** A seal some held changes wait for, by its row id. */
  record Waiting(long sealId, String deviceId) {}

  static final long MAX_CHANGES = 100_000;
  static final long MAX_MIB = 64;
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

  /** Refuses the batch (its transaction rolls back) once the held changes pass the bound. */
  static void checkLimit(Connection c) throws SQLException {
    long[] size = size(c);
    if (size[0] > MAX_CHANGES || size[1] > MAX_MIB << 20) {
      throw new dev.cfost.identity.SealRefusedException(dev.cfost.identity.SealRefusedException.HELD_LIMIT,
          "this replica holds at most " + MAX_CHANGES + " changes (" + MAX_MIB + " MiB) sealed by devices it does"
          + " not know; this batch would make " + size[0] + " (" + (size[1] >> 20) + " MiB): refused until"
          + " the device list names their devices or they expire");
    }
  }

  static void hold(Connection c, List<Held> held, long receivedAt) throws SQLException {
    Map<Seal, Long> sealIds = new IdentityHashMap<>();
    try (PreparedStatement ps = c.prepareStatement("INSERT OR IGNORE INTO " + HELD
        + "(digest, change, seal_id, received_at) VALUES (?, ?, ?, ?)")) {
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
