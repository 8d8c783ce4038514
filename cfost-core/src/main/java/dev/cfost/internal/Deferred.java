package dev.cfost.internal;

import dev.cfost.Change;
import dev.cfost.ChangeJson;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Changes for tables or columns this replica does not know yet, received from a peer that runs a newer
 * schema: stored as they came, merged once the schema catches up, never dropped.
 */
final class Deferred {
  private static final int CHUNK = 1_000;

  private Deferred() {}

  static void store(WriteTx tx, List<Change> changes) throws SQLException {
    PreparedStatement ps = tx.prepare("INSERT INTO cfost_deferred(tbl, change) VALUES (?, ?)");
    for (Change c : changes) {
      ps.setString(1, c.table());
      ps.setString(2, ChangeJson.write(c));
      ps.executeUpdate();
    }
  }

  static long count(WriteTx tx) throws SQLException {
    return Sql.queryLong(tx.c, "SELECT count(*) FROM cfost_deferred");
  }

  /** Merges the deferred changes that the current schema knows; returns how many were merged. */
  static int retry(WriteTx tx, Map<String, TableSpec> specs, HybridClock hlc) throws SQLException {
    int merged = 0;
    long after = 0;
    while (true) {
      List<Long> ids = new ArrayList<>();
      List<Change> ready = new ArrayList<>();
      try (PreparedStatement ps = tx.c.prepareStatement(
          "SELECT id, change FROM cfost_deferred WHERE id > ? ORDER BY id LIMIT " + CHUNK)) {
        ps.setLong(1, after);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            after = rs.getLong(1);
            Change c = ChangeJson.read(rs.getString(2), 0);
            TableSpec spec = specs.get(c.table());
            if (spec != null && (c.isSentinel() || spec.ordinal(c.cid()) > 0)) {
              ids.add(after);
              ready.add(c);
            }
          }
        }
      }
      if (ids.isEmpty() && after == 0) {
        return merged;
      }
      if (!ready.isEmpty()) {
        List<ChangeValidator.Checked> checked = ChangeValidator.check(ready, 0, specs, hlc);
        Merger.apply(tx, checked);
        try (PreparedStatement del = tx.c.prepareStatement("DELETE FROM cfost_deferred WHERE id = ?")) {
          for (long id : ids) {
            del.setLong(1, id);
            del.executeUpdate();
          }
        }
        merged += ready.size();
      }
      if (Sql.queryLong(tx.c, "SELECT count(*) FROM cfost_deferred WHERE id > ?", after) == 0) {
        return merged;
      }
    }
  }
}
