package dev.cfost.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * SQLite's type affinities (https://sqlite.org/datatype3.html#determination_of_column_affinity), and the
 * canonical form of a key value under one.
 *
 * <p>Canonical form: the value SQLite stores in a key column of this affinity, so that keys SQLite calls
 * equal have one form (one packed key, one group in a merge, one clock lookup). INTEGER and NUMERIC: a
 * REAL with an integral value in the 64-bit range becomes INTEGER (-0.0 becomes 0), as SQLite converts it.
 * REAL: an INTEGER becomes REAL, -0.0 becomes 0.0. TEXT: an INTEGER becomes its decimal text. No affinity
 * (BLOB): SQLite stores values unchanged but compares 1 and 1.0 as equal, so one key column cannot hold
 * both; the canonical form is the INTEGER, as for NUMERIC. Values SQLite would convert in ways not
 * reproduced here (text that looks numeric in a numeric column, a REAL into a TEXT key) are refused: a
 * peer that read its keys from its own table never sends them.
 */
enum Affinity {
  INTEGER, TEXT, BLOB, REAL, NUMERIC;

  /** What SQLite's numeric affinity would convert: optional spaces, sign, digits, point, exponent. */
  private static final Pattern NUMERIC_TEXT =
      Pattern.compile("[ \\t\\n\\u000B\\f\\r]*[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?[ \\t\\n\\u000B\\f\\r]*");

  static Affinity of(String declaredType) {
    String t = declaredType.toUpperCase(Locale.ROOT);
    if (t.contains("INT")) {
      return INTEGER;
    }
    if (t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT")) {
      return TEXT;
    }
    if (t.contains("BLOB") || t.isBlank()) {
      return BLOB;
    }
    if (t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB")) {
      return REAL;
    }
    return NUMERIC;
  }

  static List<Affinity> of(List<String> declaredTypes) {
    List<Affinity> out = new ArrayList<>(declaredTypes.size());
    for (String t : declaredTypes) {
      out.add(of(t));
    }
    return List.copyOf(out);
  }

  /**
   * Whether SQLite stores {@code v} unchanged in a column of this affinity. Conservative: false where
   * a conversion is possible.
   */
  boolean storesUnchanged(Object v) {
    if (v instanceof Double d && d == 0.0) {
      return false; // SQLite finds 0.0 for -0.0, but the two are different Java keys
    }
    switch (this) {
      case INTEGER:
        return v instanceof Long;
      case TEXT:
        return v instanceof String || v instanceof byte[];
      case BLOB:
        return true;
      case REAL:
        return v instanceof Double || v instanceof byte[];
      default:
        return v instanceof Long || v instanceof byte[];
    }
  }

  /**
   * The canonical form of a non-null key value (see the class comment).
   *
   * @throws IllegalArgumentException saying why, for a value whose stored form is not reproduced here
   */
  Object canonical(Object v) {
    if (v instanceof Double d && d.isNaN()) {
      throw new IllegalArgumentException("NaN, which SQLite stores as NULL");
    }
    switch (this) {
      case TEXT:
        if (v instanceof Long l) {
          return Long.toString(l);
        }
        if (v instanceof Double) {
          throw new IllegalArgumentException("a REAL, which SQLite would store as text in this TEXT column; send"
              + " the text");
        }
        return v;
      case REAL:
        if (v instanceof Long l) {
          return (double) l;
        }
        if (v instanceof Double d) {
          return d == 0.0 ? 0.0 : d;
        }
        return refuseNumericText(v);
      case BLOB:
        return v instanceof Double d ? integral(d) : v;
      default: // INTEGER, NUMERIC
        return v instanceof Double d ? integral(d) : refuseNumericText(v);
    }
  }

  /** As {@link #canonical}, but a value it would refuse is returned as it is (for lookups of stored keys). */
  Object canonicalOrSame(Object v) {
    if (v == null || v instanceof byte[] || (v instanceof Long && this != TEXT && this != REAL)) {
      return v; // the common cases, with no work
    }
    try {
      return canonical(v);
    } catch (IllegalArgumentException e) {
      return v;
    }
  }

  /** A REAL as SQLite's numeric affinity keeps it: INTEGER if integral and strictly inside the range. */
  private static Object integral(double d) {
    long l = (long) d;
    return d == l && l > Long.MIN_VALUE && l < Long.MAX_VALUE ? (Object) l : (Object) d;
  }

  private Object refuseNumericText(Object v) {
    if (v instanceof String s && NUMERIC_TEXT.matcher(s).matches()) {
      throw new IllegalArgumentException("text '" + s + "', which SQLite would store as a number in this "
          + name() + " column; send the number");
    }
    return v;
  }
}
