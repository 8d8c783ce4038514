package dev.cfost.internal;

import static dev.cfost.internal.Sql.id;

import dev.cfost.Change;
import dev.cfost.CfostException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The replicated tables: making a table replicated (with the checks that explain a refusal), loading
 * their {@link TableSpec}s, and following columns added to them.
 *
 * <p>Guarded by the engine's write lock; the map is replaced, never mutated, so readers may use a
 * snapshot of {@link #specs()}.
 */
final class Tables {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Tables.class);

  /** What is loaded: the replicated tables' specs, and the replicated tables that do not exist now. */
  record State(Map<String, TableSpec> specs, java.util.Set<String> dormant) {}

  private volatile State state = new State(Map.of(), java.util.Set.of());

  Map<String, TableSpec> specs() {
    return state.specs;
  }

  /**
   * Replicated tables that do not exist now (dropped or renamed by the application): their clocks stay,
   * and a table created again under the name resumes replication.
   */
  java.util.Set<String> dormant() {
    return state.dormant;
  }

  State state() {
    return state;
  }

  /** Puts back what was loaded before a transaction that rolled back. */
  void restore(State before) {
    state = before;
    revived.clear();
  }

  /** A column of a table as {@code PRAGMA table_xinfo} describes it. */
  record Column(String name, String type, boolean notNull, String dflt, int pk, int hidden) {}

  static List<Column> columns(Connection c, String table) throws SQLException {
    List<Column> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT name, type, \"notnull\", dflt_value, pk, hidden"
        + " FROM pragma_table_xinfo(?)")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Column(rs.getString(1), rs.getString(2), rs.getInt(3) != 0, rs.getString(4), rs.getInt(5),
              rs.getInt(6)));
        }
      }
    }
    return out;
  }

  /**
   * Loads the specs of all replicated tables and follows what the application changed with plain SQL:
   * columns added, renamed or gone; a table dropped, renamed away, or created again.
   */
  void load(WriteTx tx) throws SQLException {
    Map<String, TableSpec> loaded = new LinkedHashMap<>();
    List<String> names = new ArrayList<>();
    try (PreparedStatement ps = tx.c.prepareStatement("SELECT name FROM cfost_tables ORDER BY name");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    java.util.Set<String> away = new java.util.TreeSet<>();
    for (String name : names) {
      TableSpec spec = follow(tx, name);
      if (spec != null) {
        loaded.put(name, spec);
      } else {
        away.add(name);
      }
    }
    for (String name : away) {
      if (specs().containsKey(name) || !dormant().contains(name)) {
        log.warn("replicated table '{}' no longer exists (dropped or renamed); it is not replicated until a table"
            + " of that name exists again, and changes for it from other devices are kept aside until then", name);
      }
    }
    state = new State(Collections.unmodifiableMap(loaded), Collections.unmodifiableSet(away));
  }

  /** The spec of a replicated table, following the application's plain-SQL schema changes. */
  private TableSpec follow(WriteTx tx, String table) throws SQLException {
    List<Column> cols = columns(tx.c, table);
    TableSpec former = specs().get(table);
    if (cols.isEmpty()) {
      // Dropped, or renamed away: a renamed table took the capture triggers along (SQLite moves them),
      // and they would go on logging into this table's log. They go; the clocks stay.
      TableSpec unused = former != null ? former : new TableSpec(table, List.of(), List.of(), List.of());
      for (String sql : unused.dropTriggers()) {
        Sql.exec(tx.c, sql);
      }
      return null;
    }
    List<String> all = new ArrayList<>(); // index i: the column with ordinal i + 1
    List<Integer> states = new ArrayList<>();
    java.util.Set<String> aliases = new java.util.HashSet<>();
    try (PreparedStatement ps = tx.c.prepareStatement(
        "SELECT name, dropped, ord FROM cfost_columns WHERE tbl = ? ORDER BY ord")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (rs.getInt(3) == 0) {
            aliases.add(rs.getString(1));
          } else {
            all.add(rs.getString(1));
            states.add(rs.getInt(2));
          }
        }
      }
    }
    List<Column> keys = keyColumns(cols);
    int clockKeys = clockKeyCount(tx, table);
    if (clockKeys != keys.size()) {
      log.error("replicated table '{}' was created again with a primary key of {} columns instead of {}; it is not"
          + " replicated (create it with its former primary key, or under another name)", table, keys.size(), clockKeys);
      return null;
    }
    Map<String, Column> present = new LinkedHashMap<>();
    for (Column col : cols) {
      if (col.pk == 0 && col.hidden == 0) {
        if (Change.SENTINEL.equals(col.name)) {
          // Its cells would look like sentinels with a value, which every receiver refuses.
          log.error("column '-1' of replicated table '{}' is not replicated: the name is the sentinel's", table);
          continue;
        }
        present.put(col.name, col);
      }
    }
    boolean changed = false;
    List<String> renamed = new ArrayList<>();
    // Renamed columns: SQLite keeps a renamed column in its place, so the live columns (in ordinal order,
    // as ADD COLUMN appends) and the table's columns are walked side by side. A renamed column keeps its
    // ordinal and its cells' clocks, so the same rename made on every device loses no edit; its old name
    // stays as an alias, so that changes for it from devices that have not renamed yet are kept aside.
    List<String> now = new ArrayList<>(present.keySet());
    int p = 0;
    for (int i = 0; i < all.size() && p < now.size(); i++) {
      if (states.get(i) != LIVE) {
        continue;
      }
      String was = all.get(i);
      String is = now.get(p);
      if (!was.equals(is)) {
        if (present.containsKey(was) || all.contains(is)) {
          break; // not a rename: the columns below are matched by name
        }
        rename(tx, table, was, is, aliases);
        all.set(i, is);
        renamed.add(is);
        changed = true;
      }
      p++;
    }
    boolean[] gone = new boolean[all.size()];
    for (int i = 0; i < all.size(); i++) {
      String name = all.get(i);
      gone[i] = !present.containsKey(name);
      int state = states.get(i);
      if (gone[i] && state == LIVE) {
        setDropped(tx, table, name, GONE); // the table was created again without it
        changed = true;
      } else if (!gone[i] && state != LIVE) {
        // Back again (added after dropColumn, or the table created again with it): this device's values
        // for it may differ from the other devices', so every live row's cell is written anew, after the
        // changes kept aside for it have merged (see stampRevived).
        setDropped(tx, table, name, LIVE);
        aliases.remove(name);
        revived.add(List.of(table, name));
        changed = true;
      }
    }
    List<Column> added = new ArrayList<>();
    for (Column col : present.values()) {
      if (!all.contains(col.name)) {
        added.add(col);
      }
    }
    TableSpec old = spec(table, keys, all, gone, aliases);
    boolean recreated = !hasTriggers(tx.c, old);
    if (added.isEmpty() && !changed && !recreated) {
      ensureTriggers(tx.c, old);
      return old;
    }
    for (Column col : added) {
      all.add(col.name);
      removeAlias(tx, table, col.name, aliases);
      try (PreparedStatement ps = tx.c.prepareStatement("INSERT INTO cfost_columns(tbl, name, ord) VALUES (?, ?, ?)")) {
        ps.setString(1, table);
        ps.setString(2, col.name);
        ps.setLong(3, all.size());
        ps.executeUpdate();
      }
      for (String cell : TableSpec.cellColumnList(all.size())) {
        Sql.exec(tx.c, "ALTER TABLE " + id(old.clock) + " ADD COLUMN " + cell);
      }
    }
    TableSpec spec = spec(table, keys, all, java.util.Arrays.copyOf(gone, all.size()), aliases);
    for (int m = logMaskCount(tx, spec); m < spec.maskCount(); m++) {
      Sql.exec(tx.c, "ALTER TABLE " + id(spec.log) + " ADD COLUMN m" + m + " INTEGER");
    }
    installTriggers(tx.c, spec, true);
    if (recreated) {
      // Created again (or renamed back): writes made since had no triggers to log them. What the table
      // holds now becomes this device's write: every row present is written anew, every row the clocks
      // hold as alive but missing is deleted. The pending capture stamps them.
      log.warn("replicated table '{}' was created again; its current rows are taken as this device's writes", table);
      Sql.exec(tx.c, "INSERT INTO " + id(spec.log) + "(op, " + spec.keyList("k") + ") SELECT 1, "
          + spec.rowKeys("b") + " FROM " + id(table) + " b");
      Sql.exec(tx.c, "INSERT INTO " + id(spec.log) + "(op, " + spec.keyList("k") + ") SELECT 3, "
          + spec.keyList("c.k") + " FROM " + id(spec.clock) + " c WHERE c.cl % 2 = 1 AND NOT EXISTS (SELECT 1 FROM "
          + id(table) + " b WHERE " + clockMatchesBase(spec) + ")");
      return spec;
    }
    // Rows written after the ALTER and before the triggers knew the column: any value other than the
    // column's default was written since, so it is a local edit of that cell.
    for (Column col : added) {
      stampNonDefault(tx, spec, col.name, col.dflt, true);
    }
    for (String name : renamed) {
      streamAgain(tx, spec, name);
    }
    return spec;
  }

  /**
   * Moves every written cell of a renamed column to this transaction's stream position, its clock
   * (col_version, site) unchanged: receivers and relays (the server) have it under the old name only, and
   * a device that renames later would never send it again. A receiver that renamed too merges it as
   * the same value; one that has not keeps it aside until it does.
   */
  private static void streamAgain(WriteTx tx, TableSpec spec, String column) throws SQLException {
    int i = spec.ordinal(column) - 1;
    ClockStore store = tx.store(spec);
    long dbv = tx.dbVersion();
    while (true) {
      List<List<Object>> keys = new ArrayList<>();
      try (PreparedStatement ps = tx.c.prepareStatement("SELECT " + spec.keyList("k") + " FROM " + id(spec.clock)
          + " WHERE d" + (i + 1) + " > 0 AND d" + (i + 1) + " < ? AND cl % 2 = 1 LIMIT 1000")) {
        ps.setLong(1, dbv);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            keys.add(ClockStore.readKey(rs, 1, spec.keyCount()));
          }
        }
      }
      if (keys.isEmpty()) {
        return;
      }
      tx.otherWrites = true; // cells no merged batch brought, which peers need under the new name
      for (List<Object> key : keys) {
        ClockRow row = store.load(key);
        row.stampCell(i, row.v[i], dbv, row.s[i], tx.nextSeq());
        store.store(row);
      }
    }
  }

  /** cfost_columns.dropped: a live column; one gone from the table; one dropped by {@code dropColumn}. */
  static final int LIVE = 0;
  static final int GONE = 1;
  static final int DROPPED = 2;

  /** (table, column) of columns back again, whose cells {@link #stampRevived} writes anew; guarded by the lock. */
  private final List<List<String>> revived = new ArrayList<>();

  /**
   * Writes anew every live row's cell of the columns that came back since the last call. Called after the
   * changes kept aside for them have merged, so those are not overwritten by this device's defaults.
   */
  void stampRevived(WriteTx tx) throws SQLException {
    for (List<String> tc : revived) {
      TableSpec spec = specs().get(tc.get(0));
      if (spec != null && spec.ordinal(tc.get(1)) > 0) {
        stampNonDefault(tx, spec, tc.get(1), null, false);
      }
    }
    revived.clear();
  }

  private static void rename(WriteTx tx, String table, String was, String is, java.util.Set<String> aliases)
      throws SQLException {
    removeAlias(tx, table, is, aliases);
    try (PreparedStatement ps = tx.c.prepareStatement("UPDATE cfost_columns SET name = ? WHERE tbl = ? AND name = ?")) {
      ps.setString(1, is);
      ps.setString(2, table);
      ps.setString(3, was);
      ps.executeUpdate();
    }
    try (PreparedStatement ps = tx.c.prepareStatement(
        "INSERT OR IGNORE INTO cfost_columns(tbl, name, ord, dropped) VALUES (?, ?, 0, 3)")) {
      ps.setString(1, table);
      ps.setString(2, was);
      ps.executeUpdate();
    }
    aliases.add(was);
    log.info("column '{}' of replicated table '{}' was renamed to '{}'; its cells keep their clocks", was, table, is);
  }

  private static void removeAlias(WriteTx tx, String table, String name, java.util.Set<String> aliases)
      throws SQLException {
    if (aliases.remove(name)) {
      try (PreparedStatement ps = tx.c.prepareStatement("DELETE FROM cfost_columns WHERE tbl = ? AND name = ? AND ord = 0")) {
        ps.setString(1, table);
        ps.setString(2, name);
        ps.executeUpdate();
      }
    }
  }

  /**
   * Drops a column of a replicated table: SQLite refuses while the capture triggers name it, so they go
   * first and come back without it. Its ordinal is marked dropped; its clocks stay, unused.
   */
  void dropColumn(WriteTx tx, String table, String column) throws SQLException {
    TableSpec spec = specs().get(table);
    if (spec == null) {
      throw new CfostException("table '" + table + "' is not replicated");
    }
    int ord = spec.ordinal(column);
    for (String sql : spec.dropTriggers()) {
      Sql.exec(tx.c, sql);
    }
    Sql.exec(tx.c, "ALTER TABLE " + id(table) + " DROP COLUMN " + id(column)); // SQLite's refusal names the reason
    setDropped(tx, table, column, DROPPED);
    boolean[] gone = new boolean[spec.columns.size()];
    for (int i = 0; i < gone.length; i++) {
      gone[i] = !spec.live(i) || i == ord - 1;
    }
    installTriggers(tx.c, new TableSpec(table, spec.keyColumns, spec.keyTypes, spec.columns, gone), false);
  }

  private static String clockMatchesBase(TableSpec spec) {
    StringBuilder sb = new StringBuilder();
    for (int k = 0; k < spec.keyCount(); k++) {
      sb.append(k == 0 ? "" : " AND ").append("b.").append(id(spec.keyColumns.get(k))).append(" = c.k").append(k);
    }
    return sb.toString();
  }

  private static void setDropped(WriteTx tx, String table, String column, int state) throws SQLException {
    try (PreparedStatement ps = tx.c.prepareStatement("UPDATE cfost_columns SET dropped = ? WHERE tbl = ? AND name = ?"
        + " AND ord > 0")) {
      ps.setInt(1, state);
      ps.setString(2, table);
      ps.setString(3, column);
      ps.executeUpdate();
    }
  }

  /** How many key columns the table's clock table has (k0, k1, ...). */
  private static int clockKeyCount(WriteTx tx, String table) throws SQLException {
    return (int) Sql.queryLong(tx.c, "SELECT count(*) FROM pragma_table_info(?) WHERE name GLOB 'k[0-9]*'",
        "cfost__clock_" + table);
  }

  /** How many mask columns (m0, m1, ...) the table's log has. */
  private static int logMaskCount(WriteTx tx, TableSpec spec) throws SQLException {
    return (int) Sql.queryLong(tx.c, "SELECT count(*) FROM pragma_table_info(?) WHERE name GLOB 'm[0-9]*'", spec.log);
  }

  /** Whether the table has its insert trigger: a table created again (or renamed back) has none. */
  private static boolean hasTriggers(Connection c, TableSpec spec) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT 1 FROM sqlite_schema WHERE type = 'trigger' AND name = ? AND tbl_name = ?")) {
      ps.setString(1, "cfost__ins_" + spec.name);
      ps.setString(2, spec.name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Stamps the column's cell of each live row: with {@code nonDefaultOnly}, of rows not at the default. */
  private static void stampNonDefault(WriteTx tx, TableSpec spec, String column, String dfltSql,
      boolean nonDefaultOnly) throws SQLException {
    int i = spec.ordinal(column) - 1;
    String dflt = dfltSql == null ? "NULL" : "(" + dfltSql + ")";
    ClockStore store = tx.store(spec);
    try (PreparedStatement ps = tx.c.prepareStatement("SELECT " + spec.rowKeys("b") + " FROM " + id(spec.name)
        + " b" + (nonDefaultOnly ? " WHERE b." + id(column) + " IS NOT " + dflt : ""));
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        List<Object> key = ClockStore.readKey(rs, 1, spec.keyCount());
        ClockRow row = store.load(key);
        if (row == null || !row.alive()) {
          continue;
        }
        row.stampCell(i, Math.max(row.v[i] + 1, tx.localStamp()), tx.dbVersion(), 0, tx.nextSeq());
        store.store(row);
        tx.changed(spec.name, key, false);
      }
    }
  }

  private static TableSpec spec(String table, List<Column> keys, List<String> columns, boolean[] gone,
      java.util.Set<String> aliases) {
    List<String> keyNames = new ArrayList<>();
    List<String> keyTypes = new ArrayList<>();
    for (Column k : keys) {
      keyNames.add(k.name);
      keyTypes.add(k.type == null ? "" : k.type); // the declared type gives the clock the same affinity
    }
    return new TableSpec(table, keyNames, keyTypes, columns, gone, aliases);
  }

  static List<Column> keyColumns(List<Column> cols) {
    List<Column> keys = new ArrayList<>();
    for (Column col : cols) {
      if (col.pk > 0) {
        keys.add(col);
      }
    }
    keys.sort((a, b) -> Integer.compare(a.pk, b.pk));
    return keys;
  }

  /** Makes {@code table} replicated; false if it already was. */
  boolean replicate(WriteTx tx, String table) throws SQLException {
    if (specs().containsKey(table)) {
      return false;
    }
    ReplicableCheck.check(tx.c, table);
    List<Column> cols = columns(tx.c, table);
    List<String> names = new ArrayList<>();
    for (Column col : cols) {
      if (col.pk == 0 && col.hidden == 0) {
        names.add(col.name);
      }
    }
    TableSpec spec = spec(table, keyColumns(cols), names, new boolean[names.size()], java.util.Set.of());
    try (PreparedStatement ps = tx.c.prepareStatement("INSERT INTO cfost_tables(name) VALUES (?)")) {
      ps.setString(1, table);
      ps.executeUpdate();
    }
    for (int i = 0; i < names.size(); i++) {
      try (PreparedStatement ps = tx.c.prepareStatement("INSERT INTO cfost_columns(tbl, name, ord) VALUES (?, ?, ?)")) {
        ps.setString(1, table);
        ps.setString(2, names.get(i));
        ps.setLong(3, i + 1);
        ps.executeUpdate();
      }
    }
    Sql.exec(tx.c, spec.createLog());
    Sql.exec(tx.c, spec.createClock());
    Sql.exec(tx.c, spec.createClockIndex());
    installTriggers(tx.c, spec, false);
    // Rows that exist already become changes, as if inserted now.
    Sql.exec(tx.c, "INSERT INTO " + id(spec.log) + "(op, " + spec.keyList("k") + ") SELECT 1, "
        + spec.rowKeys(id(table)) + " FROM " + id(table));
    Map<String, TableSpec> next = new LinkedHashMap<>(specs());
    next.put(table, spec);
    state = new State(Collections.unmodifiableMap(next), state.dormant);
    return true;
  }

  /**
   * Installs the table's triggers where they are missing (the table was dropped and recreated) and
   * replaces them where their text is not this version's (written by an older CFOST).
   */
  private static void ensureTriggers(Connection c, TableSpec spec) throws SQLException {
    java.util.Set<String> have = new java.util.HashSet<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ?")) {
      ps.setString(1, spec.name);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          have.add(rs.getString(1));
        }
      }
    }
    boolean current = true;
    for (String sql : spec.createTriggers()) {
      // SQLite keeps the statement without its IF NOT EXISTS.
      current &= have.contains(sql.replace("CREATE TRIGGER IF NOT EXISTS ", "CREATE TRIGGER "));
    }
    installTriggers(c, spec, !current);
  }

  private static void installTriggers(Connection c, TableSpec spec, boolean replace) throws SQLException {
    if (replace) {
      for (String sql : spec.dropTriggers()) {
        Sql.exec(c, sql);
      }
    }
    for (String sql : spec.createTriggers()) {
      Sql.exec(c, sql);
    }
  }

  /** The replicated tables with a row whose latest change has a db_version above {@code version}. */
  Set<String> changedSince(Connection conn, long version) throws SQLException {
    Set<String> out = new LinkedHashSet<>();
    for (TableSpec spec : specs().values()) {
      try (PreparedStatement ps = conn.prepareStatement("SELECT 1 FROM " + Sql.id(spec.clock) + " WHERE db > ? LIMIT 1")) {
        ps.setLong(1, version);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            out.add(spec.name);
          }
        }
      }
    }
    return out;
  }
}
