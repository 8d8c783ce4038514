package dev.cfost.internal.documents;

import static dev.cfost.internal.documents.DocumentArguments.checkCreate;
import static dev.cfost.internal.documents.DocumentArguments.checkFinite;
import static dev.cfost.internal.documents.DocumentArguments.checkId;
import static dev.cfost.internal.documents.DocumentArguments.checkPage;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.fge.jsonpatch.diff.JsonDiff;
import dev.cfost.Document;
import dev.cfost.DocumentException;
import dev.cfost.DocumentException.Reason;
import dev.cfost.DocumentQuery;
import dev.cfost.Documents;
import dev.cfost.Revision;
import dev.cfost.internal.HybridClock;
import dev.cfost.internal.documents.RevisionRecord.Action;
import dev.cfost.internal.documents.RevisionRecord.Kind;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** {@link Documents} acting as one user: checks the arguments, then asks the store. */
final class UserDocuments implements Documents {
  private static final int MAX_USER = 128;

  private final DocumentStore store;
  private final String user;

  UserDocuments(DocumentStore store, String user) {
    if (user == null || user.isEmpty() || user.length() > MAX_USER || user.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException("a user is 1 to " + MAX_USER + " characters without control characters: '"
          + user + "'");
    }
    this.store = store;
    this.user = user;
  }

  @Override
  public String user() {
    return user;
  }

  @Override
  public Document create(String id, String title, JsonNode content) {
    checkCreate(id, title, content);
    JsonNode copy = content.deepCopy();
    return store.write(id, st -> {
      if (st.created) {
        throw new DocumentException(Reason.ALREADY_EXISTS, "document " + id + " exists already");
      }
      return revision(st, Kind.CREATE, Action.CREATE, title, copy, null, null);
    });
  }

  @Override
  public Optional<Document> get(String id) {
    checkId(id);
    return store.read("document " + id, () -> {
      Document d = store.document(id);
      return d == null || d.deleted() ? Optional.empty() : Optional.of(d);
    });
  }

  @Override
  public Document update(String id, JsonNode patch) {
    checkId(id);
    if (patch != null) {
      checkFinite(patch, "the patch for document " + id);
    }
    JsonPatch p;
    try {
      p = JsonPatch.parse(patch);
    } catch (PatchException e) {
      throw new DocumentException(Reason.INVALID, "the patch for document " + id + " is malformed: " + e.getMessage());
    }
    return store.write(id, st -> patchRevision(st, p, ""));
  }

  @Override
  public Document updateEach(String id, List<JsonNode> patches) {
    checkId(id);
    List<JsonPatch> parsed = JsonPatch.parseEach(id, patches);
    return store.writeEach(id, parsed.size(), (st, i) -> patchRevision(st, parsed.get(i), "patch " + i + ": "));
  }

  @Override
  public Document replace(String id, JsonNode content) {
    checkId(id);
    if (content == null || content.isMissingNode()) {
      throw new DocumentException(Reason.INVALID, "no new content for document " + id);
    }
    checkFinite(content, "the new content of document " + id);
    return store.write(id, st -> {
      editable(st);
      JsonPatch p = JsonPatch.parse(JsonDiff.asJson(st.body, content));
      return p.isEmpty() ? null : patchRevision(st, p, "");
    });
  }

  /** A patch's revision, refused if it does not apply; {@code which} names it among several in the error. */
  private RevisionRecord patchRevision(DocState st, JsonPatch p, String which) {
    editable(st);
    JsonPatch.Applied trial;
    try {
      trial = p.apply(st.body);
    } catch (PatchException e) {
      throw new DocumentException(Reason.PATCH_FAILED, which + "the patch does not apply to version " + st.version
          + " of document " + st.id + ": " + e.getMessage());
    }
    st.body = trial.reverse().apply(trial.root()).root();
    return revision(st, Kind.UPDATE, Action.PATCH, null, null, p, trial.reverse());
  }

  @Override
  public Document delete(String id) {
    checkId(id);
    return store.write(id, st -> {
      editable(st);
      return revision(st, Kind.DELETE, Action.DELETE, null, st.body.deepCopy(), null, null);
    });
  }

  @Override
  public Document restore(String id) {
    checkId(id);
    return store.write(id, st -> {
      found(st);
      if (!st.deleted) {
        throw new DocumentException(Reason.NOT_DELETED, "document " + id + " is not deleted");
      }
      return revision(st, Kind.RESTORE, Action.RESTORE, null, null, null, null);
    });
  }

  @Override
  public Document undo(String id) {
    return revert(id, true);
  }

  @Override
  public Document redo(String id) {
    return revert(id, false);
  }

  private Document revert(String id, boolean undo) {
    checkId(id);
    return store.write(id, st -> {
      found(st);
      try {
        return undo ? Reverts.undo(store, st, user) : Reverts.redo(store, st, user);
      } catch (SQLException e) {
        throw new dev.cfost.CfostException("cannot read the history of " + id + ": " + e.getMessage(), e);
      }
    });
  }

