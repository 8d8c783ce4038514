package dev.cfost.internal.documents;

import java.sql.Connection;
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
 * was folded. A few decoded runs are kept in memory: a fold, a rewind, {@code at} and {@code history}
 * read a run's revisions one after the other. Used under the {@link DocumentStore}'s lock only.
 */
final class FoldedRuns {
  /** A revision and where it is kept: its run's local number and its index in the run. */
  record Entry(RevisionRecord revision, long run, int idx) {}

  private static final int CACHED = 4;

  private final Connection conn;
  private final Map<Long, List<RevisionRecord>> cache = new LinkedHashMap<>(32, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, List<RevisionRecord>> eldest) {
      return size() > CACHED;
    }
  };
  /** The run a local write is making: numbered, not stored until {@link #store}. */
  private long pendingRun = -1;
  private List<RevisionRecord> pending;
  private PreparedStatement isFolded;
  private PreparedStatement read;
  private PreparedStatement insert;

  FoldedRuns(Connection conn) {
    this.conn = conn;
  }

  /** Whether the replicated row with this key was folded here. */
  boolean folded(long key) throws SQLException {
    if (isFolded == null) {
      isFolded = conn.prepareStatement("SELECT 1 FROM cfost_doc_runs WHERE id = ?");
    }
    isFolded.setLong(1, key);
    try (ResultSet rs = isFolded.executeQuery()) {
      return rs.next();
    }
  }

  /** Keeps a received row's body and numbers it; returns its revisions with where they are kept. */
  List<Entry> add(long key, Object body, List<RevisionRecord> revisions) throws SQLException {
    long n = next();
    store(n, key, revisions.get(revisions.size() - 1).hlc(), body);
    cache.put(n, revisions);
    List<Entry> out = new ArrayList<>(revisions.size());
    for (int i = 0; i < revisions.size(); i++) {
      out.add(new Entry(revisions.get(i), n, i));
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
    List<RevisionRecord> run = n == pendingRun ? pending : cache.get(n);
    if (run == null) {
      run = load(n);
      cache.put(n, run);
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
    pendingRun = -1;
    pending = null;
  }

  void close() throws SQLException {
    for (PreparedStatement ps : new PreparedStatement[] {isFolded, read, insert}) {
      if (ps != null) {
        ps.close();
      }
    }
  }

  private List<RevisionRecord> load(long n) throws SQLException {
    if (read == null) {
      read = conn.prepareStatement("SELECT body FROM cfost_doc_runs WHERE n = ?");
    }
    read.setLong(1, n);
    try (ResultSet rs = read.executeQuery()) {
      if (!rs.next()) {
        throw new IllegalStateException("run " + n + " is not in the local history");
      }
      return RevisionRun.decode(rs.getObject(1));
    }
  }

  private long next() throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT COALESCE(MAX(n), 0) + 1 FROM cfost_doc_runs");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private void store(long n, long key, long lastHlc, Object body) throws SQLException {
    if (insert == null) {
      insert = conn.prepareStatement("INSERT INTO cfost_doc_runs(n, id, last_hlc, body) VALUES (?, ?, ?, ?)");
    }
    insert.setLong(1, n);
    insert.setLong(2, key);
    insert.setLong(3, lastHlc);
    insert.setObject(4, body);
    insert.executeUpdate();
  }
}
