package dev.cfost.internal.documents;

import dev.cfost.Cfost;
import dev.cfost.CfostException;
import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.Document;
import dev.cfost.Documents;
import dev.cfost.internal.PackedKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The documents of one database: revisions in the replicated {@code document_revisions}, and what is
 * derived from them on this replica alone (never replicated, rebuilt from the revisions if lost):
 *
 * <ul>
 *   <li>{@code cfost_doc_heads}: per document its current content (materialised), flags and version;
 *   <li>{@code cfost_doc_order}: per document its revisions in merge order, with each one's outcome
 *       here (applied, or a no-op and why) and its reverse when it differs from the author's;
 *   <li>{@code cfost_doc_checkpoints}: the state every {@value #CHECKPOINT_EVERY} versions, or for a large
 *       document every (the last checkpoint's bytes / {@value #CHECKPOINT_BYTES_PER_VERSION}) versions,
 *       deflated;
 *   <li>{@code cfost_doc_meta}: how far the change stream has been folded.
 * </ul>
 *
 * <p>New revisions, local or merged from other replicas, are found in the engine's change stream and
 * folded in merge order (hybrid clock, then site). Thread-safe: every call holds this object's monitor
 * and uses its one connection; other processes on the file fold under SQLite's write lock and the stream
 * cursor, which a fold re-reads inside its transaction.
 */
public final class DocumentStore implements AutoCloseable {
  static final String TABLE = "document_revisions";
  /** Versions between checkpoints, at least: {@code at} folds this many revisions or more. */
  static final int CHECKPOINT_EVERY = 1000;
  /**
   * A large document's checkpoints are spaced so that they take at most this many bytes per version: a
   * checkpoint of the automerge-paper text (104,852 one-character strings) deflates to about 80 KB, and
   * one every 1,000 keystrokes cost 50 bytes a revision, a third of the revision's own row.
   */
  static final int CHECKPOINT_BYTES_PER_VERSION = 32;
  private static final Logger log = LoggerFactory.getLogger(DocumentStore.class);

  private final Cfost db;
  private final LongSupplier clock;
  private final int checkpointEvery;
  private final int foldWindow;
  private final long windowRevisions;
  final Connection conn; // guarded by this
  private boolean closed; // guarded by this
  private final Map<String, PreparedStatement> leaves = new java.util.HashMap<>(); // guarded by this
  /** The folded rows the local history points into; guarded by this. */
  final FoldedRuns runs;

  public DocumentStore(Cfost db, LongSupplier clock) {
    this(db, clock, CHECKPOINT_EVERY, FoldWindow.CHANGES);
  }

  /** With checkpoints every {@code checkpointEvery} versions (tests use small ones). */
  DocumentStore(Cfost db, LongSupplier clock, int checkpointEvery) {
    this(db, clock, checkpointEvery, FoldWindow.CHANGES);
  }

  /** With small checkpoint intervals and fold windows, for tests. */
  DocumentStore(Cfost db, LongSupplier clock, int checkpointEvery, int foldWindow) {
    this(db, clock, checkpointEvery, foldWindow, FoldWindow.REVISIONS);
  }

  /** With small checkpoint intervals and fold windows in changes and in revisions, for tests. */
  DocumentStore(Cfost db, LongSupplier clock, int checkpointEvery, int foldWindow, long windowRevisions) {
    this.windowRevisions = windowRevisions;
    this.db = db;
    this.clock = clock;
    this.checkpointEvery = checkpointEvery;
    this.foldWindow = foldWindow;
    this.conn = db.connect();
    this.runs = new FoldedRuns(this::leaf);
    try (Statement s = conn.createStatement()) {
      // The store never asks for generated keys; else the driver runs SELECT last_insert_rowid() after every
      // INSERT: a tenth of a fold's time (a local-history row per revision), measured by a profile of ./bench-documents.
      conn.unwrap(org.sqlite.SQLiteConnection.class).getConnectionConfig().setGetGeneratedKeys(false);
      DocumentTables.create(s, TABLE);
    } catch (SQLException e) {
      close();
      throw new CfostException("cannot create the document tables in " + db.path() + ": " + e.getMessage(), e);
    }
    db.replicate(TABLE);
  }

  /** The collection as seen by one user. */
  public Documents forUser(String user) {
    return new UserDocuments(this, user);
  }

  long now() {
    return clock.getAsLong();
  }

  byte[] site() {
    return db.siteId();
  }

  // ---- folding the change stream ----

  /** Folds every revision the change stream holds beyond this replica's fold cursor. */
  synchronized void catchUp() {
    checkOpen();
    try {
      while (true) {
        Cursor cursor = cursor();
        FoldWindow window = FoldWindow.read(db, cursor, foldWindow, windowRevisions);
        Cursor next = window.next();
        if (!window.changes().isEmpty() || !next.equals(cursor)) {
          begin();
          try {
            if (!cursor().equals(cursor)) {
              rollback(); // another process folded this part meanwhile
              continue;
            }
            fold(revisionsOf(window.changes()));
            try (PreparedStatement ps = conn.prepareStatement(
                "INSERT OR REPLACE INTO cfost_doc_meta(k, v) VALUES ('cursor', ?)")) {
              ps.setString(1, next.toString());
              ps.executeUpdate();
            }
            commit();
          } catch (SQLException | RuntimeException e) {
            rollback();
            throw e;
          }
        }
        if (window.caughtUp()) {
          return;
        }
      }
    } catch (SQLException e) {
      throw new CfostException("cannot fold document revisions: " + e.getMessage(), e);
    }
  }

  private Cursor cursor() throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT v FROM cfost_doc_meta WHERE k = 'cursor'");
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Cursor.parse(rs.getString(1)) : Cursor.START;
    }
  }

  /**
   * The revisions of a batch's rows not folded yet, each row kept as folded; a malformed row is logged with
   * its reason and skipped.
   */
  private List<FoldedRuns.Entry> revisionsOf(List<Change> changes) throws SQLException {
    Map<Long, Object> rows = new LinkedHashMap<>();
    for (Change c : changes) {
      if ("body".equals(c.cid()) && (c.val() instanceof String || c.val() instanceof byte[])) {
        List<Object> pk = PackedKey.unpack(c.pk());
        if (pk.size() == 1 && pk.get(0) instanceof Long key) {
          rows.put(key, c.val());
        } else {
          log.warn("skipped a revision row of {} from site {}: its key {} is not one integer", TABLE,
              java.util.HexFormat.of().formatHex(c.siteId()), pk);
        }
      }
    }
    List<FoldedRuns.Entry> out = new ArrayList<>();
    for (Map.Entry<Long, Object> row : rows.entrySet()) {
      List<RevisionRecord> revisions;
      try {
        revisions = RevisionRun.decode(row.getValue());
      } catch (IllegalArgumentException e) {
        log.warn("skipped revision row {} of {}: {}", Long.toHexString(row.getKey()), TABLE, e.getMessage());
        continue;
      }
      RevisionRecord first = revisions.get(0);
      if (row.getKey() != first.id()) { // a SHA-256: once a row
        log.warn("skipped a revision of document {}: its key {} is not the one its site and clock give",
            first.doc(), row.getKey());
        continue;
      }
      if (!runs.folded(row.getKey())) {
        out.addAll(runs.add(row.getKey(), row.getValue(), revisions));
      }
    }
    return out;
  }

  /**
   * A prepared statement kept for the connection's life: for the per-revision lookups and inserts, whose
   * preparation cost as much as their execution. Only for statements that never run while another use of
   * themselves is open (leaves: no call inside their result loop uses them again).
   */
  private PreparedStatement leaf(String sql) throws SQLException {
    PreparedStatement ps = leaves.get(sql);
    if (ps == null) {
      ps = conn.prepareStatement(sql);
      leaves.put(sql, ps);
    }
    return ps;
  }

  /** Places revisions of any documents in their documents' histories. */
  private void fold(List<FoldedRuns.Entry> revisions) throws SQLException {
    Map<String, List<FoldedRuns.Entry>> byDoc = new LinkedHashMap<>();
    for (FoldedRuns.Entry r : revisions) {
      byDoc.computeIfAbsent(r.doc(), d -> new ArrayList<>()).add(r);
    }
    for (Map.Entry<String, List<FoldedRuns.Entry>> e : byDoc.entrySet()) {
      DocState st = state(e.getKey(), true);
      place(st, e.getValue());
      saveHead(st);
    }
  }

  /**
   * Puts revisions of one document in their places: the revisions after the earliest of them are
   * rewound with their reverse patches, then all are replayed in merge order.
   */
  void place(DocState st, List<FoldedRuns.Entry> revisions) throws SQLException {
    List<FoldedRuns.Entry> merged = new ArrayList<>(revisions);
    merged.sort(order);
    FoldedRuns.Entry first = merged.get(0);
    List<FoldedRuns.Entry> tail = new ArrayList<>();
    PreparedStatement latest = leaf("SELECT run, idx, applied, rev FROM cfost_doc_order WHERE ord = ?"
        + " ORDER BY pos DESC");
    latest.setLong(1, st.ord);
    try (ResultSet rs = latest.executeQuery()) {
      while (rs.next()) {
        RevisionRecord r = runs.revision(rs.getLong(1), rs.getInt(2));
        FoldedRuns.Entry e = FoldedRuns.Entry.of(r, rs.getLong(1), rs.getInt(2));
        if (order.compare(e, first) <= 0) {
          break;
        }
        if (rs.getBoolean(3)) {
          String rev = rs.getString(4);
          st.unapply(r, rev == null ? r.reverse() : RevisionRecord.expand(Json.parse(rev, "reverse")));
        }
        tail.add(e);
      }
    }
    long start = st.version - tail.size() + 1;
    if (!tail.isEmpty()) {
      merged.addAll(tail);
      merged.sort(order);
      try (PreparedStatement ps = conn.prepareStatement("DELETE FROM cfost_doc_order WHERE ord = ? AND pos >= ?")) {
        ps.setLong(1, st.ord);
        ps.setLong(2, start);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = conn.prepareStatement(
          "DELETE FROM cfost_doc_checkpoints WHERE ord = ? AND pos >= ?")) {
        ps.setLong(1, st.ord);
        ps.setLong(2, start);
        ps.executeUpdate();
      }
    }
    st.version = start - 1;
    long checkpointPos = 0;
    long checkpointBytes = 0;
    PreparedStatement lastCheckpoint = leaf("SELECT pos, length(state) FROM cfost_doc_checkpoints WHERE ord = ?"
        + " ORDER BY pos DESC LIMIT 1");
    lastCheckpoint.setLong(1, st.ord);
    try (ResultSet rs = lastCheckpoint.executeQuery()) {
      if (rs.next()) {
        checkpointPos = rs.getLong(1);
        checkpointBytes = rs.getLong(2);
      }
    }
    PreparedStatement ins = leaf("INSERT INTO cfost_doc_order(ord, pos, run, idx, applied, reason, rev)"
        + " VALUES (?, ?, ?, ?, ?, ?, ?)");
    for (FoldedRuns.Entry e : merged) {
      RevisionRecord r = runs.revision(e.run(), e.idx());
      DocState.Outcome o = applyOrNoop(st, r);
      st.version++;
      ins.setLong(1, st.ord);
      ins.setLong(2, st.version);
      ins.setLong(3, e.run());
      ins.setInt(4, e.idx());
      ins.setBoolean(5, o.applied());
      ins.setString(6, o.reason());
      boolean ownReverse = o.reverse() == null || r.reverse() != null && JsonPatch.sameOps(o.reverse(), r.reverse());
      ins.setString(7, ownReverse ? null : Json.write(RevisionRecord.compact(o.reverse())));
      ins.executeUpdate();
      if (st.version - checkpointPos >= Math.max(checkpointEvery, checkpointBytes / CHECKPOINT_BYTES_PER_VERSION)) {
        byte[] state = st.checkpoint();
        PreparedStatement cp = leaf("INSERT OR REPLACE INTO cfost_doc_checkpoints(ord, pos, state) VALUES (?, ?, ?)");
        cp.setLong(1, st.ord);
        cp.setLong(2, st.version);
        cp.setBytes(3, state);
        cp.executeUpdate();
        checkpointPos = st.version;
        checkpointBytes = state.length;
      }
    }
  }

  /**
   * Applies a revision where the order puts it; one that throws (a value the patch code cannot handle)
   * becomes a no-op with the reason, as on every replica, instead of failing the fold and with it every
   * later call. A patch that throws has undone its operations already (JsonPatch.apply).
   */
  private static DocState.Outcome applyOrNoop(DocState st, RevisionRecord r) {
    try {
      return st.apply(r);
    } catch (RuntimeException e) {
      log.warn("revision {} of document {} cannot apply: {}", Long.toHexString(r.id()), r.doc(), e.toString());
      return DocState.Outcome.noop("the revision cannot apply: " + e.getMessage());
    }
  }

  /**
   * Merge order; a tie (two rows holding revisions of one site and clock: only a hostile or broken peer
   * writes them, since each run has its own row) is broken by the revisions' stored form, so that every
   * replica orders them alike whether they arrived together or apart.
   */
  private final Comparator<FoldedRuns.Entry> order = (a, b) -> {
    int c = RevisionRecord.compare(a.hlc(), a.site(), b.hlc(), b.site());
    return c != 0 ? c : storedForm(a).compareTo(storedForm(b));
  };

  private String storedForm(FoldedRuns.Entry e) {
    try {
      return runs.revision(e.run(), e.idx()).encode();
    } catch (SQLException x) {
      throw new CfostException("cannot read revision " + e.idx() + " of run " + e.run() + ": " + x.getMessage(), x);
    }
  }

  // ---- reading and writing state ----

  /** A document's current state; with {@code make}, an empty one is made for an unknown id. */
  DocState state(String doc, boolean make) throws SQLException {
    return state(doc, make, true);
  }

  /**
   * A document's current state, without its content unless {@code withBody} (reading a long document's
   * content costs more than the rest of an {@code at} or a {@code history}).
   */
  DocState state(String doc, boolean make, boolean withBody) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT ord, title, " + (withBody ? "body" : "NULL")
        + ", created, deleted, version, created_hlc, created_by FROM cfost_doc_heads WHERE doc = ?")) {
      ps.setString(1, doc);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          DocState st = new DocState(rs.getLong(1), doc);
          st.title = rs.getString(2);
          String body = rs.getString(3);
          st.body = body == null ? null : Json.parse(body, "document " + doc);
          st.created = rs.getBoolean(4);
          st.deleted = rs.getBoolean(5);
          st.version = rs.getLong(6);
          st.createdHlc = rs.getLong(7);
          st.createdBy = rs.getString(8);
          return st;
        }
      }
    }
    if (!make) {
      return null;
    }
    try (PreparedStatement ps = conn.prepareStatement("INSERT INTO cfost_doc_heads(doc) VALUES (?)")) {
      ps.setString(1, doc);
      ps.executeUpdate();
    }
    return state(doc, false, withBody);
  }

  /** The last revision applied at or before {@code version}, or null. */
  RevisionRecord lastApplied(long ord, long version) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(
        "SELECT run, idx FROM cfost_doc_order WHERE ord = ? AND pos <= ? AND applied ORDER BY pos DESC LIMIT 1")) {
      ps.setLong(1, ord);
      ps.setLong(2, version);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? runs.revision(rs.getLong(1), rs.getInt(2)) : null;
      }
    }
  }

  void saveHead(DocState st) throws SQLException {
    RevisionRecord last = lastApplied(st.ord, st.version);
    long updatedHlc = last == null ? 0 : last.hlc();
    String updatedBy = last == null ? null : last.user();
    try (PreparedStatement ps = conn.prepareStatement("UPDATE cfost_doc_heads SET title = ?, body = ?, created = ?,"
        + " deleted = ?, version = ?, created_hlc = ?, created_by = ?, updated_hlc = ?, updated_by = ? WHERE ord = ?")) {
      ps.setString(1, st.title);
      ps.setString(2, st.body == null ? null : Json.write(st.body));
      ps.setBoolean(3, st.created);
      ps.setBoolean(4, st.deleted);
      ps.setLong(5, st.version);
      ps.setLong(6, st.createdHlc);
      ps.setString(7, st.createdBy);
      ps.setLong(8, updatedHlc);
      ps.setString(9, updatedBy);
      ps.setLong(10, st.ord);
      ps.executeUpdate();
    }
  }

  /** The current version of a document, or null if it was never created. */
  Document document(String doc) throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT title, body, created, deleted, version, created_by,"
        + " updated_by, updated_hlc FROM cfost_doc_heads WHERE doc = ?")) {
      ps.setString(1, doc);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? document(doc, rs) : null;
      }
    }
  }

  /** A document from a heads row's columns title, body, created, deleted, version, created_by, ... */
  static Document document(String doc, ResultSet rs) throws SQLException {
    if (!rs.getBoolean(3)) {
      return null;
    }
    return new Document(doc, rs.getString(1), rs.getLong(5), rs.getBoolean(4),
        Json.parse(rs.getString(2), "document " + doc), rs.getString(6), rs.getString(7), rs.getLong(8));
  }

  /**
   * Makes and places one local revision in one transaction; nothing is written if {@code make} throws or
   * returns null.
   */
  synchronized Document write(String doc, java.util.function.Function<DocState, RevisionRecord> make) {
    return writeEach(doc, 1, (st, i) -> make.apply(st));
  }

  /**
   * Makes and places {@code count} local revisions one after the other in one transaction, the current
   * version written once at the end; {@code make} gets the state each one starts from and the index. Nothing
   * is written if {@code make} throws; a null from it makes no revision.
   */
  synchronized Document writeEach(String doc, int count,
      java.util.function.BiFunction<DocState, Integer, RevisionRecord> make) {
    catchUp();
    try {
      begin();
      try {
        DocState st = state(doc, true);
        RevisionRun.Builder run = null;
        long n = 0;
        for (int i = 0; i < count; i++) {
          RevisionRecord r = make.apply(st, i);
          if (r == null) {
            continue;
          }
          int idx = run == null ? -1 : run.add(r);
          if (idx < 0) { // the first, or the run is full
            if (run != null) {
              store(run);
            }
            run = new RevisionRun.Builder();
            n = runs.begin(run.revisions());
            idx = run.add(r);
          }
          place(st, List.of(FoldedRuns.Entry.of(r, n, idx)));
        }
        if (run == null) {
          rollback(); // nothing changes
          return document(doc);
        }
        store(run);
        saveHead(st);
        commit();
      } catch (SQLException | RuntimeException e) {
        rollback();
        throw e;
      }
      return document(doc);
    } catch (SQLException e) {
      throw new CfostException("cannot write document " + doc + ": " + e.getMessage(), e);
    }
  }

  /** Inserts the replicated row of a local run, and keeps it as folded. */
  private void store(RevisionRun.Builder run) throws SQLException {
    PreparedStatement ps = leaf("INSERT INTO " + TABLE + "(id, body) VALUES (?, ?)");
    Object body = run.body();
    ps.setLong(1, run.key());
    ps.setObject(2, body);
    ps.executeUpdate();
    runs.finish(run.key(), body);
  }

  /** Runs a read on this store's connection after folding what arrived. */
  synchronized <T> T read(String what, SqlRead<T> body) {
    catchUp();
    try {
      return body.run();
    } catch (SQLException e) {
      throw new CfostException("cannot read " + what + ": " + e.getMessage(), e);
    }
  }

  @FunctionalInterface
  interface SqlRead<T> {
    T run() throws SQLException;
  }

  /** The state right after version {@code version}: from the nearest checkpoint, folding forward. */
  DocState stateAt(DocState current, long version) throws SQLException {
    DocState st = new DocState(current.ord, current.id);
    try (PreparedStatement ps = conn.prepareStatement(
        "SELECT pos, state FROM cfost_doc_checkpoints WHERE ord = ? AND pos <= ? ORDER BY pos DESC LIMIT 1")) {
      ps.setLong(1, current.ord);
      ps.setLong(2, version);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          st.restoreCheckpoint(rs.getBytes(2), rs.getLong(1));
        }
      }
    }
    try (PreparedStatement ps = conn.prepareStatement("SELECT applied, run, idx FROM cfost_doc_order"
        + " WHERE ord = ? AND pos > ? AND pos <= ? ORDER BY pos")) {
      ps.setLong(1, current.ord);
      ps.setLong(2, st.version);
      ps.setLong(3, version);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (rs.getBoolean(1)) {
            DocState.Outcome o = st.apply(runs.revision(rs.getLong(2), rs.getInt(3)));
            if (!o.applied()) {
              throw new IllegalStateException("revision at version " + (st.version + 1) + " of " + current.id
                  + " applied when folded but not when replayed: " + o.reason());
            }
          }
          st.version++;
        }
      }
    }
    return st;
  }

  // ---- transactions ----

  void begin() throws SQLException {
    try (Statement s = conn.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
    }
  }

  private void commit() throws SQLException {
    try (Statement s = conn.createStatement()) {
      s.execute("COMMIT");
    }
  }

  void rollback() {
    runs.forgetUncommitted();
    try (Statement s = conn.createStatement()) {
      s.execute("ROLLBACK");
    } catch (SQLException e) {
      log.debug("rollback after a failed document write: {}", e.getMessage());
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the documents of " + db.path() + " are closed");
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    try {
      for (PreparedStatement ps : leaves.values()) {
        ps.close();
      }
      conn.close();
    } catch (SQLException e) {
      log.warn("closing the documents connection: {}", e.getMessage());
    }
  }
}
