package dev.cfost.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cfost.Revision;
import dev.cfost.internal.documents.Json;
import dev.cfost.internal.documents.JsonPatch;
import dev.cfost.internal.documents.RevertRule;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Locale;
import java.util.NoSuchElementException;

/**
 * Undo and redo per user on the PostgreSQL documents: the library's rule ({@link RevertRule},
 * docs/DOCUMENTS.md) over the store's revisions, read under the document's row lock held by
 * {@link PostgresDocuments}. One use per change.
 */
final class PostgresReverts {
  private static final int PAGE = 256;

  private final PostgresDocuments docs;
  private final Connection c;
  private final PostgresDocuments.Head h;

  PostgresReverts(PostgresDocuments docs, Connection c, PostgresDocuments.Head h) {
    this.docs = docs;
    this.c = c;
    this.h = h;
  }

  PostgresDocuments.Made undo() throws SQLException {
    return made(RevertRule.undo(history(), h.id, docs.user(), h.body, h.deleted));
  }

  PostgresDocuments.Made redo() throws SQLException {
    return made(RevertRule.redo(history(), h.id, docs.user(), h.body, h.deleted));
  }

  /** The revision to store, the head changed to match (the rule applied a patch to its body already). */
  private PostgresDocuments.Made made(RevertRule.Revert r) {
    String action = r.action().name().toLowerCase(Locale.ROOT);
    return switch (r.action()) {
      case RESTORE -> {
        h.deleted = false;
        yield new PostgresDocuments.Made(r.kind(), action, null, null, r.target());
      }
      case DELETE -> {
        h.deleted = true;
        yield new PostgresDocuments.Made(r.kind(), action, null, r.deletedBody(), r.target());
      }
      case PATCH -> {
        h.body = r.applied().root();
        yield new PostgresDocuments.Made(r.kind(), action, r.forward().toJson(), r.applied().reverse().toJson(),
            r.target());
      }
      case CREATE -> throw new AssertionError("a revert never creates");
    };
  }

  private RevertRule.History history() {
    return new RevertRule.History() {
      @Override
      public Iterable<RevertRule.Step> newestFirst() {
        return Pages::new;
      }

      @Override
      public JsonNode bodyAt(long version) throws SQLException {
        return docs.stateAt(c, h, version).body;
      }
    };
  }

  /** The document's revisions, newest first, a page at a time. */
  private final class Pages implements Iterator<RevertRule.Step> {
    private final ArrayDeque<RevertRule.Step> page = new ArrayDeque<>();
    private long before = Long.MAX_VALUE;
    private boolean done;

    @Override
    public boolean hasNext() {
      if (page.isEmpty() && !done) {
        try {
          read();
        } catch (SQLException e) {
          throw new dev.cfost.CfostException("cannot read the history of " + h.id + ": " + e.getMessage(), e);
        }
      }
      return !page.isEmpty();
    }

    private void read() throws SQLException {
      try (PreparedStatement ps = c.prepareStatement("SELECT id, version, kind, action, author, reverse::text,"
          + " target FROM document_revisions WHERE user_id = ? AND doc_id = ? AND version < ?"
          + " ORDER BY version DESC LIMIT " + PAGE)) {
        ps.setString(1, docs.user());
        ps.setString(2, h.id);
        ps.setLong(3, before);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String reverse = rs.getString(6);
            page.add(new RevertRule.Step(rs.getLong(1), rs.getLong(2), rs.getString(5),
                Revision.Kind.valueOf(rs.getString(3).toUpperCase(Locale.ROOT)),
                RevertRule.Action.valueOf(rs.getString(4).toUpperCase(Locale.ROOT)),
                () -> reverse == null ? JsonPatch.EMPTY : JsonPatch.parse(Json.parse(reverse, "a stored reverse")),
                rs.getLong(7)));
            before = rs.getLong(2);
          }
        }
      }
      done = page.size() < PAGE;
    }

    @Override
    public RevertRule.Step next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return page.poll();
    }
  }
}
