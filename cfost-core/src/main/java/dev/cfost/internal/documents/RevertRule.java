package dev.cfost.internal.documents;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cfost.DocumentException;
import dev.cfost.DocumentException.Reason;
import dev.cfost.Revision;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Undo and redo per user, over the history of any store: a replica's SQLite tables ({@link Reverts}) or
 * the server's PostgreSQL ones. A user's undo stack is read from the history, newest first: the user's
 * last applied change that no later undo of theirs reverted is what undo reverts; the user's last undo,
 * if nothing but redos came after it, is what redo reverts.
 *
 * <p>The guard: an undo must not overwrite an edit someone else made after the change it reverts. Every
 * location the revert writes must hold in the current document what it held right after that change (for
 * an element of an array, the whole array must be as it was, since other insertions shift positions);
 * else the undo is refused. The revert patch also carries RFC 6902 {@code test} operations for the values
 * it replaces or removes, so that if it meets a concurrent edit when the histories merge, it becomes a
 * no-op instead of overwriting it.
 */
public final class RevertRule {
  private RevertRule() {}

  /** What a revision did to the document; an undo or a redo does one of these too. */
  public enum Action { CREATE, PATCH, DELETE, RESTORE }

  /**
   * One applied revision of the document, as the rule reads it: {@code reverse} (of a {@code PATCH}, as it
   * applied in this history) is only read for the revision reverted, {@code target} only for undo and redo.
   */
  public record Step(long id, long version, String user, Revision.Kind kind, Action action,
      Supplier<JsonPatch> reverse, long target) {}

  /** A store's history of one document. */
  public interface History {
    /** The applied revisions, newest first; read lazily: an undo usually looks at few. */
    Iterable<Step> newestFirst();

    /** The document's body right after {@code version}. */
    JsonNode bodyAt(long version) throws SQLException;
  }

  /**
   * The revision to write, of {@code kind} ({@code UNDO} or {@code REDO}), reverting revision {@code target}.
   * A {@code DELETE} keeps the document's body in {@code deletedBody}. A {@code PATCH} writes {@code forward};
   * {@code applied} is it applied to the document the rule was given (which it changed in place).
   */
  public record Revert(Revision.Kind kind, Action action, JsonNode deletedBody, JsonPatch forward,
      JsonPatch.Applied applied, long target) {}

  /**
   * Reverts {@code user}'s last change to the document {@code body} (deleted or not) that is not undone.
   *
   * @throws DocumentException CANNOT_UNDO, naming why
   */
  public static Revert undo(History history, String doc, String user, JsonNode body, boolean deleted)
      throws SQLException {
    Set<Long> undone = new HashSet<>();
    boolean othersAfter = false;
    for (Step s : history.newestFirst()) {
      if (!s.user().equals(user)) {
        othersAfter = true;
      } else if (s.kind() == Revision.Kind.UNDO) {
        undone.add(s.target());
      } else if (!undone.contains(s.id())) {
        return revert(history, doc, body, deleted, s, Revision.Kind.UNDO, othersAfter);
      }
    }
    throw new DocumentException(Reason.CANNOT_UNDO, "cannot undo: " + user + " has no change to document " + doc
        + " that is not undone");
  }

  /**
   * Reverts {@code user}'s last undo of the document, if the user made no other change since.
   *
   * @throws DocumentException CANNOT_REDO, naming why
   */
  public static Revert redo(History history, String doc, String user, JsonNode body, boolean deleted)
      throws SQLException {
    Set<Long> redone = new HashSet<>();
    boolean othersAfter = false;
    for (Step s : history.newestFirst()) {
      if (!s.user().equals(user)) {
        othersAfter = true;
      } else if (s.kind() == Revision.Kind.REDO) {
        redone.add(s.target());
      } else if (s.kind() == Revision.Kind.UNDO) {
        if (!redone.contains(s.id())) {
          return revert(history, doc, body, deleted, s, Revision.Kind.REDO, othersAfter);
        }
      } else {
        break;
      }
    }
    throw new DocumentException(Reason.CANNOT_REDO, "cannot redo: " + user + " has no undo of document " + doc
        + " to redo since their last change");
  }

  private static Revert revert(History history, String doc, JsonNode body, boolean deleted, Step s,
      Revision.Kind kind, boolean othersAfter) throws SQLException {
    Reason refusal = kind == Revision.Kind.UNDO ? Reason.CANNOT_UNDO : Reason.CANNOT_REDO;
    String cannot = "cannot " + (kind == Revision.Kind.UNDO ? "undo" : "redo") + " version " + s.version()
        + " of document " + doc + ": ";
    switch (s.action()) {
      case CREATE -> throw new DocumentException(refusal, cannot + "a create has no reverse; delete the document instead");
      case DELETE -> {
        if (!deleted) {
          throw new DocumentException(refusal, cannot + "the document was restored since");
        }
        return new Revert(kind, Action.RESTORE, null, null, null, s.id());
      }
      case RESTORE -> {
        if (deleted) {
          throw new DocumentException(refusal, cannot + "the document was deleted since");
        }
        if (othersAfter) {
          throw new DocumentException(refusal, cannot + "deleting it again would hide later edits of other users");
        }
        return new Revert(kind, Action.DELETE, body.deepCopy(), null, null, s.id());
      }
      default -> {
        if (deleted) {
          throw new DocumentException(refusal, cannot + "the document is deleted");
        }
        return revertPatch(history, body, s, kind, refusal, cannot);
      }
    }
  }

  private static Revert revertPatch(History history, JsonNode body, Step s, Revision.Kind kind, Reason refusal,
      String cannot) throws SQLException {
    JsonPatch reverse = s.reverse().get();
    JsonNode after = history.bodyAt(s.version());
    for (JsonPatch.Op op : reverse.ops()) {
      String changed = changedSince(after, body, op.path());
      if (changed != null) {
        throw new DocumentException(refusal, cannot + "the value at '" + changed + "' was changed by a later edit since");
      }
    }
    List<JsonPatch.Op> guarded = new ArrayList<>();
    JsonNode sim = after;
    try {
      for (JsonPatch.Op op : reverse.ops()) {
        if (op.kind() == JsonPatch.Kind.REMOVE || op.kind() == JsonPatch.Kind.REPLACE) {
          JsonNode was = JsonPatch.get(sim, op.path(), "the reverse's path");
          guarded.add(new JsonPatch.Op(JsonPatch.Kind.TEST, op.path(), null, was.deepCopy()));
        }
        sim = new JsonPatch(List.of(op)).apply(sim).root();
        guarded.add(op);
      }
    } catch (PatchException e) {
      throw new DocumentException(refusal, cannot + "its reverse does not apply: " + e.getMessage());
    }
    JsonPatch forward = new JsonPatch(guarded);
    try {
      return new Revert(kind, Action.PATCH, null, forward, forward.apply(body), s.id());
    } catch (PatchException e) {
      throw new DocumentException(refusal, cannot + e.getMessage());
    }
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
}
