package dev.cfost.internal.documents;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The replicated rows folded on this replica, each kept in {@code cfost_doc_runs} as it was folded: the
 * local history points into them ({@code run}, {@code idx}), so a peer that later deletes or rewrites a
 * row cannot change a history folded here. A row is numbered locally ({@code n}, small, so that each
 * revision's history entry stays small) and found by its replicated key ({@code id}) to tell whether it
 * was folded. Decoded runs are kept in memory, up to a number of revisions: a fold, a rewind, {@code at}
 * and {@code history} read the revisions of a few runs one after the other, interleaved when several
 * devices wrote at once. Used under the {@link DocumentStore}'s lock only.
 */
final class FoldedRuns {
  /**
   * A revision as a fold window holds it: what orders it, and where it is kept (its run's local number and
   * its index in the run), read through {@link #revision} when it is applied. A few dozen bytes, however
   * large the revision: a window holds up to {@link FoldWindow#REVISIONS} of them.
   */
  record Entry(String doc, long hlc, byte[] site, long run, int idx) {
    static Entry of(RevisionRecord r, long run, int idx) {
      return new Entry(r.doc(), r.hlc(), r.site(), run, idx);
    }
  }

  /**
   * What the cache holds at most, in revisions: as many as four full runs, from however many runs, since the
   * runs of several devices interleave in merge order and a reader going through them would read a run
   * back for each revision if only a few runs were kept. A lone revision weighs by its size too.
   */
  private static final int CACHED_WEIGHT = 4 * RevisionRun.MAX_REVISIONS;
  /** Stored characters or bytes that weigh as one revision. */
  private static final int BYTES_PER_WEIGHT = 256;

  private record Cached(List<RevisionRecord> revisions, int weight) {}

  /** The store's statements, prepared once for its connection's life. */
  interface Statements {
    PreparedStatement prepared(String sql) throws SQLException;
  }

  private final Statements statements;
  private final Map<Long, Cached> cache = new LinkedHashMap<>(32, 0.75f, true); // in access order
  private int cachedWeight;
  /** The run a local write is making: numbered, not stored until {@link #finish}. */
  private long pendingRun = -1;
  private List<RevisionRecord> pending;
  private int loads;

  FoldedRuns(Statements statements) {
    this.statements = statements;
  }

  /** Whether the replicated row with this key was folded here. */
  boolean folded(long key) throws SQLException {
    PreparedStatement isFolded = statements.prepared("SELECT 1 FROM cfost_doc_runs WHERE id = ?");
    isFolded.setLong(1, key);
    try (ResultSet rs = isFolded.executeQuery()) {
      return rs.next();
    }
  }

  /** Keeps a received row's body and numbers it; returns its revisions with where they are kept. */
  List<Entry> add(long key, Object body, List<RevisionRecord> revisions) throws SQLException {
    long n = next();
    store(n, key, revisions.get(revisions.size() - 1).hlc(), body);
    keep(n, revisions, body);
    List<Entry> out = new ArrayList<>(revisions.size());
    for (int i = 0; i < revisions.size(); i++) {
      out.add(Entry.of(revisions.get(i), n, i));
    }
    return out;
  }

  /** Numbers the run a local write is about to make; its revisions are readable as they are added. */
  long begin(List<RevisionRecord> revisions) throws SQLException {
    pendingRun = next();
    pending = revisions;
    return pendingRun;
  }

  /**
   * Stores the run begun by {@link #begin}. Its revisions are not cached: they hold the caller's patch
   * nodes, which the caller may change later; a read decodes the stored row instead.
   */
  void finish(long key, Object body) throws SQLException {
    store(pendingRun, key, pending.get(pending.size() - 1).hlc(), body);
    pendingRun = -1;
    pending = null;
  }

  /** The revision at {@code idx} of run {@code n}. */
  RevisionRecord revision(long n, int idx) throws SQLException {
    List<RevisionRecord> run = n == pendingRun ? pending : null;
    if (run == null) {
      Cached c = cache.get(n);
      run = c != null ? c.revisions() : load(n);
    }
    if (idx < 0 || idx >= run.size()) {
      throw new IllegalStateException("the local history names revision " + idx + " of run " + n + ", which has "
          + run.size());
    }
    return run.get(idx);
  }

  /** Forgets what a rolled-back transaction numbered: another connection may number other runs so. */
  void forgetUncommitted() {
    cache.clear();
    cachedWeight = 0;
    pendingRun = -1;
    pending = null;
  }

  /** How many runs were read back from {@code cfost_doc_runs}: the cache's misses. */
  int loads() {
    return loads;
  }

  private List<RevisionRecord> load(long n) throws SQLException {
    loads++;
    PreparedStatement read = statements.prepared("SELECT body FROM cfost_doc_runs WHERE n = ?");
    read.setLong(1, n);
    try (ResultSet rs = read.executeQuery()) {
      if (!rs.next()) {
        throw new IllegalStateException("run " + n + " is not in the local history");
      }
      Object body = rs.getObject(1);
      List<RevisionRecord> revisions = RevisionRun.decode(body);
      keep(n, revisions, body);
      return revisions;
    }
  }

  private void keep(long n, List<RevisionRecord> revisions, Object body) {
    int size = body instanceof String text ? text.length() : body instanceof byte[] bytes ? bytes.length : 0;
    Cached c = new Cached(revisions, revisions.size() + size / BYTES_PER_WEIGHT);
    Cached old = cache.put(n, c);
    cachedWeight += c.weight() - (old == null ? 0 : old.weight());
    for (var it = cache.values().iterator(); cachedWeight > CACHED_WEIGHT && cache.size() > 1; ) {
      cachedWeight -= it.next().weight();
      it.remove();
    }
  }

  private long next() throws SQLException {
    try (ResultSet rs = statements.prepared("SELECT COALESCE(MAX(n), 0) + 1 FROM cfost_doc_runs").executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private void store(long n, long key, long lastHlc, Object body) throws SQLException {
    PreparedStatement insert = statements.prepared(
        "INSERT INTO cfost_doc_runs(n, id, last_hlc, body) VALUES (?, ?, ?, ?)");
    insert.setLong(1, n);
    insert.setLong(2, key);
    insert.setLong(3, lastHlc);
    insert.setObject(4, body);
    insert.executeUpdate();
  }
}
