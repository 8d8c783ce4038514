package dev.cfost.server.internal;

import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;

/**
 * A SQLite value in PostgreSQL's typed columns {@code typ, i, r, t, b}: a type tag (0 NULL, 1 INTEGER, 2
 * REAL, 3 TEXT, 4 BLOB) and the one column of its type ({@code bigint}, {@code double precision},
 * {@code text}, {@code bytea}). A double keeps its bits (-0.0, infinities; NaN is refused before and by a
 * CHECK). PostgreSQL's text cannot hold U+0000, so a text that contains it is kept as its UTF-8 bytes in
 * {@code b} with tag 3.
 */
final class PgValues {
  static final int NULL = 0;
  static final int INTEGER = 1;
  static final int REAL = 2;
  static final int TEXT = 3;
  static final int BLOB = 4;

  private PgValues() {}

  /** Binds {@code v} to the five parameters from {@code index}: typ, i, r, t, b. */
  static void bind(PreparedStatement ps, int index, Object v) throws SQLException {
    ps.setNull(index + 1, Types.BIGINT);
    ps.setNull(index + 2, Types.DOUBLE);
    ps.setNull(index + 3, Types.VARCHAR);
    ps.setNull(index + 4, Types.BINARY);
    if (v == null) {
      ps.setShort(index, (short) NULL);
    } else if (v instanceof Long l) {
      ps.setShort(index, (short) INTEGER);
      ps.setLong(index + 1, l);
    } else if (v instanceof Double d) {
      ps.setShort(index, (short) REAL);
      ps.setDouble(index + 2, d);
    } else if (v instanceof String s) {
      ps.setShort(index, (short) TEXT);
      if (s.indexOf('\0') >= 0) {
        ps.setBytes(index + 4, s.getBytes(StandardCharsets.UTF_8));
      } else {
        ps.setString(index + 3, s);
      }
    } else if (v instanceof byte[] b) {
      ps.setShort(index, (short) BLOB);
      ps.setBytes(index + 4, b);
    } else {
      throw new IllegalArgumentException("not a SQLite value: " + v.getClass().getName());
    }
  }

  /** Reads the value of the five columns from {@code index}: typ, i, r, t, b. */
  static Object read(ResultSet rs, int index) throws SQLException {
    int typ = rs.getShort(index);
    switch (typ) {
      case NULL:
        return null;
      case INTEGER:
        return rs.getLong(index + 1);
      case REAL:
        return rs.getDouble(index + 2);
      case TEXT: {
        String t = rs.getString(index + 3);
        return t != null ? t : new String(rs.getBytes(index + 4), StandardCharsets.UTF_8);
      }
      case BLOB:
        return rs.getBytes(index + 4);
      default:
        throw new SQLException("unknown value type tag " + typ);
    }
  }
}
