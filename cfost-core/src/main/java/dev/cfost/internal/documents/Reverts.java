package dev.cfost.internal.documents;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cfost.DocumentException;
import dev.cfost.DocumentException.Reason;
import dev.cfost.internal.documents.RevisionRecord.Action;
import dev.cfost.internal.documents.RevisionRecord.Kind;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Undo and redo, per user. A user's undo stack is read from the history, newest first: the user's last
 * applied change that no later undo of theirs reverted is what undo reverts; the user's last undo, if
 * nothing but redos came after it, is what redo reverts.
 *
 * <p>The guard: an undo must not overwrite an edit someone else made after the change it reverts. Every
 * location the revert writes must hold in the current document what it held right after that change (for
 * an element of an array, the whole array must be as it was, since other insertions shift positions);
 * else the undo is refused. The revert patch also carries RFC 6902 {@code test} operations for the values
 * it replaces or removes, so that if it meets a concurrent edit when the histories merge, it becomes a
 * no-op instead of overwriting it.
 */
final class Reverts {
  private Reverts() {}

  /** One applied revision of the history. */
  private record Entry(long pos, RevisionRecord rec, String rev) {
    JsonPatch reverse() {
      return rev == null ? rec.reverse() : RevisionRecord.expand(Json.parse(rev, "reverse"));
    }
  }

  static RevisionRecord undo(DocumentStore store, DocState st, String user) throws SQLException {
    Set<Long> undone = new HashSet<>();
    boolean othersAfter = false;
    for (Entry e : newestFirst(store, st)) {
      RevisionRecord r = e.rec;
      if (!r.user().equals(user)) {
        othersAfter = true;
      } else if (r.kind() == Kind.UNDO) {
        undone.add(r.target());
      } else if (!undone.contains(r.id())) {
        return revert(store, st, e, user, Kind.UNDO, othersAfter);
      }
    }
    throw new DocumentException(Reason.CANNOT_UNDO, "cannot undo: " + user + " has no change to document "
        + st.id + " that is not undone");
  }

  static RevisionRecord redo(DocumentStore store, DocState st, String user) throws SQLException {
    Set<Long> redone = new HashSet<>();
    boolean othersAfter = false;
    for (Entry e : newestFirst(store, st)) {
      RevisionRecord r = e.rec;
      if (!r.user().equals(user)) {
        othersAfter = true;
      } else if (r.kind() == Kind.REDO) {
        redone.add(r.target());
      } else if (r.kind() == Kind.UNDO) {
        if (!redone.contains(r.id())) {
          return revert(store, st, e, user, Kind.REDO, othersAfter);
        }
      } else {
        break;
      }
    }
    throw new DocumentException(Reason.CANNOT_REDO, "cannot redo: " + user + " has no undo of document "
        + st.id + " to redo since their last change");
  }

  /** The applied revisions, newest first, read a page at a time: an undo usually looks at few. */
  private static Iterable<Entry> newestFirst(DocumentStore store, DocState st) {
    return () -> new java.util.Iterator<>() {
      private final java.util.ArrayDeque<Entry> page = new java.util.ArrayDeque<>();
      private long before = Long.MAX_VALUE;
      private boolean done;

      @Override
      public boolean hasNext() {
        if (page.isEmpty() && !done) {
          try (PreparedStatement ps = store.conn.prepareStatement("SELECT pos, rev, body FROM cfost_doc_order"
              + " WHERE ord = ? AND pos < ? AND applied ORDER BY pos DESC LIMIT 256")) {
            ps.setLong(1, st.ord);
            ps.setLong(2, before);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                page.add(new Entry(rs.getLong(1), RevisionRecord.decode(rs.getString(3)), rs.getString(2)));
                before = rs.getLong(1);
              }
            }
          } catch (SQLException e) {
            throw new dev.cfost.CfostException("cannot read the history of " + st.id + ": " + e.getMessage(), e);
          }
          done = page.size() < 256;
        }
        return !page.isEmpty();
      }

