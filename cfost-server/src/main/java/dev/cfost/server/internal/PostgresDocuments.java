package dev.cfost.server.internal;

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
import dev.cfost.internal.documents.Json;
import dev.cfost.internal.documents.JsonPatch;
import dev.cfost.internal.documents.PatchException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One user's {@code /ws} documents in the PostgreSQL store (tables of {@link PostgresSchema}, migration 3),
 * with the semantics of the library's {@link Documents}: every change a revision with its forward and
 * reverse RFC 6902 patch (through the core's {@link JsonPatch}), the user, the device (the server process's
 * origin) and a hybrid-clock time; undo and redo per user ({@link PostgresReverts}).
 *
 * <p>Several processes write one document in turn: a change locks the document's row ({@code SELECT ...
 * FOR UPDATE}) and re-reads it, so versions stay linear and no change is lost; its revision, the new
 * current body (JSONB, under a GIN index, queried by {@link #list}), a checkpoint every
 * {@value #CHECKPOINT_EVERY} versions and one notification on {@link CommitChannel#DOCUMENTS} commit in
 * one transaction, or nothing does. Thread-safe: every call takes a pooled connection.
 */
final class PostgresDocuments implements Documents {
  /** Versions between checkpoints: {@link #at} folds at most this many patches. */
  static final int CHECKPOINT_EVERY = 100;
  private static final String HEAD = "SELECT doc_id, title, body::text, deleted, version, created_by, created_hlc,"
      + " updated_by, updated_hlc FROM documents";

  private final PostgresPool pool;
  private final String user;
  private final String device;
  private final Clock clock;

  PostgresDocuments(PostgresPool pool, String user, String device, Clock clock) {
    this.pool = pool;
    this.user = user;
    this.device = device;
    this.clock = clock;
  }

  /** A document's row as read; a change edits it and {@link #write} saves it. */
  static final class Head {
    String id;
    String title;
    JsonNode body;
    boolean deleted;
    long version;
    String createdBy;
    long createdHlc;
    String updatedBy;
    long updatedHlc;

    Document document() {
      return new Document(id, title, version, deleted, body.deepCopy(), createdBy, updatedBy, updatedHlc);
    }
  }

  /** A revision a change makes: its kind and action as stored (lower case), and its patches. */
  record Made(Revision.Kind kind, String action, JsonNode patch, JsonNode reverse, Long target) {}

  @FunctionalInterface
  interface Change {
    /** Edits {@code h} and returns its revision, or null if nothing changes; throws to refuse. */
    Made apply(Connection c, Head h) throws SQLException;
  }

  /** The {@code i}th of several changes written in one transaction. */
  @FunctionalInterface
  interface EachChange {
    Made apply(Connection c, Head h, int i) throws SQLException;
  }

  @Override
  public String user() {
    return user;
  }

  @Override
  public Document create(String id, String title, JsonNode content) {
    checkCreate(id, title, content);
    return tx("creating document " + id, c -> {
      long hlc = nextHlc(0);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO documents(user_id, doc_id, title, body, version,"
          + " created_by, created_hlc, updated_by, updated_hlc) VALUES (?, ?, ?, ?::jsonb, 1, ?, ?, ?, ?)"
          + " ON CONFLICT (user_id, doc_id) DO NOTHING")) {
        ps.setString(1, user);
        ps.setString(2, id);
        ps.setString(3, title);
        ps.setString(4, Json.write(content));
        ps.setString(5, user);
        ps.setLong(6, hlc);
        ps.setString(7, user);
        ps.setLong(8, hlc);
        if (ps.executeUpdate() == 0) { // a create of another process may have waited for this one's
          throw new DocumentException(Reason.ALREADY_EXISTS, "document " + id + " exists already");
        }
      }
      insertRevision(c, id, 1, hlc, title, new Made(Revision.Kind.CREATE, "create", content, null, null));
      notifyUpdated(c, id, 1);
      return head(c, id, false).document();
    });
  }

  @Override
  public Optional<Document> get(String id) {
    checkId(id);
    return tx("reading document " + id, c -> {
      Head h = head(c, id, false);
      return h == null || h.deleted ? Optional.empty() : Optional.of(h.document());
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
    return write(id, (c, h) -> patched(h, p, ""));
  }

  @Override
  public Document updateEach(String id, List<JsonNode> patches) {
    checkId(id);
    List<JsonPatch> parsed = JsonPatch.parseEach(id, patches);
    return write(id, parsed.size(), (c, h, i) -> patched(h, parsed.get(i), "patch " + i + ": "));
  }

  @Override
  public Document replace(String id, JsonNode content) {
    checkId(id);
    if (content == null || content.isMissingNode()) {
      throw new DocumentException(Reason.INVALID, "no new content for document " + id);
    }
    checkFinite(content, "the new content of document " + id);
    return write(id, (c, h) -> {
      editable(h);
      JsonPatch p = JsonPatch.parse(JsonDiff.asJson(h.body, content));
      return p.isEmpty() ? null : patched(h, p, "");
    });
  }

  /** A patch's revision, refused if it does not apply; {@code which} names it among several in the error. */
  private static Made patched(Head h, JsonPatch p, String which) {
    editable(h);
    JsonPatch.Applied applied;
    try {
      applied = p.apply(h.body);
    } catch (PatchException e) {
      throw new DocumentException(Reason.PATCH_FAILED, which + "the patch does not apply to version " + h.version
          + " of document " + h.id + ": " + e.getMessage());
    }
    h.body = applied.root();
    return new Made(Revision.Kind.UPDATE, "patch", p.toJson(), applied.reverse().toJson(), null);
  }

  @Override
  public Document delete(String id) {
    checkId(id);
    return write(id, (c, h) -> {
      editable(h);
      h.deleted = true;
      return new Made(Revision.Kind.DELETE, "delete", null, h.body.deepCopy(), null);
    });
  }

  @Override
  public Document restore(String id) {
    checkId(id);
    return write(id, (c, h) -> {
      if (!h.deleted) {
        throw new DocumentException(Reason.NOT_DELETED, "document " + id + " is not deleted");
      }
      h.deleted = false;
      return new Made(Revision.Kind.RESTORE, "restore", null, null, null);
    });
  }

  @Override
  public Document undo(String id) {
    checkId(id);
    return write(id, (c, h) -> new PostgresReverts(this, c, h).undo());
  }

  @Override
  public Document redo(String id) {
    checkId(id);
    return write(id, (c, h) -> new PostgresReverts(this, c, h).redo());
  }

  /**
   * Applies one change to a document under its row lock: the revision, the row, a checkpoint and the
   * notification commit together; a refusal or a failure writes nothing.
   */
  private Document write(String id, Change change) {
    return write(id, 1, (c, h, i) -> change.apply(c, h));
  }

  /** Applies {@code count} changes one after the other in one transaction, as {@link #write(String, Change)}. */
  private Document write(String id, int count, EachChange change) {
    return tx("changing document " + id, c -> {
      Head h = head(c, id, true);
      if (h == null) {
        throw new DocumentException(Reason.NOT_FOUND, "no document " + id);
      }
      long before = h.version;
      for (int i = 0; i < count; i++) {
        Made made = change.apply(c, h, i);
        if (made != null) {
          h.version++;
          h.updatedBy = user;
          h.updatedHlc = nextHlc(h.updatedHlc);
          insertRevision(c, id, h.version, h.updatedHlc, null, made);
          checkpoint(c, id, h);
        }
      }
      if (h.version == before) {
        return h.document();
      }
      try (PreparedStatement ps = c.prepareStatement("UPDATE documents SET body = ?::jsonb, deleted = ?, version = ?,"
          + " updated_by = ?, updated_hlc = ? WHERE user_id = ? AND doc_id = ?")) {
        ps.setString(1, Json.write(h.body));
        ps.setBoolean(2, h.deleted);
        ps.setLong(3, h.version);
        ps.setString(4, h.updatedBy);
        ps.setLong(5, h.updatedHlc);
        ps.setString(6, user);
        ps.setString(7, id);
        ps.executeUpdate();
      }
      notifyUpdated(c, id, h.version);
      return h.document();
    });
  }

  /** Every {@value #CHECKPOINT_EVERY} versions, the document as it is at that version. */
  private void checkpoint(Connection c, String id, Head h) throws SQLException {
    if (h.version % CHECKPOINT_EVERY == 0) {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO document_checkpoints(user_id, doc_id, version,"
          + " body, deleted) VALUES (?, ?, ?, ?::jsonb, ?)")) {
        ps.setString(1, user);
        ps.setString(2, id);
        ps.setLong(3, h.version);
        ps.setString(4, Json.write(h.body));
        ps.setBoolean(5, h.deleted);
        ps.executeUpdate();
      }
    }
  }

  /** Later than the document's last revision and, unless the clock went back, than now: times stay in order. */
  private long nextHlc(long last) {
    return Math.max(last + 1, HybridClock.timestamp(clock.millis(), 0));
  }

  private void insertRevision(Connection c, String id, long version, long hlc, String title, Made m)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO document_revisions(user_id, doc_id, version, kind,"
        + " action, author, device, hlc, title, patch, reverse, target)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?)")) {
      ps.setString(1, user);
      ps.setString(2, id);
      ps.setLong(3, version);
      ps.setString(4, m.kind().name().toLowerCase(Locale.ROOT));
      ps.setString(5, m.action());
      ps.setString(6, user);
      ps.setString(7, device);
      ps.setLong(8, hlc);
      ps.setString(9, title);
      ps.setString(10, m.patch() == null ? null : Json.write(m.patch()));
      ps.setString(11, m.reverse() == null ? null : Json.write(m.reverse()));
      ps.setObject(12, m.target());
      ps.executeUpdate();
    }
  }

  /** One notification per committed change, delivered at commit (never if it rolls back). */
  private void notifyUpdated(Connection c, String id, long version) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
      ps.setString(1, CommitChannel.DOCUMENTS);
      ps.setString(2, user + " " + id + " " + version + " " + device);
      ps.execute();
    }
  }

  /** The document's row, locked until the transaction ends with {@code lock}; null if there is none. */
  Head head(Connection c, String id, boolean lock) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(HEAD + " WHERE user_id = ? AND doc_id = ?"
        + (lock ? " FOR UPDATE" : ""))) {
      ps.setString(1, user);
      ps.setString(2, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? head(rs) : null;
      }
    }
  }

  private static Head head(ResultSet rs) throws SQLException {
    Head h = new Head();
    h.id = rs.getString(1);
    h.title = rs.getString(2);
    h.body = Json.parse(rs.getString(3), "document " + h.id);
    h.deleted = rs.getBoolean(4);
    h.version = rs.getLong(5);
    h.createdBy = rs.getString(6);
    h.createdHlc = rs.getLong(7);
    h.updatedBy = rs.getString(8);
    h.updatedHlc = rs.getLong(9);
    return h;
  }

  /** Documents that match, ordered by id: {@link PostgresDocumentQuery}, in SQL on the JSONB bodies. */
  @Override
  public List<Document> list(DocumentQuery q) {
    if (q.equalTo() != null) {
      checkFinite(q.equalTo(), "the value compared at " + q.pointer());
    }
    PostgresDocumentQuery query = PostgresDocumentQuery.of(HEAD, user, q);
    return tx("listing documents", c -> {
      List<Document> out = new ArrayList<>();
      try (PreparedStatement ps = query.prepare(c); ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(head(rs).document());
        }
      }
      return out;
    });
  }

  @Override
  public List<Revision> history(String id, long fromVersion, int limit) {
    checkId(id);
    checkPage(fromVersion, limit);
    return tx("reading the history of " + id, c -> {
      if (head(c, id, false) == null) {
        throw new DocumentException(Reason.NOT_FOUND, "no document " + id);
      }
      return revisions(c, "doc_id = ? AND version >= ? ORDER BY version LIMIT ?", id, fromVersion, limit);
    });
  }

  @Override
  public List<Revision> audit(Instant since) {
    long from = HybridClock.timestamp(Math.max(0, since.toEpochMilli()), 0);
    return tx("reading the audit trail", c -> revisions(c, "hlc >= ? ORDER BY hlc, id", from));
  }

  private List<Revision> revisions(Connection c, String where, Object... args) throws SQLException {
    List<Revision> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT doc_id, version, id, kind, action, author, device, hlc,"
        + " patch::text, reverse::text, target FROM document_revisions WHERE user_id = ? AND " + where)) {
      ps.setString(1, user);
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 2, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String action = rs.getString(5);
          JsonNode patch = rs.getString(9) == null ? null : Json.parse(rs.getString(9), "a stored patch");
          JsonNode reverse = rs.getString(10) == null ? null : Json.parse(rs.getString(10), "a stored reverse");
          long target = rs.getLong(11);
          boolean targeted = !rs.wasNull();
          List<String> paths = action.equals("patch") ? JsonPatch.parse(patch).touchedPaths() : List.of("");
          out.add(new Revision(rs.getString(1), rs.getLong(2), revisionId(rs.getLong(3)),
              Revision.Kind.valueOf(rs.getString(4).toUpperCase(Locale.ROOT)), rs.getString(6), rs.getString(7),
              rs.getLong(8), patch, reverse, true, null, targeted ? revisionId(target) : null, paths));
        }
      }
    }
    return out;
  }

  static String revisionId(long id) {
    return String.format("%016x", id);
  }

  @Override
  public Document at(String id, long version) {
    checkId(id);
    return tx("reading document " + id, c -> {
      Head h = head(c, id, false);
      if (h == null) {
        throw new DocumentException(Reason.NOT_FOUND, "no document " + id);
      }
      return at(c, h, version);
    });
  }

  private Document at(Connection c, Head h, long version) throws SQLException {
    if (version < 1 || version > h.version) {
      throw new DocumentException(Reason.NO_SUCH_VERSION, "document " + h.id + " has versions 1 to " + h.version
          + ", not " + version);
    }
    if (version == h.version) {
      return h.document();
    }
    Head then = stateAt(c, h, version);
    return new Document(h.id, h.title, version, then.deleted, then.body, h.createdBy, then.updatedBy,
        then.updatedHlc);
  }

  /**
   * The document right after {@code version}: from the nearest checkpoint at or before it, folding the
   * forward patches of the revisions after it.
   */
  Head stateAt(Connection c, Head current, long version) throws SQLException {
    Head st = new Head();
    st.id = current.id;
    long from = 0;
    try (PreparedStatement ps = c.prepareStatement("SELECT version, body::text, deleted FROM document_checkpoints"
        + " WHERE user_id = ? AND doc_id = ? AND version <= ? ORDER BY version DESC LIMIT 1")) {
      ps.setString(1, user);
      ps.setString(2, current.id);
      ps.setLong(3, version);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          from = rs.getLong(1);
          st.body = Json.parse(rs.getString(2), "a checkpoint of " + current.id);
          st.deleted = rs.getBoolean(3);
        }
      }
    }
    // From the checkpoint's own revision on (its author and time are the state's if nothing follows).
    try (PreparedStatement ps = c.prepareStatement("SELECT version, action, patch::text, author, hlc"
        + " FROM document_revisions WHERE user_id = ? AND doc_id = ? AND version >= ? AND version <= ?"
        + " ORDER BY version")) {
      ps.setString(1, user);
      ps.setString(2, current.id);
      ps.setLong(3, Math.max(1, from));
      ps.setLong(4, version);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (rs.getLong(1) > from) {
            fold(st, rs.getString(2), rs.getString(3));
          }
          st.updatedBy = rs.getString(4);
          st.updatedHlc = rs.getLong(5);
        }
      }
    }
    st.version = version;
    return st;
  }

  private static void fold(Head st, String action, String patch) {
    switch (action) {
      case "create" -> st.body = Json.parse(patch, "the content of " + st.id);
      case "patch" -> st.body = JsonPatch.parse(Json.parse(patch, "a stored patch")).apply(st.body).root();
      case "delete" -> st.deleted = true;
      case "restore" -> st.deleted = false;
      default -> throw new IllegalStateException("a stored revision of " + st.id + " has action " + action);
    }
  }

  /** An update committed (by another process) as its connections are told of it; null if it is not there. */
  DocumentBackend.Committed committed(String id, long version) {
    return tx("reading document " + id, c -> {
      Head h = head(c, id, false);
      if (h == null || version > h.version) {
        return null;
      }
      String kind;
      try (PreparedStatement ps = c.prepareStatement("SELECT kind FROM document_revisions"
          + " WHERE user_id = ? AND doc_id = ? AND version = ?")) {
        ps.setString(1, user);
        ps.setString(2, id);
        ps.setLong(3, version);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return null;
          }
          kind = rs.getString(1);
        }
      }
      return new DocumentBackend.Committed(user, kind, at(c, h, version));
    });
  }

  /**
   * Runs {@code work} in one transaction. A value PostgreSQL refuses (SQLSTATE class 22: a text or JSON
   * string holding the character U+0000, a number beyond its numeric type) is an INVALID refusal naming
   * it; the transaction is rolled back, so nothing of it is written.
   */
  private <T> T tx(String what, StoreFile.Work<T> work) {
    return pool.tx(what, c -> {
      try {
        return work.run(c);
      } catch (SQLException e) {
        if (e.getSQLState() != null && e.getSQLState().startsWith("22")) {
          throw new DocumentException(Reason.INVALID, what + ": PostgreSQL cannot keep a value of it: "
              + e.getMessage());
        }
        throw e;
      }
    });
  }

  static void editable(Head h) {
    if (h.deleted) {
      throw new DocumentException(Reason.DELETED, "document " + h.id + " is deleted; restore it first");
    }
  }
}
