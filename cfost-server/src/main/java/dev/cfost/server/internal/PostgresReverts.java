package dev.cfost.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.cfost.DocumentException;
import dev.cfost.DocumentException.Reason;
import dev.cfost.Revision;
import dev.cfost.internal.documents.Json;
import dev.cfost.internal.documents.JsonPatch;
import dev.cfost.internal.documents.PatchException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;

/**
 * Undo and redo per user on the PostgreSQL documents, with the rule of the library's documents
 * (docs/DOCUMENTS.md): undo reverts the user's last change that no later undo of theirs reverted; redo
 * reverts the user's last undo if nothing but redos of theirs came after it. The guard: every location the
 * revert writes must hold now what it held right after the reverted change (for an array element, the
 * whole array), else "cannot undo" rather than overwrite a later edit of someone else; the revert patch
 * carries {@code test} operations for the values it replaces or removes.
 *
 * <p>The core's own {@code Reverts} reads a replica's SQLite history; this class reads the store's revisions,
 * under the document's row lock held by {@link PostgresDocuments}, and builds its patches with the core's
 * {@link JsonPatch}. One use per change.
 */
final class PostgresReverts {
  private static final int PAGE = 256;

  private final PostgresDocuments docs;
  private final Connection c;
  private final PostgresDocuments.Head h;

  /** One stored revision, as far as a revert needs it. */
  private record Entry(long id, long version, String kind, String action, String author, JsonNode reverse,
      long target) {}

  PostgresReverts(PostgresDocuments docs, Connection c, PostgresDocuments.Head h) {
    this.docs = docs;
    this.c = c;
    this.h = h;
  }

  PostgresDocuments.Made undo() throws SQLException {
    Set<Long> undone = new HashSet<>();
    boolean othersAfter = false;
    for (Entry e : newestFirst()) {
      if (!e.author.equals(docs.user())) {
        othersAfter = true;
      } else if (e.kind.equals("undo")) {
        undone.add(e.target);
      } else if (!undone.contains(e.id)) {
        return revert(e, Revision.Kind.UNDO, othersAfter);
      }
    }
    throw new DocumentException(Reason.CANNOT_UNDO, "cannot undo: " + docs.user() + " has no change to document "
        + h.id + " that is not undone");
  }

  PostgresDocuments.Made redo() throws SQLException {
    Set<Long> redone = new HashSet<>();
    boolean othersAfter = false;
    for (Entry e : newestFirst()) {
      if (!e.author.equals(docs.user())) {
        othersAfter = true;
      } else if (e.kind.equals("redo")) {
        redone.add(e.target);
      } else if (e.kind.equals("undo")) {
        if (!redone.contains(e.id)) {
          return revert(e, Revision.Kind.REDO, othersAfter);
        }
      } else {
        break;
      }
    }
    throw new DocumentException(Reason.CANNOT_REDO, "cannot redo: " + docs.user() + " has no undo of document "
        + h.id + " to redo since their last change");
  }

  /** The document's revisions, newest first, read a page at a time: an undo usually looks at few. */
  private Iterable<Entry> newestFirst() {
    return () -> new java.util.Iterator<>() {
      private final ArrayDeque<Entry> page = new ArrayDeque<>();
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
              page.add(new Entry(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5),
                  reverse == null ? null : Json.parse(reverse, "a stored reverse"), rs.getLong(7)));
              before = rs.getLong(2);
            }
          }
        }
        done = page.size() < PAGE;
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

  /** A revision of {@code kind} that reverts {@code e}, checked against the current document. */
  private PostgresDocuments.Made revert(Entry e, Revision.Kind kind, boolean othersAfter) throws SQLException {
    Reason refusal = kind == Revision.Kind.UNDO ? Reason.CANNOT_UNDO : Reason.CANNOT_REDO;
    String cannot = "cannot " + (kind == Revision.Kind.UNDO ? "undo" : "redo") + " version " + e.version
        + " of document " + h.id + ": ";
    switch (e.action) {
      case "create" -> throw new DocumentException(refusal, cannot
          + "a create has no reverse; delete the document instead");
      case "delete" -> {
        if (!h.deleted) {
          throw new DocumentException(refusal, cannot + "the document was restored since");
        }
        h.deleted = false;
        return new PostgresDocuments.Made(kind, "restore", null, null, e.id);
      }
      case "restore" -> {
        if (h.deleted) {
          throw new DocumentException(refusal, cannot + "the document was deleted since");
        }
        if (othersAfter) {
          throw new DocumentException(refusal, cannot + "deleting it again would hide later edits of other users");
        }
        h.deleted = true;
        return new PostgresDocuments.Made(kind, "delete", null, h.body.deepCopy(), e.id);
      }
      case "patch" -> {
        return revertPatch(e, kind, refusal, cannot);
      }
      default -> throw new IllegalStateException("a stored revision of " + h.id + " has action " + e.action);
    }
  }

  private PostgresDocuments.Made revertPatch(Entry e, Revision.Kind kind, Reason refusal, String cannot)
      throws SQLException {
    if (h.deleted) {
      throw new DocumentException(refusal, cannot + "the document is deleted");
    }
    JsonNode after = docs.stateAt(c, h, e.version).body;
    for (JsonNode op : e.reverse) {
      String changed = changedSince(after, h.body, op.get("path").textValue());
      if (changed != null) {
        throw new DocumentException(refusal, cannot + "the value at '" + changed
            + "' was changed by a later edit since");
      }
    }
    ArrayNode guarded = Json.MAPPER.createArrayNode();
    JsonNode sim = after;
    for (JsonNode op : e.reverse) {
      String name = op.get("op").textValue();
      String path = op.get("path").textValue();
      if (name.equals("remove") || name.equals("replace")) {
        JsonNode was = JsonPatch.find(sim, path);
        if (was == null) {
          throw new DocumentException(refusal, cannot + "its reverse does not apply at '" + path + "'");
        }
        guarded.addObject().put("op", "test").put("path", path).set("value", was.deepCopy());
      }
      sim = JsonPatch.parse(Json.MAPPER.createArrayNode().add(op)).apply(sim).root();
      guarded.add(op);
    }
    JsonPatch forward = JsonPatch.parse(guarded);
    JsonPatch.Applied applied;
    try {
      applied = forward.apply(h.body);
    } catch (PatchException ex) {
      throw new DocumentException(refusal, cannot + ex.getMessage());
    }
    h.body = applied.root();
    return new PostgresDocuments.Made(kind, "patch", forward.toJson(), applied.reverse().toJson(), e.id);
  }

  /**
   * Where the current document differs from the one right after the reverted change at a location the
   * revert writes: the location, or null if they agree.
   */
  private static String changedSince(JsonNode after, JsonNode now, String path) {
    if (path.isEmpty()) {
      return Json.same(after, now) ? null : "";
    }
    int slash = path.lastIndexOf('/');
    String parent = path.substring(0, slash);
    String last = path.substring(slash + 1).replace("~1", "/").replace("~0", "~");
    JsonNode pa = JsonPatch.find(after, parent);
    JsonNode pn = JsonPatch.find(now, parent);
    if (pa == null || pn == null) {
      return pa == null && pn == null ? null : parent;
    }
    if (pa.isArray() || pn.isArray()) {
      return Json.same(pa, pn) ? null : parent;
    }
    JsonNode va = pa.get(last);
    JsonNode vn = pn.get(last);
    boolean same = va == null ? vn == null : vn != null && Json.same(va, vn);
    return same ? null : path;
  }
}
