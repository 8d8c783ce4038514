package dev.cfost.internal;

import static dev.cfost.internal.Sql.id;

import dev.cfost.Change;
import dev.cfost.ChangeFilter;
import dev.cfost.InvalidChangeException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The definitions of replicated tables, replicated with the data (docs/ARCHITECTURE.md, "Schema that
 * travels"). They live in {@code cfost_schema(tbl, col, def)}, an engine table replicated like any
 * other: one row per column, {@code def} the column's {@link TableDefinition.Column} as JSON.
 *
 * <p>With schema sync on, a replica writes the rows of each table it replicates (and of each column
 * added since) and, when it merges rows of {@code cfost_schema}, creates the tables and adds the columns
 * they describe, with DDL built locally from validated fields, before it validates the rest of the batch.
 * A definition that contradicts the local table (key columns, their order or type, a column's type
 * affinity) refuses the batch. A row of {@code cfost_schema} is never overwritten by its own replica, so
 * two replicas that defined a table alike do not trade rows back and forth.
 *
 * <p>Used under the engine's write lock only.
 */
final class SchemaDefinitions {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(SchemaDefinitions.class);
  static final String TABLE = "cfost_schema";

  private final Tables tables;
  private final boolean enabled;
  /** Tables whose definition cannot travel, with their columns when that was found; under the engine's lock. */
  private final Map<String, List<String>> cannotTravel = new java.util.HashMap<>();

  SchemaDefinitions(Tables tables, boolean enabled) {
    this.tables = tables;
    this.enabled = enabled;
  }

  boolean enabled() {
    return enabled;
  }

  /** Engine schema 4: creates {@code cfost_schema} and registers it as a replicated table. */
  static void install(Connection c) throws SQLException {
    Sql.exec(c, "CREATE TABLE " + TABLE + "(tbl TEXT NOT NULL, col TEXT NOT NULL, def TEXT,"
        + " PRIMARY KEY(tbl, col)) WITHOUT ROWID");
    Sql.exec(c, "INSERT INTO cfost_tables(name) VALUES ('" + TABLE + "')");
    Sql.exec(c, "INSERT INTO cfost_columns(tbl, name, ord) VALUES ('" + TABLE + "', 'def', 1)");
    TableSpec spec = new TableSpec(TABLE, List.of("tbl", "col"), List.of("TEXT", "TEXT"), List.of("def"));
    Sql.exec(c, spec.createLog());
    Sql.exec(c, spec.createClock());
    Sql.exec(c, spec.createClockIndex());
    // Installed now: a replicated table without its triggers would be taken as one created again.
    for (String sql : spec.createTriggers()) {
      Sql.exec(c, sql);
    }
  }

  /** The application's replicated tables: all but the definitions' own table. */
  static List<String> applicationTables(Iterable<String> names) {
    List<String> out = new ArrayList<>();
    for (String n : names) {
      if (!TABLE.equals(n)) {
        out.add(n);
      }
    }
    return out;
  }

  /**
   * The reader's filter: a list of tables reads the definitions only if it lists {@code cfost_schema},
   * and then only those of the listed tables (so a cr-sqlite peer, given its tables, gets none).
   */
  static ChangeFilter readerFilter(ChangeFilter filter) {
    if (filter.tables() == null || !filter.tables().contains(TABLE) || filter.rowFilters().containsKey(TABLE)) {
      return filter;
    }
    StringBuilder in = new StringBuilder("tbl IN (");
    boolean first = true;
    for (String t : filter.tables()) {
      if (!TABLE.equals(t)) {
        in.append(first ? "" : ", ").append(TableDefinition.literal(t));
        first = false;
      }
    }
    return filter.withRowFilter(TABLE, first ? "0" : in.append(')').toString());
  }

  // ---- writing this replica's definitions ----

  /**
   * Writes the rows of columns of the replicated tables that {@code cfost_schema} lacks, and stamps them
   * (before the caller captures the tables' rows, so that within one db_version they come first).
   */
  void publish(WriteTx tx, Iterable<String> names) throws SQLException {
    if (!enabled) {
      return;
    }
    boolean wrote = false;
    for (String table : names) {
      if (TABLE.equals(table)) {
        continue;
      }
      Set<String> known = publishedColumns(tx.c, table);
      List<String> columns = columnNames(tx.c, table);
      if (known.containsAll(columns)) {
        continue;
      }
      if (columns.equals(cannotTravel.get(table))) {
        continue; // said already; describing it again would scan the table again
      }
      TableDefinition.Local local = TableDefinition.describe(tx.c, table, true);
      if (local == null) {
        continue;
      }
      if (local.problem() != null) {
        log.warn("the definition of table '{}' does not travel with its rows ({}); create it on each device", table,
            local.problem());
        cannotTravel.put(table, columns);
        continue;
      }
      PreparedStatement ps = tx.prepare("INSERT INTO " + TABLE + "(tbl, col, def) VALUES (?, ?, ?)");
      for (TableDefinition.Column col : local.columns()) {
        if (!known.contains(col.name())) {
          ps.setString(1, table);
          ps.setString(2, col.name());
          ps.setString(3, col.toJson());
          ps.executeUpdate();
          wrote = true;
        }
      }
    }
    if (wrote) {
      Capture.run(tx, tables.specs().get(TABLE));
    }
  }

  private static Set<String> publishedColumns(Connection c, String table) throws SQLException {
    Set<String> out = new HashSet<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT col FROM " + TABLE + " WHERE tbl = ?")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  private static List<String> columnNames(Connection c, String table) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT name FROM pragma_table_xinfo(?)")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  // ---- merging definitions ----

  /**
   * Validates the chunk's changes of {@code cfost_schema}, merges them, and (schema sync on) applies the
   * definitions they touch to the local schema; the caller then validates the whole chunk against the
   * updated specs (merging these changes again changes nothing). Returns how many changes won.
   */
  int mergeFirst(WriteTx tx, List<Change> chunk, int offset, HybridClock hlc) throws SQLException {
    List<ChangeValidator.Checked> checked = new ArrayList<>();
    Map<String, Integer> touched = new LinkedHashMap<>(); // table -> index of its first definition change
    Map<String, List<TableDefinition.Column>> incoming = new java.util.HashMap<>();
    for (int j = 0; j < chunk.size(); j++) {
      Change c = chunk.get(j);
      if (c == null || !TABLE.equals(c.table())) {
        continue;
      }
      int i = offset + j;
      ChangeValidator.Checked ok = ChangeValidator.check(List.of(c), i, tables.specs(), hlc).get(0);
      String tbl = ok.key().get(0) instanceof String s ? s : null;
      String col = ok.key().get(1) instanceof String s ? s : null;
      if (tbl == null || col == null) {
        throw new InvalidChangeException(i, "a definition's key (table, column) must be two texts");
      }
      try {
        if (c.isSentinel()) {
          String bad = TableDefinition.badName("table", tbl);
          if (bad != null) {
            throw new IllegalArgumentException(bad);
          }
        } else {
          incoming.computeIfAbsent(tbl, t -> new ArrayList<>()).add(TableDefinition.parse(tbl, col, c.val()));
        }
      } catch (IllegalArgumentException e) {
        throw new InvalidChangeException(i, "definition of column '" + TableDefinition.printable(col) + "' of table '"
            + TableDefinition.printable(tbl) + "' refused: " + e.getMessage());
      }
      checked.add(ok);
      touched.putIfAbsent(tbl, i);
    }
    if (checked.isEmpty()) {
      return 0;
    }
    int applied = Merger.apply(tx, checked);
    if (enabled) {
      boolean changed = false;
      for (Map.Entry<String, Integer> e : touched.entrySet()) {
        changed |= apply(tx, e.getKey(), e.getValue(), incoming.getOrDefault(e.getKey(), List.of()));
      }
      if (changed) {
        Deferred.retry(tx, tables.specs(), hlc);
        tables.stampRevived(tx);
      }
    }
    return applied;
  }

  /**
   * Brings the local table in line with its merged definition; true if the schema changed. The peer's
   * own definitions ({@code incoming}) are checked against the local table too: they may have lost the
   * merge to this replica's rows, and a conflict must be reported whichever row wins.
   */
  private boolean apply(WriteTx tx, String table, int index, List<TableDefinition.Column> incoming)
      throws SQLException {
    List<TableDefinition.Column> def = load(tx.c, table);
    if (def.isEmpty()) {
      return false;
    }
    TableDefinition.Local local = TableDefinition.describe(tx.c, table, false);
    if (local == null && tables.dormant().contains(table)) {
      return false; // dropped or renamed away here by the application: a peer's definition does not undo that
    }
    if (local == null) {
      String create = TableDefinition.createTable(table, def);
      if (create == null) {
        return false; // its key columns have not all arrived yet; their rows wait in cfost_deferred
      }
      try {
        Sql.exec(tx.c, create);
        tables.replicate(tx, table);
      } catch (SQLException | dev.cfost.CfostException e) {
        // Say which definition could not be applied (say, a local index of that name), not only SQLite's words.
        throw new InvalidChangeException(index, "cannot create table '" + table + "' from a peer's definition: "
            + e.getMessage());
      }
      log.info("created replicated table '{}' from the definition received from a peer", table);
      compatible(index, table, incoming, TableDefinition.describe(tx.c, table, false));
      return true;
    }
    if (!tables.specs().containsKey(table)) {
      throw new InvalidChangeException(index, "table '" + table + "' exists here but is not replicated; a peer"
          + " defines it as a replicated table. Replicate it here, or rename the local one");
    }
    compatible(index, table, incoming, local);
    List<TableDefinition.Column> added = compatible(index, table, def, local);
    // A column renamed or dropped here by the application is not added back from its old definition.
    TableSpec spec = tables.specs().get(table);
    added.removeIf(d -> spec.isGone(d.name()));
    if (added.isEmpty()) {
      return false;
    }
    added.sort(java.util.Comparator.comparingInt(TableDefinition.Column::pos));
    for (TableDefinition.Column d : added) {
      Sql.exec(tx.c, "ALTER TABLE " + id(table) + " ADD COLUMN " + d.ddl());
      log.info("added column '{}' to replicated table '{}' from the definition received from a peer", d.name(), table);
    }
    tables.load(tx);
    return true;
  }

  /** Throws if a column of {@code def} contradicts the local table; returns the columns it lacks. */
  private static List<TableDefinition.Column> compatible(int index, String table, List<TableDefinition.Column> def,
      TableDefinition.Local local) {
    List<TableDefinition.Column> localKeys = TableDefinition.keys(local.columns());
    List<TableDefinition.Column> added = new ArrayList<>();
    for (TableDefinition.Column d : def) {
      TableDefinition.Column mine = local.column(d.name());
      if (d.key() > 0) {
        TableDefinition.Column atPosition = d.key() <= localKeys.size() ? localKeys.get(d.key() - 1) : null;
        if (atPosition == null || !atPosition.name().equals(d.name())) {
          throw conflict(index, table, "a peer's primary key has column '" + d.name() + "' at position " + d.key()
              + ", here the primary key is " + names(localKeys));
        }
        if (!sameKeyType(d, atPosition)) {
          throw conflict(index, table, "key column '" + d.name() + "' is " + shown(d.type()) + " on a peer and "
              + shown(atPosition.type()) + " here");
        }
      } else if (mine == null) {
        added.add(d);
      } else if (mine.key() > 0) {
        throw conflict(index, table, "column '" + d.name() + "' is in the primary key here but not on a peer");
      } else if (!TableDefinition.affinity(d.type()).equals(TableDefinition.affinity(mine.type()))) {
        throw conflict(index, table, "column '" + d.name() + "' is " + shown(d.type()) + " on a peer and "
            + shown(mine.type()) + " here, which SQLite stores differently");
      }
    }
    return added;
  }

  private static boolean sameKeyType(TableDefinition.Column a, TableDefinition.Column b) {
    // A lone INTEGER key of a rowid table is the rowid itself: integers only.
    return TableDefinition.affinity(a.type()).equals(TableDefinition.affinity(b.type()))
        && "INTEGER".equalsIgnoreCase(a.type()) == "INTEGER".equalsIgnoreCase(b.type());
  }

  private static InvalidChangeException conflict(int index, String table, String difference) {
    return new InvalidChangeException(index, "the definition of table '" + table + "' conflicts with the local"
        + " table: " + difference + ". Incompatible definitions are not merged; change the schema on one side");
  }

  private static String shown(String type) {
    return type.isEmpty() ? "untyped" : type;
  }

  private static List<String> names(List<TableDefinition.Column> cols) {
    List<String> out = new ArrayList<>();
    for (TableDefinition.Column c : cols) {
      out.add(c.name());
    }
    return out;
  }

  private static List<TableDefinition.Column> load(Connection c, String table) throws SQLException {
    List<TableDefinition.Column> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT col, def FROM " + TABLE + " WHERE tbl = ? AND def IS NOT NULL")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(TableDefinition.parse(table, rs.getString(1), rs.getString(2)));
        }
      }
    }
    return out;
  }
}
