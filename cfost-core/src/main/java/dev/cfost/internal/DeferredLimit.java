package dev.cfost.internal;

import dev.cfost.InvalidChangeException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Bounds {@code cfost_deferred}: a peer that claims a newer schema makes this replica keep its changes for
 * tables and columns it does not know, and without a bound it could fill the disk. Checked inside the merge
 * transaction after a batch's changes were set aside: past the bound the whole batch is refused (its
 * transaction rolls back, the cursor stays), so nothing is lost silently; the peer retries after an upgrade.
 */
final class DeferredLimit {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(DeferredLimit.class);
  static final long MAX_CHANGES = 100_000;
  static final long MAX_BYTES = 64L << 20;

  private DeferredLimit() {}

  /** Set-aside changes kept for inspection (failed once their schema arrived); the oldest go beyond it. */
  static final long MAX_SET_ASIDE = 10_000;

  static void check(WriteTx tx) throws SQLException {
    long count;
    long bytes;
    // Changes set aside (failed) wait for nothing: they count in a bound of their own, so that they can
    // never stop this replica from keeping aside what a newer peer sends.
    long pruned = Sql.queryLong(tx.c, "SELECT count(*) FROM cfost_deferred WHERE failed IS NOT NULL") - MAX_SET_ASIDE;
    if (pruned > 0) {
      Sql.exec(tx.c, "DELETE FROM cfost_deferred WHERE id IN (SELECT id FROM cfost_deferred WHERE failed IS NOT NULL"
          + " ORDER BY id LIMIT " + pruned + ")");
      log.warn("deleted the {} oldest set-aside deferred changes (at most {} are kept)", pruned, MAX_SET_ASIDE);
    }
    try (PreparedStatement ps = tx.c.prepareStatement("SELECT count(*), coalesce(sum(length(change)), 0) FROM"
        + " cfost_deferred WHERE failed IS NULL");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      count = rs.getLong(1);
      bytes = rs.getLong(2);
    }
    if (count > MAX_CHANGES || bytes > MAX_BYTES) {
      throw new InvalidChangeException(-1, "this replica keeps at most " + MAX_CHANGES + " deferred changes ("
          + (MAX_BYTES >> 20) + " MiB) for tables or columns it does not know; this batch would make " + count
          + " (" + (bytes >> 20) + " MiB): upgrade this replica's schema, then sync again");
    }
  }
}
