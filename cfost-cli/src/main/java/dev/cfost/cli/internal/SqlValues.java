package dev.cfost.cli.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.cfost.Values;
import java.io.IOException;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * SQLite values as the command line reads and shows them: {@code null}, {@link Long}, {@link Double},
 * {@link String} or {@code byte[]}, one per storage class, so that 1 and 1.0 never look alike.
 */
final class SqlValues {
  private SqlValues() {}

  /** Column {@code i} of the current row, normalized to one of the five value types. */
  static Object read(ResultSet rs, int i) throws SQLException {
    Object v = rs.getObject(i);
    if (v == null || v instanceof Long || v instanceof Double || v instanceof String || v instanceof byte[]) {
      return v;
    }
    if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof Float) {
      return ((Float) v).doubleValue();
    }
    return rs.getString(i); // a driver conversion (dates, decimals): show what SQLite stored
  }

  /** The value as a table cell: NULL, an integer, a real with its decimal point, text, or x'hex'. */
  static String text(Object v) {
    if (v == null) {
      return "NULL";
    } else if (v instanceof byte[]) {
      return "x'" + Values.hex((byte[]) v) + "'";
    } else if (v instanceof String) {
      return escapeControls((String) v);
    }
    return String.valueOf(v); // Long, or Double whose toString always has a '.' or 'E'
  }

  /**
   * Writes the value as JSON: integers exactly, reals with a decimal point, blobs as
   * {@code {"blob":"<hex>"}} and infinite reals as {@code {"real":"Infinity"}}, the same spelling as
   * the change bundles use.
   */
  static void writeJson(JsonGenerator g, Object v) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof Long) {
      g.writeNumber((Long) v);
    } else if (v instanceof Double) {
      double d = (Double) v;
      if (Double.isInfinite(d)) {
        g.writeStartObject();
        g.writeStringField("real", d > 0 ? "Infinity" : "-Infinity");
        g.writeEndObject();
      } else {
        g.writeNumber(d);
      }
    } else if (v instanceof byte[]) {
      g.writeStartObject();
      g.writeStringField("blob", Values.hex((byte[]) v));
      g.writeEndObject();
    } else {
      g.writeString(v.toString());
    }
  }

  // A newline or tab inside a value would break the table's rows and columns.
  private static String escapeControls(String s) {
    StringBuilder sb = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      String replacement = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t"
          : Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : null;
      if (replacement != null && sb == null) {
        sb = new StringBuilder(s.length() + 8).append(s, 0, i);
      }
      if (sb != null) {
        if (replacement != null) {
          sb.append(replacement);
        } else {
          sb.append(c);
        }
      }
    }
    return sb == null ? s : sb.toString();
  }
}