  @Override
  public List<Document> list(DocumentQuery q) {
    JsonNode equalTo = q.equalTo();
    if (q.pointer() != null) {
      try {
        Pointer.parse(q.pointer());
      } catch (PatchException e) {
        throw new DocumentException(Reason.INVALID, e.getMessage());
      }
      if (equalTo != null) {
        checkFinite(equalTo, "the value compared at " + q.pointer());
      }
    }
    return store.read("the documents", () -> {
      StringBuilder sql = new StringBuilder("SELECT title, body, created, deleted, version, created_by, updated_by,"
          + " updated_hlc, doc FROM cfost_doc_heads WHERE created");
      List<Object> args = new ArrayList<>();
      if (!q.includeDeleted()) {
        sql.append(" AND NOT deleted");
      }
      // The title is matched below, in Java: SQLite's lower() folds ASCII only ("Ä" stays "Ä").
      String titleContains = q.titleContains() == null ? null : q.titleContains().toLowerCase(Locale.ROOT);
      if (q.updatedSince() != null) {
        sql.append(" AND updated_hlc >= ?");
        args.add(HybridClock.timestamp(Math.max(0, q.updatedSince().toEpochMilli()), 0));
      }
      sql.append(" ORDER BY doc");
      List<Document> out = new ArrayList<>();
      try (PreparedStatement ps = store.conn.prepareStatement(sql.toString())) {
        for (int i = 0; i < args.size(); i++) {
          ps.setObject(i + 1, args.get(i));
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next() && out.size() < q.limit()) {
            String title = rs.getString(1);
            if (titleContains != null && (title == null || !title.toLowerCase(Locale.ROOT).contains(titleContains))) {
              continue;
            }
            Document d = DocumentStore.document(rs.getString(9), rs);
            JsonNode at = q.pointer() == null ? null : JsonPatch.find(d.content(), q.pointer());
            if (q.pointer() == null || at != null && Json.same(at, equalTo)) {
              out.add(d);
            }
          }
        }
      }
      return out;
    });
  }

  @Override
  public List<Revision> history(String id, long fromVersion, int limit) {
    checkId(id);
    checkPage(fromVersion, limit);
    return store.read("the history of " + id, () -> {
      DocState st = store.state(id, false, false);
      if (st == null) {
        throw new DocumentException(Reason.NOT_FOUND, "no document " + id);
      }
      return revisions("o.ord = ? AND o.pos >= ? ORDER BY o.pos LIMIT ?", st.ord, fromVersion, limit);
    });
  }

  @Override
  public List<Revision> audit(Instant since) {
    long from = HybridClock.timestamp(Math.max(0, since.toEpochMilli()), 0);
    return store.read("the audit trail", () -> {
      // runs that end before `from` hold nothing newer; the rest are filtered revision by revision
      List<Revision> out = revisions("o.run IN (SELECT n FROM cfost_doc_runs WHERE last_hlc >= ?)", from);
      out.removeIf(r -> r.hlc() < from);
      out.sort(java.util.Comparator.comparingLong(Revision::hlc).thenComparing(Revision::device));
      return out;
    });
  }

  private List<Revision> revisions(String where, long... args) throws SQLException {
    List<Revision> out = new ArrayList<>();
    try (PreparedStatement ps = store.conn.prepareStatement("SELECT o.pos, o.applied, o.reason, o.rev, o.run, o.idx"
        + " FROM cfost_doc_order o WHERE " + where)) {
      for (int i = 0; i < args.length; i++) {
        ps.setLong(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(revision(rs.getLong(1), rs.getBoolean(2), rs.getString(3), rs.getString(4),
              store.runs.revision(rs.getLong(5), rs.getInt(6))));
        }
      }
    }
    return out;
  }

  private static Revision revision(long pos, boolean applied, String reason, String rev, RevisionRecord r) {
    // copies: the revision may be a cached one, which a caller's change to what it gets must not reach
    JsonNode patch = r.action() == Action.CREATE ? Json.copy(r.content())
        : r.action() == Action.PATCH ? Json.copy(r.forward().toJson()) : null;
    JsonNode reverse = null;
    if (applied && r.action() == Action.PATCH) {
      reverse = Json.copy((rev == null ? r.reverse() : RevisionRecord.expand(Json.parse(rev, "reverse"))).toJson());
    } else if (applied && r.action() == Action.DELETE) {
      reverse = Json.copy(r.content());
    }
    List<String> paths = r.action() == Action.PATCH ? r.forward().touchedPaths() : List.of("");
    return new Revision(r.doc(), pos, revisionId(r.id()), Revision.Kind.valueOf(r.kind().name()), r.user(),
        HexFormat.of().formatHex(r.site()), r.hlc(), patch, reverse, applied, reason,
        r.kind() == Kind.UNDO || r.kind() == Kind.REDO ? revisionId(r.target()) : null, paths);
  }

  static String revisionId(long id) {
    return String.format("%016x", id);
  }

  @Override
  public Document at(String id, long version) {
    checkId(id);
    return store.read("document " + id, () -> {
      DocState st = store.state(id, false, false);
      if (st == null || st.version == 0) {
        throw new DocumentException(Reason.NOT_FOUND, "no document " + id);
      }
      if (version < 1 || version > st.version) {
        throw new DocumentException(Reason.NO_SUCH_VERSION, "document " + id + " has versions 1 to " + st.version
            + ", not " + version);
      }
      DocState then = version == st.version ? store.state(id, false) : store.stateAt(st, version);
      if (!then.created) {
        throw new DocumentException(Reason.NO_SUCH_VERSION, "document " + id + " did not exist at version " + version);
      }
      RevisionRecord last = store.lastApplied(st.ord, version);
      return new Document(id, then.title, version, then.deleted, then.body, then.createdBy,
          last == null ? null : last.user(), last == null ? 0 : last.hlc());
    });
  }

  private RevisionRecord revision(DocState st, Kind kind, Action action, String title, JsonNode content,
      JsonPatch forward, JsonPatch reverse) {
    return new RevisionRecord(st.id, store.now(), store.site(), user, kind, action, title, content, forward, reverse, 0);
  }

  private static void found(DocState st) {
    if (!st.created) {
      throw new DocumentException(Reason.NOT_FOUND, "no document " + st.id);
    }
  }

  private static void editable(DocState st) {
    found(st);
    if (st.deleted) {
      throw new DocumentException(Reason.DELETED, "document " + st.id + " is deleted; restore it first");
    }
  }
}
