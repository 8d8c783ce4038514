package dev.cfost.internal;

import dev.cfost.ChangeEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One write transaction of the engine: allocates its db_version and seqs on first use, caches the
 * per-table statements, and collects what changed for the commit's event.
 *
 * <p>Only used by the thread holding the engine's write lock.
 */
final class WriteTx implements AutoCloseable {
  final Connection c;
  final Sites sites;
  final HybridClock hlc;
  private final Map<String, ClockStore> stores = new HashMap<>();
  private final Map<String, PreparedStatement> statements = new HashMap<>();
  private final Map<String, BatchedInsert> batched = new java.util.LinkedHashMap<>();
  private long dbVersion;
  private long seq;
  private long localStamp;
  private long latestReceived;
  final Set<String> tables = new LinkedHashSet<>();
  final List<ChangeEvent.RowRef> rows = new ArrayList<>();
  boolean truncated;
  /**
   * Set when this transaction writes changes that no merged batch brought ({@link dev.cfost.MergeResult#otherWrites}),
   * where each is written: a local stamp (captured writes, cells stamped anew: {@link #localStamp}), a renamed
   * column's cells streamed again ({@code Tables.streamAgain}), changes kept aside and retried ({@code Deferred.retry}).
   */
  boolean otherWrites;

  WriteTx(Connection c, Sites sites, HybridClock hlc) {
    this.c = c;
    this.sites = sites;
    this.hlc = hlc;
  }

  /** This transaction's db_version, allocated on first call. */
  long dbVersion() throws SQLException {
    if (dbVersion == 0) {
      dbVersion = EngineSchema.meta(c, "db_version") + 1;
    }
    return dbVersion;
  }

  boolean wroteChanges() {
    return dbVersion != 0;
  }

  long nextSeq() {
    return seq++;
  }

  /**
   * Notes a merged change's clock; the hybrid clock adopts the latest at commit ({@link #finish}), so a
   * merge that fails after some chunks leaves the clock as it was.
   */
  void received(long colVersion) {
    latestReceived = Math.max(latestReceived, colVersion);
  }

  /** One hybrid-clock timestamp for all local writes captured in this transaction. */
  long localStamp() {
    otherWrites = true; // a local write: not what a merged batch brought
    if (localStamp == 0) {
      localStamp = hlc.now();
    }
    return localStamp;
  }

  ClockStore store(TableSpec spec) throws SQLException {
    ClockStore s = stores.get(spec.name);
    if (s == null || s.spec != spec) {
      if (s != null) {
        s.flush();
        s.close();
      }
      s = new ClockStore(c, spec);
      stores.put(spec.name, s);
    }
    return s;
  }

  /** A prepared statement kept until the transaction ends. */
  PreparedStatement prepare(String sql) throws SQLException {
    PreparedStatement ps = statements.get(sql);
    if (ps == null) {
      ps = c.prepareStatement(sql);
      statements.put(sql, ps);
    }
    return ps;
  }

  /** A batched insert kept until the transaction ends; see {@link #flushBatched}. */
  BatchedInsert batched(String head, int width) {
    BatchedInsert b = batched.get(head);
    if (b == null) {
      b = new BatchedInsert(c, head, width);
      batched.put(head, b);
    }
    return b;
  }

  /** Writes every row still held by a batched insert or a clock store's {@code storeLater}. */
  void flushBatched() throws SQLException {
    for (BatchedInsert b : batched.values()) {
      b.flush();
    }
    for (ClockStore s : stores.values()) {
      s.flush();
    }
  }

  /** Forgets what {@link #flushBatched} would write: the statements it came from were rolled back. */
  void discardBatched() {
    for (BatchedInsert b : batched.values()) {
      b.discard();
    }
    for (ClockStore s : stores.values()) {
      s.discard();
    }
  }

  void changed(String table, List<Object> key, boolean deleted) {
    tables.add(table);
    if (rows.size() < ChangeEvent.MAX_ROWS) {
      rows.add(new ChangeEvent.RowRef(table, key, deleted));
    } else {
      truncated = true;
    }
  }

  /** Records the db_version and clock; call just before commit. */
  void finish() throws SQLException {
    if (latestReceived > 0) {
      hlc.receive(latestReceived);
    }
    if (dbVersion != 0) {
      EngineSchema.setMeta(c, "db_version", dbVersion);
    }
    EngineSchema.setMeta(c, "hlc", hlc.last());
  }

  @Override
  public void close() throws SQLException {
    for (ClockStore s : stores.values()) {
      s.close();
    }
    for (PreparedStatement ps : statements.values()) {
      ps.close();
    }
    for (BatchedInsert b : batched.values()) {
      b.close();
    }
  }
}
