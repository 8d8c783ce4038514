package dev.cfost.cli.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** The rows of a query, read whole so that the table can size its columns. */
record QueryResult(List<String> columns, List<List<Object>> rows) {
  private static final JsonFactory JSON = new JsonFactory();

  static QueryResult read(ResultSet rs) throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    List<String> columns = new ArrayList<>();
    for (int i = 1; i <= md.getColumnCount(); i++) {
      columns.add(md.getColumnLabel(i));
    }
    List<List<Object>> rows = new ArrayList<>();
    while (rs.next()) {
      List<Object> row = new ArrayList<>(columns.size());
      for (int i = 1; i <= columns.size(); i++) {
        row.add(SqlValues.read(rs, i));
      }
      rows.add(row);
    }
    return new QueryResult(columns, rows);
  }

  /** An aligned text table; NULL as NULL and blobs as x'hex'. */
  String toText() {
    List<List<String>> cells = new ArrayList<>(rows.size());
    for (List<Object> row : rows) {
      List<String> line = new ArrayList<>(row.size());
      for (Object v : row) {
        line.add(SqlValues.text(v));
      }
      cells.add(line);
    }
    return TextTable.render(columns, cells);
  }

  /** A JSON array with one object per row (column name to value), one row per line, and a newline. */
  String toJson() {
    if (rows.isEmpty()) {
      return "[]\n";
    }
    StringWriter out = new StringWriter();
    try {
      for (int r = 0; r < rows.size(); r++) {
        out.write(r == 0 ? "[" : ",\n");
        try (JsonGenerator g = JSON.createGenerator(out)) {
          g.writeStartObject();
          for (int c = 0; c < columns.size(); c++) {
            g.writeFieldName(columns.get(c));
            SqlValues.writeJson(g, rows.get(r).get(c));
          }
          g.writeEndObject();
        }
      }
      out.write("]\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }
}
