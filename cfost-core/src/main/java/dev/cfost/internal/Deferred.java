package dev.cfost.internal;

import dev.cfost.ClockDriftException;
import dev.cfost.Change;
import dev.cfost.ChangeJson;
import dev.cfost.InvalidChangeException;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Changes for tables or columns this replica does not know yet, received from a peer that runs a newer
 * schema: stored as they came with the peer that sent them, merged once the schema catches up; bounded
 * per peer and dropped after {@value DeferredLimit#EXPIRY_DAYS} days of waiting (see {@link DeferredLimit}).
 *
 * <p>A deferred change was checked on arrival as far as the schema then allowed. One that still fails
 * when its table or column arrives (a key that does not fit the table, a NOT NULL or CHECK constraint of
 * the local schema) is set aside: kept with the reason in {@code cfost_deferred.failed}, logged, never
 * retried, and never allowed to fail the transaction that retries the others. Retries run in the
 * engine's write transactions (schema change, {@code replicate}, {@code addColumn}), so a change that
 * failed them would otherwise fail every later write and every open.
 */
final class Deferred {
  private static final Logger log = LoggerFactory.getLogger(Deferred.class);
  private static final int CHUNK = 1_000;
  private static final String SAVEPOINT = "cfost_deferred_retry";

  private Deferred() {}

  /** Keeps changes aside, as sent by {@code peer} (a site id, or null for a bundle) at {@code at} (ms). */
  static void store(WriteTx tx, List<Change> changes, byte[] peer, long at) throws SQLException {
    PreparedStatement ps = tx.prepare("INSERT INTO cfost_deferred(tbl, change, peer, at) VALUES (?, ?, ?, ?)");
    for (Change c : changes) {
      ps.setString(1, c.table());
      ps.setString(2, ChangeJson.write(c));
      ps.setBytes(3, peer);
      ps.setLong(4, at);
      ps.executeUpdate();
    }
  }

  /** How many deferred changes were set aside. */
  static long failed(Connection c) throws SQLException {
    return Sql.queryLong(c, "SELECT count(*) FROM cfost_deferred WHERE failed IS NOT NULL");
  }

  /** Merges the deferred changes that the current schema knows; returns how many were merged. */
  static int retry(WriteTx tx, Map<String, TableSpec> specs, HybridClock hlc) throws SQLException {
    int merged = 0;
    long after = 0;
    while (true) {
      List<Long> ids = new ArrayList<>();
      List<Change> ready = new ArrayList<>();
      Map<Long, String> unreadable = new LinkedHashMap<>();
      int read = 0;
      try (PreparedStatement ps = tx.c.prepareStatement(
          "SELECT id, change FROM cfost_deferred WHERE id > ? AND failed IS NULL ORDER BY id LIMIT " + CHUNK)) {
        ps.setLong(1, after);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            read++;
            after = rs.getLong(1);
            Change c;
            try {
              c = ChangeJson.read(rs.getString(2), 0);
            } catch (InvalidChangeException e) { // stored by this engine: only a damaged row gets here
              unreadable.put(after, e.getMessage());
              continue;
            }
            TableSpec spec = specs.get(c.table());
            // A key column named as cid is ready too: the validator then refuses it, and it is set aside.
            if (spec != null && (c.isSentinel() || spec.ordinal(c.cid()) > 0 || spec.keyColumns.contains(c.cid()))) {
              ids.add(after);
              ready.add(c);
            }
          }
        }
      }
      for (Map.Entry<Long, String> e : unreadable.entrySet()) {
        setAside(tx, e.getKey(), null, e.getValue());
      }
      if (!ready.isEmpty()) {
        merged += merge(tx, ids, ready, specs, hlc);
        tx.otherWrites |= merged > 0; // changes another peer (or a bundle) sent, merged in this transaction
      }
      if (read < CHUNK) {
        return merged;
      }
    }
  }

  /**
   * Validates and merges one chunk; each change refused or each row failing at write is set aside alone.
   * Returns how many changes were merged.
   */
  private static int merge(WriteTx tx, List<Long> ids, List<Change> ready, Map<String, TableSpec> specs,
      HybridClock hlc) throws SQLException {
    // By row (table and canonical key), in their order: a row is the unit that merges or fails.
    Map<List<Object>, List<ChangeValidator.Checked>> rows = new LinkedHashMap<>();
    Map<List<Object>, List<Long>> rowIds = new LinkedHashMap<>();
    for (int k = 0; k < ready.size(); k++) {
      ChangeValidator.Checked checked;
      try {
        checked = ChangeValidator.check(List.of(ready.get(k)), 0, specs, hlc).get(0);
      } catch (InvalidChangeException e) {
        setAside(tx, ids.get(k), ready.get(k), e.getMessage());
        continue;
      } catch (ClockDriftException e) {
        continue; // this replica's wall clock stepped back since the change arrived: it waits
      }
      List<Object> row = List.of(checked.spec().name, ByteBuffer.wrap(checked.pk()));
      rows.computeIfAbsent(row, r -> new ArrayList<>()).add(checked);
      rowIds.computeIfAbsent(row, r -> new ArrayList<>()).add(ids.get(k));
    }
    if (rows.isEmpty()) {
      return 0;
    }
    List<ChangeValidator.Checked> all = new ArrayList<>();
    rows.values().forEach(all::addAll);
    int merged = 0;
    if (applyIsolated(tx, all) == null) {
      merged = all.size();
      deleteAll(tx, rowIds.values());
    } else {
      // Something failed: row by row, so that only the failing rows are set aside.
      for (Map.Entry<List<Object>, List<ChangeValidator.Checked>> e : rows.entrySet()) {
        List<Long> rowChangeIds = rowIds.get(e.getKey());
        String failure = applyIsolated(tx, e.getValue());
        if (failure == null) {
          merged += e.getValue().size();
          deleteAll(tx, List.of(rowChangeIds));
        } else {
          for (int k = 0; k < rowChangeIds.size(); k++) {
            setAside(tx, rowChangeIds.get(k), e.getValue().get(k).change(), failure);
          }
        }
      }
    }
    return merged;
  }

  /**
   * Merges changes inside a savepoint; returns null, or the reason they were rolled back. Only a
   * constraint of the local schema (SQLITE_CONSTRAINT, SQLITE_MISMATCH) is the changes' fault; any other
   * error (disk full, say) propagates and fails the transaction.
   */
  private static String applyIsolated(WriteTx tx, List<ChangeValidator.Checked> changes) throws SQLException {
    int rowsBefore = tx.rows.size();
    Set<String> tablesBefore = new LinkedHashSet<>(tx.tables);
    Sql.exec(tx.c, "SAVEPOINT " + SAVEPOINT);
    try {
      Merger.apply(tx, changes);
      Sql.exec(tx.c, "RELEASE " + SAVEPOINT);
      return null;
    } catch (SQLException e) {
      int code = e.getErrorCode() & 0xff;
      Sql.exec(tx.c, "ROLLBACK TO " + SAVEPOINT);
      Sql.exec(tx.c, "RELEASE " + SAVEPOINT);
      // What the rolled-back merge left in memory: unwritten rows, new sites, the commit's event rows.
      tx.discardBatched();
      tx.sites.reload();
      tx.rows.subList(rowsBefore, tx.rows.size()).clear();
      tx.tables.retainAll(tablesBefore);
      if (code != 19 && code != 20) {
        throw e;
      }
      return e.getMessage();
    }
  }

  private static void setAside(WriteTx tx, long id, Change c, String reason) throws SQLException {
    if (c == null) {
      log.warn("deferred change #{} is unreadable and set aside: {}", id, reason);
    } else {
      log.warn("a deferred change for table '{}' (cid '{}', pk {}) is set aside and will not be applied: {}",
          c.table(), c.cid(), dev.cfost.Values.hex(c.pk()), reason);
    }
    PreparedStatement ps = tx.prepare("UPDATE cfost_deferred SET failed = ? WHERE id = ?");
    ps.setString(1, reason == null ? "failed" : reason);
    ps.setLong(2, id);
    ps.executeUpdate();
  }

  private static void deleteAll(WriteTx tx, Iterable<List<Long>> ids) throws SQLException {
    PreparedStatement del = tx.prepare("DELETE FROM cfost_deferred WHERE id = ?");
    for (List<Long> group : ids) {
      for (long id : group) {
        del.setLong(1, id);
        del.executeUpdate();
      }
    }
  }
}
