package dev.cfost.internal;

import static dev.cfost.internal.Sql.id;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A replicated table as the engine sees it: its key columns, its other columns with their stable
 * ordinals, and the names and SQL of its log, clock table and triggers.
 *
 * <p>Immutable; rebuilt when the table's columns change.
 */
final class TableSpec {
  /** Columns tracked per update-mask integer; 62 keeps the shifted bits clear of the sign bit. */
  static final int MASK_BITS = 62;

  final String name;
  final List<String> keyColumns;
  final List<String> keyTypes;
  final List<Affinity> keyAffinities;
  /** Non-key columns; index i holds the column with ordinal i + 1, also once it is gone (see {@link #live}). */
  final List<String> columns;
  /** gone[i]: column ordinal i + 1 no longer exists (renamed); its ordinal and clocks stay, unused. */
  private final boolean[] gone;
  final Map<String, Integer> ordinals;
  final String log;
  final String clock;

  TableSpec(String name, List<String> keyColumns, List<String> keyTypes, List<String> columns) {
    this(name, keyColumns, keyTypes, columns, new boolean[columns.size()]);
  }

  TableSpec(String name, List<String> keyColumns, List<String> keyTypes, List<String> columns, boolean[] gone) {
    this(name, keyColumns, keyTypes, columns, gone, java.util.Set.of());
  }

  /**
   * @param gone gone[i]: the column with ordinal i + 1 no longer exists
   * @param aliases former names of renamed columns: changes for them are kept aside, not refused
   */
  TableSpec(String name, List<String> keyColumns, List<String> keyTypes, List<String> columns, boolean[] gone,
      java.util.Set<String> aliases) {
    this.aliases = java.util.Set.copyOf(aliases);
    this.name = name;
    this.keyColumns = List.copyOf(keyColumns);
    this.keyTypes = List.copyOf(keyTypes);
    this.keyAffinities = Affinity.of(keyTypes);
    this.columns = List.copyOf(columns);
    this.gone = gone.clone();
    Map<String, Integer> ords = new HashMap<>();
    for (int i = 0; i < columns.size(); i++) {
      if (!this.gone[i]) {
        ords.put(columns.get(i), i + 1);
      }
    }
    this.ordinals = Collections.unmodifiableMap(ords);
    this.log = "cfost__log_" + name;
    this.clock = "cfost__clock_" + name;
  }

  int keyCount() {
    return keyColumns.size();
  }

  int maskCount() {
    return Math.max(1, (columns.size() + MASK_BITS - 1) / MASK_BITS);
  }

  /** Whether the column at index {@code i} (ordinal i + 1) exists in the table. */
  boolean live(int i) {
    return !gone[i];
  }

  /** The column at index {@code i} as a value in a SELECT of the base table aliased {@code alias}. */
  String selectColumn(String alias, int i) {
    return gone[i] ? "NULL" : alias + id(columns.get(i));
  }

  private final java.util.Set<String> aliases;

  /** Whether {@code column} was a column of the table that is gone now (renamed or dropped). */
  boolean isGone(String column) {
    if (aliases.contains(column) && !ordinals.containsKey(column)) {
      return true;
    }
    for (int i = 0; i < gone.length; i++) {
      if (gone[i] && columns.get(i).equals(column) && !ordinals.containsKey(column)) {
        return true;
      }
    }
    return false;
  }

  /** Whether any column of the table is gone or was renamed. */
  boolean hasGone() {
    if (!aliases.isEmpty()) {
      return true;
    }
    for (boolean g : gone) {
      if (g) {
        return true;
      }
    }
    return false;
  }

  /** The ordinal (1-based) of a non-key column, or 0 if the table has no such column. */
  int ordinal(String column) {
    Integer o = ordinals.get(column);
    return o == null ? 0 : o;
  }

  // ---- DDL ----

  String createLog() {
    StringBuilder sb = new StringBuilder("CREATE TABLE IF NOT EXISTS ").append(id(log))
        .append("(seq INTEGER PRIMARY KEY, op INTEGER NOT NULL");
    for (int m = 0; m < maskCount(); m++) {
      sb.append(", m").append(m).append(" INTEGER");
    }
    for (int k = 0; k < keyCount(); k++) {
      sb.append(", k").append(k);
    }
    return sb.append(')').toString();
  }

