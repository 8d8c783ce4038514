package dev.cfost.internal.documents;

import dev.cfost.Revision;
import dev.cfost.internal.documents.RevisionRecord.Action;
import dev.cfost.internal.documents.RevisionRecord.Kind;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Undo and redo on a replica ({@link RevertRule} over its local history, {@code cfost_doc_order}): the
 * revert comes back as a new revision to fold like any other.
 */
final class Reverts {
  private static final int PAGE = 256;

  private Reverts() {}

  static RevisionRecord undo(DocumentStore store, DocState st, String user) throws SQLException {
    return record(store, st, user, RevertRule.undo(history(store, st), st.id, user, st.body, st.deleted));
  }

  static RevisionRecord redo(DocumentStore store, DocState st, String user) throws SQLException {
    return record(store, st, user, RevertRule.redo(history(store, st), st.id, user, st.body, st.deleted));
  }

  private static RevisionRecord record(DocumentStore store, DocState st, String user, RevertRule.Revert r) {
    Kind kind = r.kind() == Revision.Kind.UNDO ? Kind.UNDO : Kind.REDO;
    return switch (r.action()) {
      case RESTORE -> make(store, st, user, kind, Action.RESTORE, null, null, null, r.target());
      case DELETE -> make(store, st, user, kind, Action.DELETE, r.deletedBody(), null, null, r.target());
      case PATCH -> {
        // The rule applied the revert to st.body in place; the revision is folded like any other, from the
        // body as it was.
        st.body = r.applied().reverse().apply(r.applied().root()).root();
        yield make(store, st, user, kind, Action.PATCH, null, r.forward(), r.applied().reverse(), r.target());
      }
      case CREATE -> throw new AssertionError("a revert never creates");
    };
  }

  private static RevisionRecord make(DocumentStore store, DocState st, String user, Kind kind, Action action,
      com.fasterxml.jackson.databind.JsonNode content, JsonPatch forward, JsonPatch reverse, long target) {
    return new RevisionRecord(st.id, store.now(), store.site(), user, kind, action, null, content, forward,
        reverse, target);
  }

  private static RevertRule.History history(DocumentStore store, DocState st) {
    return new RevertRule.History() {
      @Override
      public Iterable<RevertRule.Step> newestFirst() {
        return () -> new Pages(store, st);
      }

      @Override
      public com.fasterxml.jackson.databind.JsonNode bodyAt(long version) throws SQLException {
        return store.stateAt(st, version).body;
      }
    };
  }

  /** The applied revisions of the local history, newest first, a page at a time. */
  private static final class Pages implements Iterator<RevertRule.Step> {
    private final DocumentStore store;
    private final DocState st;
    private final ArrayDeque<RevertRule.Step> page = new ArrayDeque<>();
    private long before = Long.MAX_VALUE;
    private boolean done;

    Pages(DocumentStore store, DocState st) {
      this.store = store;
      this.st = st;
    }

    @Override
    public boolean hasNext() {
      if (page.isEmpty() && !done) {
        try (PreparedStatement ps = store.conn.prepareStatement("SELECT pos, rev, run, idx FROM cfost_doc_order"
            + " WHERE ord = ? AND pos < ? AND applied ORDER BY pos DESC LIMIT " + PAGE)) {
          ps.setLong(1, st.ord);
          ps.setLong(2, before);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              page.add(step(rs.getLong(1), store.runs.revision(rs.getLong(3), rs.getInt(4)), rs.getString(2)));
              before = rs.getLong(1);
            }
          }
        } catch (SQLException e) {
          throw new dev.cfost.CfostException("cannot read the history of " + st.id + ": " + e.getMessage(), e);
        }
        done = page.size() < PAGE;
      }
      return !page.isEmpty();
    }

    @Override
    public RevertRule.Step next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return page.poll();
    }

    /** {@code rev}: the reverse as it applied here, when it differs from the author's. */
    private static RevertRule.Step step(long pos, RevisionRecord rec, String rev) {
      return new RevertRule.Step(rec.id(), pos, rec.user(), Revision.Kind.valueOf(rec.kind().name()),
          RevertRule.Action.valueOf(rec.action().name()),
          () -> rev == null ? rec.reverse() : RevisionRecord.expand(Json.parse(rev, "reverse")), rec.target());
    }
  }
}
