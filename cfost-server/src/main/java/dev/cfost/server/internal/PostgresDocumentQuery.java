package dev.cfost.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cfost.DocumentException;
import dev.cfost.DocumentException.Reason;
import dev.cfost.DocumentQuery;
import dev.cfost.internal.HybridClock;
import dev.cfost.internal.documents.Json;
import dev.cfost.internal.documents.JsonPatch;
import dev.cfost.internal.documents.PatchException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A {@link DocumentQuery} as SQL on the {@code documents} table, ordered by id (bytewise, as SQLite orders
 * them). The pointer filter runs in PostgreSQL: {@code body #> path = value} (JSONB equality: numbers by
 * value, objects in any order), after a containment test {@code body @> {...}} that the GIN index answers,
 * when the path names object members only (an array index cannot be written as containment).
 */
final class PostgresDocumentQuery {
  /**
   * Pointers with more tokens find nothing: no document is deeper, as JSON is written at most this many
   * levels deep (Jackson's default), and a /ws message may hold a pointer of millions of tokens.
   */
  static final int MAX_POINTER_TOKENS = 1000;
  private static final Pattern INDEX = Pattern.compile("0|[1-9][0-9]*|-");
  private static final Pattern RFC_INDEX = Pattern.compile("0|[1-9][0-9]*");
  /** What PostgreSQL's {@code #>} takes for an array index (C's strtol: blanks, a sign, digits). */
  private static final Pattern PG_INTEGER = Pattern.compile("\\s*[+-]?[0-9]+");

  private final String sql;
  private final List<Object> args;

  private PostgresDocumentQuery(String sql, List<Object> args) {
    this.sql = sql;
    this.args = args;
  }

  /**
   * @param select the statement up to its WHERE
   * @throws DocumentException INVALID if the pointer is not one
   */
  static PostgresDocumentQuery of(String select, String user, DocumentQuery q) {
    List<String> path = q.pointer() == null ? null : pointerTokens(q.pointer());
    StringBuilder sql = new StringBuilder(select).append(" WHERE user_id = ?");
    List<Object> args = new ArrayList<>(List.of(user));
    if (!q.includeDeleted()) {
      sql.append(" AND NOT deleted");
    }
    if (q.titleContains() != null) {
      sql.append(" AND strpos(lower(title), lower(?)) > 0");
      args.add(q.titleContains());
    }
    if (q.updatedSince() != null) {
      sql.append(" AND updated_hlc >= ?");
      args.add(HybridClock.timestamp(Math.max(0, q.updatedSince().toEpochMilli()), 0));
    }
    if (path != null && path.size() > MAX_POINTER_TOKENS) {
      sql.append(" AND false");
    } else if (path != null) {
      if (!path.isEmpty() && path.stream().noneMatch(t -> INDEX.matcher(t).matches())) {
        JsonNode contained = q.equalTo();
        for (int i = path.size() - 1; i >= 0; i--) {
          contained = Json.MAPPER.createObjectNode().set(path.get(i), contained);
        }
        String json;
        try {
          json = Json.write(contained);
        } catch (IllegalStateException deeperThanAnyDocument) {
          json = null; // the test below alone answers (nothing): the index only narrows the rows
        }
        if (json != null) {
          sql.append(" AND body @> ?::jsonb");
          args.add(json);
        }
      }
      // PostgreSQL's #> also enters an array by -1 (from the end), 01, +1 or " 1", which RFC 6901 and the
      // library read as member names only: where such a token stands, the value must be an object.
      for (int i = 0; i < path.size(); i++) {
        if (PG_INTEGER.matcher(path.get(i)).matches() && !RFC_INDEX.matcher(path.get(i)).matches()) {
          sql.append(" AND jsonb_typeof(body #> ?::text[]) = 'object'");
          args.add(path.subList(0, i));
        }
      }
      sql.append(" AND body #> ?::text[] = ?::jsonb");
      args.add(path);
      args.add(Json.write(q.equalTo()));
    }
    sql.append(" ORDER BY doc_id COLLATE \"C\" LIMIT ?");
    args.add(q.limit());
    return new PostgresDocumentQuery(sql.toString(), args);
  }

  PreparedStatement prepare(Connection c) throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql);
    try {
      for (int i = 0; i < args.size(); i++) {
        if (args.get(i) instanceof List<?> tokens) {
          ps.setArray(i + 1, c.createArrayOf("text", tokens.toArray()));
        } else {
          ps.setObject(i + 1, args.get(i));
        }
      }
      return ps;
    } catch (SQLException | RuntimeException e) {
      ps.close();
      throw e;
    }
  }

  /** The unescaped tokens of an RFC 6901 pointer, checked by the core's parser. */
  private static List<String> pointerTokens(String pointer) {
    try {
      JsonPatch.parse(Json.MAPPER.createArrayNode().add(Json.MAPPER.createObjectNode().put("op", "remove")
          .put("path", pointer)));
    } catch (PatchException e) {
      throw new DocumentException(Reason.INVALID, e.getMessage().replaceFirst("^operation 0: ", ""));
    }
    List<String> tokens = new ArrayList<>();
    if (!pointer.isEmpty()) {
      for (String t : pointer.substring(1).split("/", -1)) {
        tokens.add(t.replace("~1", "/").replace("~0", "~"));
      }
    }
    return tokens;
  }
}