  String createClock() {
    StringBuilder sb = new StringBuilder("CREATE TABLE IF NOT EXISTS ").append(id(clock)).append('(');
    for (int k = 0; k < keyCount(); k++) {
      sb.append('k').append(k).append(' ').append(keyTypes.get(k)).append(", ");
    }
    sb.append("cl INTEGER NOT NULL, cl_v INTEGER NOT NULL, cl_d INTEGER NOT NULL, cl_s INTEGER NOT NULL,"
        + " cl_q INTEGER NOT NULL, db INTEGER NOT NULL, rq INTEGER NOT NULL");
    for (int i = 1; i <= columns.size(); i++) {
      sb.append(", ").append(cellColumns(i));
    }
    sb.append(", PRIMARY KEY(").append(keyList("k")).append(")) WITHOUT ROWID");
    return sb.toString();
  }

  String createClockIndex() {
    return "CREATE INDEX IF NOT EXISTS " + id(clock + "_position") + " ON " + id(clock) + "(db, rq)";
  }

  static String cellColumns(int ord) {
    return String.join(", ", cellColumnList(ord));
  }

  /** The clock columns of the cell with ordinal {@code ord}: col_version, db_version, site, seq. */
  static List<String> cellColumnList(int ord) {
    List<String> out = new ArrayList<>();
    for (String p : List.of("v", "d", "s", "q")) {
      out.add(p + ord + " INTEGER NOT NULL DEFAULT 0");
    }
    return out;
  }

  /** Every trigger's condition: not a write of the engine's own merge (see {@code Merger.apply}). */
  static final String NOT_MERGING = " WHEN NOT EXISTS (SELECT 1 FROM cfost_merging)";

  List<String> createTriggers() {
    List<String> out = new ArrayList<>();
    String keys = keyList("k");
    out.add("CREATE TRIGGER IF NOT EXISTS " + id("cfost__ins_" + name) + " AFTER INSERT ON " + id(name) + NOT_MERGING
        + " BEGIN INSERT INTO " + id(log) + "(op, " + keys + ") VALUES (1, " + rowKeys("NEW") + "); END");
    out.add("CREATE TRIGGER IF NOT EXISTS " + id("cfost__del_" + name) + " AFTER DELETE ON " + id(name) + NOT_MERGING
        + " BEGIN INSERT INTO " + id(log) + "(op, " + keys + ") VALUES (3, " + rowKeys("OLD") + "); END");
    StringBuilder sameKey = new StringBuilder("(");
    for (int k = 0; k < keyCount(); k++) {
      if (k > 0) {
        sameKey.append(" AND ");
      }
      String c = id(keyColumns.get(k));
      sameKey.append("NEW.").append(c).append(" IS OLD.").append(c);
    }
    sameKey.append(')');
    StringBuilder masks = new StringBuilder();
    StringBuilder anyChange = new StringBuilder();
    for (int m = 0; m < maskCount(); m++) {
      String expr = maskExpression(m);
      masks.append(", ").append(expr);
      anyChange.append(" OR ").append(expr).append(" != 0");
    }
    StringBuilder maskNames = new StringBuilder();
    for (int m = 0; m < maskCount(); m++) {
      maskNames.append(", m").append(m);
    }
    out.add("CREATE TRIGGER IF NOT EXISTS " + id("cfost__upd_" + name) + " AFTER UPDATE ON " + id(name) + NOT_MERGING
        + " BEGIN INSERT INTO " + id(log) + "(op, " + keys + ") SELECT 3, " + rowKeys("OLD")
        + " WHERE NOT " + sameKey + ";"
        + " INSERT INTO " + id(log) + "(op" + maskNames + ", " + keys + ") SELECT CASE WHEN " + sameKey
        + " THEN 2 ELSE 1 END" + masks + ", " + rowKeys("NEW") + " WHERE NOT " + sameKey + anyChange + ";"
        + " END");
    return out;
  }

  List<String> dropTriggers() {
    List<String> out = new ArrayList<>();
    for (String t : List.of("ins", "upd", "del")) {
      out.add("DROP TRIGGER IF EXISTS " + id("cfost__" + t + "_" + name));
    }
    return out;
  }