      @Override
      public Entry next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        return page.poll();
      }
    };
  }

  /** A new revision of {@code kind} that reverts {@code e}, checked against the current state. */
  private static RevisionRecord revert(DocumentStore store, DocState st, Entry e, String user, Kind kind,
      boolean othersAfter) throws SQLException {
    Reason refusal = kind == Kind.UNDO ? Reason.CANNOT_UNDO : Reason.CANNOT_REDO;
    String cannot = "cannot " + (kind == Kind.UNDO ? "undo" : "redo") + " version " + e.pos + " of document "
        + st.id + ": ";
    long target = e.rec.id();
    switch (e.rec.action()) {
      case CREATE:
        throw new DocumentException(refusal, cannot + "a create has no reverse; delete the document instead");
      case DELETE:
        if (!st.deleted) {
          throw new DocumentException(refusal, cannot + "the document was restored since");
        }
        return make(store, st, user, kind, Action.RESTORE, null, null, null, target);
      case RESTORE:
        if (st.deleted) {
          throw new DocumentException(refusal, cannot + "the document was deleted since");
        }
        if (othersAfter) {
          throw new DocumentException(refusal, cannot + "deleting it again would hide later edits of other users");
        }
        return make(store, st, user, kind, Action.DELETE, st.body.deepCopy(), null, null, target);
      case PATCH:
        break;
      default:
        throw new AssertionError(e.rec.action());
    }
    if (st.deleted) {
      throw new DocumentException(refusal, cannot + "the document is deleted");
    }
    JsonPatch reverse = e.reverse();
    DocState after = store.stateAt(st, e.pos);
    for (JsonPatch.Op op : reverse.ops()) {
      String changed = changedSince(after.body, st.body, op.path());
      if (changed != null) {
        throw new DocumentException(refusal, cannot + "the value at '" + changed
            + "' was changed by a later edit since");
      }
    }
    List<JsonPatch.Op> guarded = new ArrayList<>();
    JsonNode sim = after.body;
    for (JsonPatch.Op op : reverse.ops()) {
      if (op.kind() == JsonPatch.Kind.REMOVE || op.kind() == JsonPatch.Kind.REPLACE) {
        guarded.add(new JsonPatch.Op(JsonPatch.Kind.TEST, op.path(), null, JsonPatch.get(sim, op.path(), "path").deepCopy()));
      }
      sim = new JsonPatch(List.of(op)).apply(sim).root();
      guarded.add(op);
    }
    JsonPatch forward = new JsonPatch(guarded);
    JsonPatch.Applied trial;
    try {
      trial = forward.apply(st.body);
    } catch (PatchException ex) {
      throw new DocumentException(refusal, cannot + ex.getMessage());
    }
    st.body = trial.reverse().apply(trial.root()).root();
    return make(store, st, user, kind, Action.PATCH, null, forward, trial.reverse(), target);
  }

  /**
   * Where the current document differs from the one right after the reverted change at a location the
   * revert writes: the location, or null if they agree.
   */
  private static String changedSince(JsonNode after, JsonNode now, Pointer path) {
    if (path.isRoot()) {
      return Json.same(after, now) ? null : "";
    }
    Pointer parent = path.parent();
    JsonNode pa = JsonPatch.find(after, parent.text());
    JsonNode pn = JsonPatch.find(now, parent.text());
    if (pa == null || pn == null) {
      return pa == null && pn == null ? null : parent.text();
    }
    if (pa.isArray() || pn.isArray()) {
      return Json.same(pa, pn) ? null : parent.text();
    }
    JsonNode va = pa.get(path.last());
    JsonNode vn = pn.get(path.last());
    boolean same = va == null ? vn == null : vn != null && Json.same(va, vn);
    return same ? null : path.text();
  }

  private static RevisionRecord make(DocumentStore store, DocState st, String user, Kind kind, Action action,
      JsonNode content, JsonPatch forward, JsonPatch reverse, long target) {
    return new RevisionRecord(st.id, store.now(), store.site(), user, kind, action, null, content, forward,
        reverse, target);
  }
}
