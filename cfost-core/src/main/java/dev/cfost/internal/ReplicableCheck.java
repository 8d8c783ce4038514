package dev.cfost.internal;

import dev.cfost.Change;
import dev.cfost.CfostException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** Whether a table can replicate, and if not, why: the checks behind {@code Cfost.replicate}'s refusals. */
final class ReplicableCheck {
  private static final Pattern AUTOINCREMENT = Pattern.compile("\\bAUTOINCREMENT\\b", Pattern.CASE_INSENSITIVE);

  private ReplicableCheck() {}

  static void check(Connection c, String table) throws SQLException {
    if (table.toLowerCase(Locale.ROOT).startsWith("cfost_") || table.toLowerCase(Locale.ROOT).startsWith("sqlite_")) {
      throw new CfostException("table '" + table + "' is an internal table and cannot be replicated");
    }
    String sql;
    try (PreparedStatement ps = c.prepareStatement("SELECT type, sql FROM sqlite_schema WHERE name = ?")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new CfostException("table '" + table + "' does not exist");
        }
        if (!"table".equals(rs.getString(1))) {
          throw new CfostException("'" + table + "' is a " + rs.getString(1) + ", not a table; only tables replicate");
        }
        sql = rs.getString(2);
      }
    }
    if (sql != null && sql.regionMatches(true, 0, "CREATE VIRTUAL", 0, 14)) {
      throw new CfostException("table '" + table + "' is a virtual table; only ordinary tables replicate");
    }
    List<Tables.Column> cols = Tables.columns(c, table);
    List<Tables.Column> keys = Tables.keyColumns(cols);
    if (keys.isEmpty()) {
      throw new CfostException("table '" + table + "' has no primary key; a replicated table needs one, so that"
          + " the same row can be recognised on every device");
    }
    if (sql != null && AUTOINCREMENT.matcher(sql).find()) {
      throw new CfostException("table '" + table + "' uses AUTOINCREMENT; devices would hand out the same ids"
          + " independently and their rows would collide. Use a text (UUID) or composite primary key");
    }
    boolean rowidAlias = keys.size() == 1 && "INTEGER".equalsIgnoreCase(keys.get(0).type())
        && !isWithoutRowid(sql);
    for (Tables.Column k : keys) {
      if (!k.notNull() && !rowidAlias && !isWithoutRowid(sql)) {
        throw new CfostException("primary key column '" + k.name() + "' of table '" + table + "' is nullable; declare"
            + " it NOT NULL (SQLite lets such a key hold NULL, and a NULL key cannot be matched across devices)");
      }
    }
    checkKeyCollations(c, table);
    for (Tables.Column col : cols) {
      if (Change.SENTINEL.equals(col.name())) {
        throw new CfostException("table '" + table + "' has a column named '-1', the name cr-sqlite's changes give"
            + " the row's sentinel; rename it");
      }
      if (col.pk() == 0 && col.hidden() == 0 && col.notNull() && col.dflt() == null) {
        throw new CfostException("column '" + col.name() + "' of table '" + table + "' is NOT NULL without a default;"
            + " give it a DEFAULT, because a row arriving from another device is built one column at a time");
      }
      if (col.hidden() != 0) {
        throw new CfostException("table '" + table + "' has generated column '" + col.name() + "'; generated columns"
            + " are not supported in replicated tables yet");
      }
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT name, origin FROM pragma_index_list(?) WHERE \"unique\" = 1"
        + " AND origin <> 'pk'")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          throw new CfostException("table '" + table + "' has a unique index or constraint (" + rs.getString(1)
              + ") besides its primary key; two devices could each write a row that is valid alone and the merge"
              + " would then fail. Drop it, or make it the primary key");
        }
      }
    }
  }

  /**
   * Refuses a key whose primary-key index collates other than BINARY: the clock table keys rows by the
   * exact value, so keys the collation calls equal ('abc', 'ABC') would be one row here and two rows
   * elsewhere, and the replicas would never converge. An INTEGER PRIMARY KEY (the rowid) has no index.
   */
  private static void checkKeyCollations(Connection c, String table) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT x.name, x.coll FROM pragma_index_list(?) l,"
        + " pragma_index_xinfo(l.name) x WHERE l.origin = 'pk' AND x.key = 1 AND x.cid >= 0"
        + " AND x.coll IS NOT NULL AND upper(x.coll) <> 'BINARY' ORDER BY x.seqno")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          throw new CfostException("primary key column '" + rs.getString(1) + "' of table '" + table + "' uses COLLATE "
              + rs.getString(2) + "; keys the collation calls equal but spelled differently ('abc', 'ABC') would be"
              + " one row here and two rows on other devices. Declare the key with the default BINARY collation"
              + " (normalise the spelling in the application, e.g. lower())");
        }
      }
    }
  }

  private static boolean isWithoutRowid(String sql) {
    return sql != null && Pattern.compile("\\)\\s*WITHOUT\\s+ROWID", Pattern.CASE_INSENSITIVE).matcher(sql).find();
  }
}
