package dev.cfost.internal;

import static dev.cfost.internal.Sql.id;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The definition of a replicated table as it travels: one {@link Column} per column, each a small JSON
 * object (never SQL text). Every field is validated on the way in, and the DDL a replica runs is built
 * here from the validated fields, with identifiers quoted and defaults rendered as literals.
 */
final class TableDefinition {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  static final int MAX_NAME = 128;
  private static final int MAX_DEFAULT = 4096;
  private static final int MAX_JSON = 8192;
  private static final int MAX_COLUMNS = 2000;
  private static final Pattern TYPE_WORD = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,31}");
  private static final Pattern TYPE_SIZE = Pattern.compile("\\(\\s*[+-]?\\d{1,9}\\s*(,\\s*[+-]?\\d{1,9}\\s*)?\\)");
  /** Words that start a column constraint: a declared type containing one would add a constraint. */
  private static final Set<String> CONSTRAINT_WORDS = Set.of("CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE",
      "CHECK", "DEFAULT", "COLLATE", "REFERENCES", "GENERATED", "AS", "KEY", "ON", "AUTOINCREMENT");
  private static final Set<String> COLLATIONS = Set.of("BINARY", "NOCASE", "RTRIM");
  private static final Pattern INTEGER = Pattern.compile("[+-]?\\d{1,19}");
  private static final Pattern REAL = Pattern.compile("[+-]?(\\d+\\.\\d*|\\.\\d+|\\d+)([eE][+-]?\\d+)?");

  private TableDefinition() {}

  /**
   * One column. {@code key} is its 1-based position in the primary key, 0 for other columns; {@code pos}
   * its position in the table and {@code columns} how many columns the table had when it was described
   * (a table is created once every position below the largest count has arrived, in that order);
   * {@code hasDefault} with {@code dflt} null means {@code DEFAULT NULL}.
   */
  record Column(String name, int pos, int columns, int key, String type, String collate, boolean notNull, boolean hasDefault,
      Object dflt, boolean withoutRowid) {

    String toJson() {
      ObjectNode o = MAPPER.createObjectNode();
      o.put("pos", pos).put("columns", columns).put("key", key).put("type", type).put("collate", collate).put("notnull", notNull);
      if (hasDefault) {
        if (dflt == null) {
          o.putNull("default");
        } else if (dflt instanceof Long l) {
          o.put("default", l);
        } else if (dflt instanceof Double d) {
          o.put("default", d);
        } else {
          o.put("default", (String) dflt);
        }
      }
      if (key > 0) {
        o.put("without_rowid", withoutRowid);
      }
      return o.toString();
    }

    /** The column definition for CREATE TABLE or ADD COLUMN, built from validated fields only. */
    String ddl() {
      StringBuilder sb = new StringBuilder(id(name));
      if (!type.isEmpty()) {
        sb.append(' ').append(type);
      }
      if (notNull || key > 0) {
        sb.append(" NOT NULL");
      }
      if (!"BINARY".equals(collate)) {
        sb.append(" COLLATE ").append(collate);
      }
      if (hasDefault) {
        sb.append(" DEFAULT ").append(literal(dflt));
      }
      return sb.toString();
    }
  }

  /** Checks a table or column name from the wire; returns the reason it is refused, or null. */
  static String badName(String what, String name) {
    if (name == null || name.isEmpty()) {
      return what + " name is empty";
    }
    if (name.length() > MAX_NAME) {
      return what + " name is " + name.length() + " characters long; at most " + MAX_NAME + " are accepted";
    }
    for (int i = 0; i < name.length(); i++) {
      if (Character.isISOControl(name.charAt(i))) {
        return what + " name '" + printable(name) + "' contains a control character";
      }
    }
    String lower = name.toLowerCase(Locale.ROOT);
    if ("table".equals(what) && (lower.startsWith("cfost_") || lower.startsWith("sqlite_"))) {
      return "table name '" + name + "' is reserved (cfost_ and sqlite_ tables are internal)";
    }
    if (!"table".equals(what) && dev.cfost.Change.SENTINEL.equals(name)) {
      return "column name '-1' is the sentinel's (a cell of it would look like a row's sentinel)";
    }
    return null;
  }

  /**
   * Parses and validates the JSON definition of column {@code col} of {@code table}.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  static Column parse(String table, String col, Object val) {
    String bad = badName("table", table);
    if (bad == null) {
      bad = badName("column", col);
    }
    if (bad != null) {
      throw new IllegalArgumentException(bad);
    }
    if (!(val instanceof String json)) {
      throw new IllegalArgumentException("a definition is a JSON text, not " + dev.cfost.Values.typeName(val));
    }
    if (json.length() > MAX_JSON) {
      throw new IllegalArgumentException("the definition is " + json.length() + " characters; at most " + MAX_JSON);
    }
    JsonNode o;
    try {
      o = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("the definition is not JSON: " + e.getOriginalMessage());
    }
    if (o == null || !o.isObject()) {
      throw new IllegalArgumentException("the definition is not a JSON object");
    }
    int pos = intField(o, "pos", MAX_COLUMNS);
    int columns = o.has("columns") ? intField(o, "columns", MAX_COLUMNS) : pos + 1;
    if (pos >= columns) {
      throw new IllegalArgumentException("field 'pos' (" + pos + ") must be below field 'columns' (" + columns + ")");
    }
    int key = intField(o, "key", MAX_COLUMNS);
    String type = textField(o, "type");
    String typeProblem = badType(type);
    if (typeProblem != null) {
      throw new IllegalArgumentException(typeProblem);
    }
    String collate = textField(o, "collate").toUpperCase(Locale.ROOT);
    if (!COLLATIONS.contains(collate)) {
      throw new IllegalArgumentException("collation '" + printable(collate) + "' is unknown; BINARY, NOCASE and RTRIM"
          + " travel");
    }
    if (key > 0 && !"BINARY".equals(collate)) {
      throw new IllegalArgumentException("key column with collation " + collate + "; a key must be BINARY");
    }
    JsonNode nn = o.get("notnull");
    if (nn == null || !nn.isBoolean()) {
      throw new IllegalArgumentException("field 'notnull' must be true or false");
    }
    boolean hasDefault = o.has("default");
    Object dflt = null;
    if (hasDefault) {
      JsonNode d = o.get("default");
      if (d.isNull()) {
        dflt = null;
      } else if (d.isIntegralNumber() && d.canConvertToLong()) {
        dflt = d.longValue();
      } else if (d.isFloatingPointNumber() && Double.isFinite(d.doubleValue())) {
        dflt = d.doubleValue();
      } else if (d.isTextual() && d.textValue().length() <= MAX_DEFAULT && d.textValue().indexOf('\0') < 0) {
        dflt = d.textValue();
      } else {
        throw new IllegalArgumentException("the default must be NULL, a 64-bit integer, a finite real or a text of"
            + " at most " + MAX_DEFAULT + " characters without NUL");
      }
    }
    if (nn.booleanValue() && key == 0 && (!hasDefault || dflt == null)) {
      throw new IllegalArgumentException("NOT NULL without a non-null default; a row arriving from another device is"
          + " built one column at a time");
    }
    JsonNode wr = o.get("without_rowid");
    return new Column(col, pos, columns, key, type, collate, nn.booleanValue(), hasDefault, dflt,
        key > 0 && wr != null && wr.asBoolean(false));
  }

  private static int intField(JsonNode o, String field, int max) {
    JsonNode n = o.get(field);
    if (n == null || !n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < 0 || n.intValue() > max) {
      throw new IllegalArgumentException("field '" + field + "' must be an integer from 0 to " + max);
    }
    return n.intValue();
  }

  private static String textField(JsonNode o, String field) {
    JsonNode n = o.get(field);
    if (n == null || !n.isTextual()) {
      throw new IllegalArgumentException("field '" + field + "' must be a string");
    }
    return n.textValue();
  }

  /**
   * A declared type goes into DDL unquoted, so only SQLite's type-name shape passes: up to four words
   * and an optional size, none of them a word that starts a constraint. Returns the reason, or null.
   */
  static String badType(String type) {
    if (type.isEmpty()) {
      return null;
    }
    String words = type;
    int paren = type.indexOf('(');
    if (paren >= 0) {
      if (!TYPE_SIZE.matcher(type.substring(paren)).matches()) {
        return "declared type '" + printable(type) + "' is not a type name";
      }
      words = type.substring(0, paren).trim();
    }
    String[] parts = words.split(" ", -1);
    if (parts.length > 4) {
      return "declared type '" + printable(type) + "' is not a type name";
    }
    for (String w : parts) {
      if (!TYPE_WORD.matcher(w).matches() || CONSTRAINT_WORDS.contains(w.toUpperCase(Locale.ROOT))) {
        return "declared type '" + printable(type) + "' is not a type name";
      }
    }
    return null;
  }

  /** SQLite's column affinity of a declared type (datatype3.html, 3.1). */
  static String affinity(String type) {
    String t = type.toUpperCase(Locale.ROOT);
    if (t.contains("INT")) {
      return "INTEGER";
    }
    if (t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT")) {
      return "TEXT";
    }
    if (t.isEmpty() || t.contains("BLOB")) {
      return "BLOB";
    }
    if (t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB")) {
      return "REAL";
    }
    return "NUMERIC";
  }

  static String literal(Object v) {
    if (v == null) {
      return "NULL";
    }
    if (v instanceof Long || v instanceof Double) {
      return v.toString(); // a signed number is a valid DEFAULT; Double.toString is a valid SQL real
    }
    return "'" + ((String) v).replace("'", "''") + "'";
  }

  /** The literal a {@code dflt_value} of {@code PRAGMA table_xinfo} spells, or NOT_LITERAL. */
  static Object parseLiteral(String sql) {
    String s = sql.trim();
    if ("NULL".equalsIgnoreCase(s)) {
      return null;
    }
    if (INTEGER.matcher(s).matches()) {
      try {
        return Long.parseLong(s);
      } catch (NumberFormatException e) {
        return NOT_LITERAL;
      }
    }
    if (REAL.matcher(s).matches()) {
      return Double.parseDouble(s);
    }
    if (s.length() >= 2 && s.startsWith("'") && s.endsWith("'")) {
      String inner = s.substring(1, s.length() - 1);
      if (inner.replace("''", "").indexOf('\'') < 0) {
        return inner.replace("''", "'");
      }
    }
    return NOT_LITERAL;
  }

  static final Object NOT_LITERAL = new Object();

  /**
   * The CREATE TABLE of a complete definition (every key position from 1 on, every column position below
   * the largest {@code columns}), columns in their {@code pos} order; null while it is not complete.
   */
  static String createTable(String table, List<Column> columns) {
    List<Column> keys = keys(columns);
    if (keys.isEmpty()) {
      return null;
    }
    for (int k = 0; k < keys.size(); k++) {
      if (keys.get(k).key() != k + 1) {
        return null;
      }
    }
    int count = 0;
    Set<Integer> positions = new java.util.HashSet<>();
    for (Column c : columns) {
      count = Math.max(count, c.columns());
      positions.add(c.pos());
    }
    for (int p = 0; p < count; p++) {
      if (!positions.contains(p)) {
        return null;
      }
    }
    List<Column> ordered = new ArrayList<>(columns);
    ordered.sort(Comparator.comparingInt(Column::pos).thenComparing(Column::name));
    StringBuilder sb = new StringBuilder("CREATE TABLE ").append(id(table)).append('(');
    for (Column c : ordered) {
      sb.append(c.ddl()).append(", ");
    }
    sb.append("PRIMARY KEY(");
    for (int k = 0; k < keys.size(); k++) {
      sb.append(k == 0 ? "" : ", ").append(id(keys.get(k).name()));
    }
    sb.append("))");
    if (keys.get(0).withoutRowid()) {
      sb.append(" WITHOUT ROWID");
    }
    return sb.toString();
  }

  static List<Column> keys(List<Column> columns) {
    List<Column> keys = new ArrayList<>();
    for (Column c : columns) {
      if (c.key() > 0) {
        keys.add(c);
      }
    }
    keys.sort(Comparator.comparingInt(Column::key));
    return keys;
  }

  /** The local table as a definition; null if it does not exist. */
  static Local describe(Connection c, String table, boolean withCollations) throws SQLException {
    List<Column> cols = new ArrayList<>();
    String problem = null;
    int count = (int) Sql.queryLong(c, "SELECT count(*) FROM pragma_table_xinfo(?)", table);
    boolean withoutRowid = Sql.queryLong(c, "SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = ?",
        table) != 0;
    Map<String, String> collations = withCollations ? collations(c, table) : Map.of();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT cid, name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?) ORDER BY cid")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String name = rs.getString(2);
          String type = rs.getString(3) == null ? "" : rs.getString(3);
          String dfltSql = rs.getString(5);
          int key = rs.getInt(6);
          Object dflt = dfltSql == null ? null : parseLiteral(dfltSql);
          String coll = key > 0 ? "BINARY" : collations.getOrDefault(name, "BINARY");
          if (problem == null && dflt == NOT_LITERAL) {
            problem = "column '" + name + "' has the default " + dfltSql + "; only literal defaults (numbers, text,"
                + " NULL) travel";
          } else if (problem == null && badType(type) != null) {
            problem = "column '" + name + "': " + badType(type);
          } else if (problem == null && !COLLATIONS.contains(coll)) {
            problem = "column '" + name + "' uses COLLATE " + coll + "; only BINARY, NOCASE and RTRIM travel";
          } else if (problem == null && rs.getInt(7) != 0) {
            problem = "column '" + name + "' is generated";
          }
          cols.add(new Column(name, rs.getInt(1), count, key, type, coll, rs.getInt(4) != 0, dfltSql != null,
              dflt == NOT_LITERAL ? null : dflt, key > 0 && withoutRowid));
        }
      }
    }
    return cols.isEmpty() ? null : new Local(cols, problem);
  }

  /** A local table's columns; {@code problem} says why its definition cannot travel, or is null. */
  record Local(List<Column> columns, String problem) {
    Column column(String name) {
      for (Column c : columns) {
        if (c.name().equals(name)) {
          return c;
        }
      }
      return null;
    }
  }

  /**
   * The collation of each column: SQLite reports it only for indexed columns, so a partial index that
   * holds no rows ({@code WHERE 0}) is made and dropped inside the caller's transaction.
   */
  private static Map<String, String> collations(Connection c, String table) throws SQLException {
    List<String> names = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT name FROM pragma_table_xinfo(?) WHERE pk = 0 AND hidden = 0")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          names.add(rs.getString(1));
        }
      }
    }
    Map<String, String> out = new HashMap<>();
    if (names.isEmpty()) {
      return out;
    }
    StringBuilder cols = new StringBuilder();
    for (String n : names) {
      cols.append(cols.length() == 0 ? "" : ", ").append(id(n));
    }
    try {
      Sql.exec(c, "CREATE INDEX \"cfost__probe\" ON " + id(table) + "(" + cols + ") WHERE 0");
    } catch (SQLException e) {
      // A collation only the application's connections define (SQLITE_ERROR_MISSING_COLLSEQ): the statement
      // alone fails, and the definition is reported as one that cannot travel.
      for (String n : names) {
        out.put(n, "(unreadable here: " + e.getMessage() + ")");
      }
      return out;
    }
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT name, coll FROM pragma_index_xinfo('cfost__probe') WHERE key = 1");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getString(2).toUpperCase(Locale.ROOT));
      }
    } finally {
      Sql.exec(c, "DROP INDEX \"cfost__probe\"");
    }
    return out;
  }

  static String printable(String s) {
    String cut = s.length() > 40 ? s.substring(0, 40) + "..." : s;
    StringBuilder sb = new StringBuilder();
    for (char ch : cut.toCharArray()) {
      sb.append(Character.isISOControl(ch) ? String.format("\\u%04x", (int) ch) : String.valueOf(ch));
    }
    return sb.toString();
  }
}