  private String maskExpression(int m) {
    int from = m * MASK_BITS;
    int to = Math.min(columns.size(), from + MASK_BITS);
    if (from >= to || java.util.stream.IntStream.range(from, to).allMatch(i -> gone[i])) {
      return "0";
    }
    StringBuilder sb = new StringBuilder("(");
    for (int i = from; i < to; i++) {
      if (gone[i]) {
        continue;
      }
      String c = id(columns.get(i));
      if (sb.length() > 1) {
        sb.append(" | ");
      }
      // IS NOT alone calls 1 and 1.0 equal; the typeof check keeps a change of storage class.
      sb.append("((NEW.").append(c).append(" IS NOT OLD.").append(c).append(" OR typeof(NEW.").append(c)
          .append(") IS NOT typeof(OLD.").append(c).append(")) << ").append(i - from).append(')');
    }
    return sb.append(')').toString();
  }

  String rowKeys(String alias) {
    StringBuilder sb = new StringBuilder();
    for (int k = 0; k < keyCount(); k++) {
      if (k > 0) {
        sb.append(", ");
      }
      sb.append(alias).append('.').append(id(keyColumns.get(k)));
    }
    return sb.toString();
  }

  String keyList(String prefix) {
    StringBuilder sb = new StringBuilder();
    for (int k = 0; k < keyCount(); k++) {
      if (k > 0) {
        sb.append(", ");
      }
      sb.append(prefix).append(k);
    }
    return sb.toString();
  }

  /** {@code "id" = ? AND "k2" = ?} over the base table's key columns. */
  String baseKeyMatch() {
    StringBuilder sb = new StringBuilder();
    for (int k = 0; k < keyCount(); k++) {
      if (k > 0) {
        sb.append(" AND ");
      }
      sb.append(id(keyColumns.get(k))).append(" = ?");
    }
    return sb.toString();
  }

  // Statements of the merge's base-table writes, by the columns they set: built once, not per row.
  private final Map<java.util.BitSet, String> inserts = new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<java.util.BitSet, String> updates = new java.util.concurrent.ConcurrentHashMap<>();

  /** {@code DELETE} of one base row by key. */
  String baseDelete() {
    return "DELETE FROM " + id(name) + " WHERE " + baseKeyMatch();
  }

  /**
   * The head of an {@code INSERT OR REPLACE} of base rows, up to {@code VALUES}: the key columns, then the
   * columns with {@code set[i]}. OR REPLACE: a base row without clocks (a table dropped and recreated)
   * gives way to the merged one.
   */
  String baseInsertHead(boolean[] set) {
    return inserts.computeIfAbsent(bits(set), b -> {
      StringBuilder cols = new StringBuilder();
      for (int k = 0; k < keyCount(); k++) {
        cols.append(k == 0 ? "" : ", ").append(id(keyColumns.get(k)));
      }
      for (int i = b.nextSetBit(0); i >= 0; i = b.nextSetBit(i + 1)) {
        cols.append(", ").append(id(columns.get(i)));
      }
      return "INSERT OR REPLACE INTO " + id(name) + "(" + cols + ")";
    });
  }

  /** {@code UPDATE} of the columns with {@code set[i]}, then the key; null if none is set. */
  String baseUpdate(boolean[] set) {
    java.util.BitSet bits = bits(set);
    if (bits.isEmpty()) {
      return null;
    }
    return updates.computeIfAbsent(bits, b -> {
      StringBuilder cols = new StringBuilder();
      for (int i = b.nextSetBit(0); i >= 0; i = b.nextSetBit(i + 1)) {
        cols.append(cols.length() == 0 ? "" : ", ").append(id(columns.get(i))).append(" = ?");
      }
      return "UPDATE " + id(name) + " SET " + cols + " WHERE " + baseKeyMatch();
    });
  }

  private static java.util.BitSet bits(boolean[] set) {
    java.util.BitSet b = new java.util.BitSet(set.length);
    for (int i = 0; i < set.length; i++) {
      if (set[i]) {
        b.set(i);
      }
    }
    return b;
  }

  /** {@code k0 = ? AND k1 = ?} over the clock table's key columns. */
  String clockKeyMatch() {
    StringBuilder sb = new StringBuilder();
    for (int k = 0; k < keyCount(); k++) {
      if (k > 0) {
        sb.append(" AND ");
      }
      sb.append('k').append(k).append(" = ?");
    }
    return sb.toString();
  }
}
