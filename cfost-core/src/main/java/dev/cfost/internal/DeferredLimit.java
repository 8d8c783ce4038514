package dev.cfost.internal;

import dev.cfost.InvalidChangeException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.TreeMap;

/**
 * Bounds {@code cfost_deferred}: a peer that claims a newer schema makes this replica keep its changes for
 * tables and columns it does not know, and without a bound it could fill the disk. Checked inside the merge
 * transaction after a batch's changes were set aside: past the bound the whole batch is refused (its
 * transaction rolls back, the cursor stays), so nothing is lost silently; the peer retries after an upgrade.
 *
 * <p>The bound is per peer (the sync peer's site id; changes merged from a bundle count under no peer),
 * so that a peer filling its quota does not stop another peer's deferral: {@value #MAX_CHANGES} waiting
 * changes and {@value #MAX_MIB} MiB per peer, and a ceiling over all peers of {@value #MAX_TOTAL_CHANGES}
 * changes and {@value #MAX_TOTAL_MIB} MiB. A change still waiting after {@value #EXPIRY_DAYS} days comes
 * from a peer whose schema this replica never caught up with: it is deleted, with a warning.
 */
final class DeferredLimit {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(DeferredLimit.class);
  /** Waiting changes kept per peer. */
  static final long MAX_CHANGES = 100_000;
  /** Their size per peer, in MiB. */
  static final long MAX_MIB = 64;
  /** Waiting changes kept over all peers. */
  static final long MAX_TOTAL_CHANGES = 1_000_000;
  /** Their size over all peers, in MiB. */
  static final long MAX_TOTAL_MIB = 512;
  /** Days a change may wait for its schema before it is deleted. */
  static final long EXPIRY_DAYS = 30;

  private DeferredLimit() {}

  /** Set-aside changes kept for inspection (failed once their schema arrived); the oldest go beyond it. */
  static final long MAX_SET_ASIDE = 10_000;

  /**
   * Deletes the changes that have waited for their schema more than {@link #EXPIRY_DAYS} days before
   * {@code now}; returns how many. Reads an index on the deferral time: costs nothing when none is due.
   */
  static int expire(WriteTx tx, long now) throws SQLException {
    long before = now - EXPIRY_DAYS * 86_400_000L;
    Map<String, Long> byTable = new TreeMap<>();
    try (PreparedStatement ps = tx.c.prepareStatement("SELECT tbl, count(*) FROM cfost_deferred"
        + " WHERE failed IS NULL AND at < ? GROUP BY tbl")) {
      ps.setLong(1, before);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          byTable.put(rs.getString(1), rs.getLong(2));
        }
      }
    }
    if (byTable.isEmpty()) {
      return 0;
    }
    int deleted;
    try (PreparedStatement ps = tx.c.prepareStatement("DELETE FROM cfost_deferred WHERE failed IS NULL AND at < ?")) {
      ps.setLong(1, before);
      deleted = ps.executeUpdate();
    }
    log.warn("deleted {} deferred changes that waited more than {} days for tables or columns this replica never"
        + " got, never merged (by table: {}): they came from a peer whose newer schema this replica did not"
        + " catch up with", deleted, EXPIRY_DAYS, byTable);
    return deleted;
  }

  /** Refuses the batch (throws) if {@code peer}'s waiting changes, or all of them, pass the bound. */
  static void check(WriteTx tx, byte[] peer) throws SQLException {
    // Changes set aside (failed) wait for nothing: they count in a bound of their own, so that they can
    // never stop this replica from keeping aside what a newer peer sends.
    long pruned = Sql.queryLong(tx.c, "SELECT count(*) FROM cfost_deferred WHERE failed IS NOT NULL") - MAX_SET_ASIDE;
    if (pruned > 0) {
      Sql.exec(tx.c, "DELETE FROM cfost_deferred WHERE id IN (SELECT id FROM cfost_deferred WHERE failed IS NOT NULL"
          + " ORDER BY id LIMIT " + pruned + ")");
      log.warn("deleted the {} oldest set-aside deferred changes (at most {} are kept)", pruned, MAX_SET_ASIDE);
    }
    long[] mine;
    try (PreparedStatement ps = tx.c.prepareStatement("SELECT count(*), coalesce(sum(length(change)), 0) FROM"
        + " cfost_deferred WHERE failed IS NULL AND peer IS ?")) {
      ps.setBytes(1, peer);
      mine = size(ps);
    }
    if (mine[0] > MAX_CHANGES || mine[1] > MAX_MIB << 20) {
      throw new InvalidChangeException(-1, "this replica keeps at most " + MAX_CHANGES + " deferred changes ("
          + MAX_MIB + " MiB) per peer for tables or columns it does not know; this batch would make " + mine[0]
          + " (" + (mine[1] >> 20) + " MiB) from " + (peer == null ? "bundles" : "this peer")
          + ": upgrade this replica's schema, then sync again");
    }
    long[] all;
    try (PreparedStatement ps = tx.c.prepareStatement("SELECT count(*), coalesce(sum(length(change)), 0) FROM"
        + " cfost_deferred WHERE failed IS NULL")) {
      all = size(ps);
    }
    if (all[0] > MAX_TOTAL_CHANGES || all[1] > MAX_TOTAL_MIB << 20) {
      throw new InvalidChangeException(-1, "this replica keeps at most " + MAX_TOTAL_CHANGES + " deferred changes ("
          + MAX_TOTAL_MIB + " MiB) in all for tables or columns it does not know; this batch would make " + all[0]
          + " (" + (all[1] >> 20) + " MiB): upgrade this replica's schema, then sync again");
    }
  }

  private static long[] size(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      rs.next();
      return new long[] {rs.getLong(1), rs.getLong(2)};
    }
  }
}
