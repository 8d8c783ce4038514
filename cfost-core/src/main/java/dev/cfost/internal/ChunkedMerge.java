package dev.cfost.internal;

import dev.cfost.CfostOptions;
import dev.cfost.Change;
import dev.cfost.ChangeBatch;
import dev.cfost.Cursor;
import dev.cfost.MergeResult;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A merge of a stream of remote changes inside the engine's write transaction, in bounded chunks: each
 * chunk's table definitions first, then its rows validated and applied (in key order, staged once a chunk
 * breaks it); changes for tables or columns not known here kept aside where the caller or the schema's
 * state allows, refused otherwise.
 *
 * <p>Used under the engine's write lock only.
 */
final class ChunkedMerge {
  private static final Logger log = LoggerFactory.getLogger(ChunkedMerge.class);
  private final CfostOptions options;
  private final Tables tables;
  private final SchemaDefinitions definitions;

  ChunkedMerge(CfostOptions options, Tables tables, SchemaDefinitions definitions) {
    this.options = options;
    this.tables = tables;
    this.definitions = definitions;
  }

  /**
   * Merges in chunks; each chunk's table definitions first (SchemaDefinitions), then its rows, so within a
   * chunk their order does not matter. {@code unexpected}:
   * the caller did not ask for deferral (the peer's schema is not newer), so deferring is worth a warning.
   * {@code peer}: the site id of the sync peer that sent the changes, or null (a bundle); deferred changes
   * are bounded per peer (DeferredLimit).
   */
  MergeResult run(WriteTx tx, Iterator<Change> changes, boolean deferUnknown, boolean unexpected, byte[] peer)
      throws SQLException {
    long now = options.wallClock().millis();
    DeferredLimit.expire(tx, now);
    int received = 0;
    int applied = 0;
    int deferredCount = 0;
    // Changes for a replicated table the application dropped or renamed away, or for a column it renamed
    // or dropped, are kept aside, not refused, so that sync with devices that still have them goes on;
    // they merge if the table or column comes back.
    Set<String> dormant = tables.dormant();
    boolean anyGone = !dormant.isEmpty() || tables.specs().values().stream().anyMatch(TableSpec::hasGone);
    List<Change> deferred = deferUnknown || anyGone ? new ArrayList<>() : null;
    java.util.Set<String> deferredTables = new java.util.TreeSet<>();
    List<Change> chunk = new ArrayList<>(Math.min(options.mergeChunk(), 10_000));
    StagedMerge staged = null; // once a chunk of a larger merge breaks the key order
    AscendingKeys order = new AscendingKeys();
    RowChunks chunks = new RowChunks(changes, options.mergeChunk());
    try {
      while (chunks.hasNext()) {
        chunks.next(chunk);
        applied += definitions.mergeFirst(tx, chunk, received, tx.hlc);
        List<ChangeValidator.Checked> checked = ChangeValidator.check(chunk, received, tables.specs(), tx.hlc, deferred);
        if (deferred != null && !deferUnknown) {
          refuseUnknown(chunk, received, deferred, dormant);
        }
        if (deferred != null && !deferred.isEmpty()) {
          Deferred.store(tx, deferred, peer, now);
          for (Change c : deferred) {
            deferredTables.add(c.table());
          }
          DeferredLimit.check(tx, peer);
          deferredCount += deferred.size();
          deferred.clear();
        }
        received += chunk.size();
        if (staged == null && (!chunks.hasNext() || order.continuedBy(checked))) {
          applied += Merger.apply(tx, checked);
        } else {
          if (staged == null) {
            staged = new StagedMerge(tx);
          }
          staged.add(checked);
        }
      }
      if (staged != null) {
        applied += staged.apply(tables.specs(), options.mergeChunk());
      }
    } finally {
      if (staged != null) {
        staged.close();
      }
    }
    if (deferredCount > 0 && unexpected) {
      log.warn("kept {} changes for tables or columns unknown here aside (cfost_deferred), of {}; they merge once"
          + " the table or column exists here", deferredCount, deferredTables);
    }
    return new MergeResult(received, applied, tx.wroteChanges() ? tx.dbVersion()
        : EngineSchema.meta(tx.c, "db_version"), deferredCount, tx.otherWrites);
  }

  /** Refuses, as the validator would without deferral, a set-aside change for a table or column never known. */
  private void refuseUnknown(List<Change> chunk, int offset, List<Change> deferred, Set<String> dormant) {
    for (Change c : deferred) {
      TableSpec spec = tables.specs().get(c.table());
      if (!dormant.contains(c.table()) && (spec == null || !spec.isGone(c.cid()))) {
        int i = offset;
        while (chunk.get(i - offset) != c) {
          i++;
        }
        throw new dev.cfost.InvalidChangeException(i, tables.specs().containsKey(c.table())
            ? "table '" + c.table() + "' column '" + c.cid() + "' does not exist"
            : "unknown table '" + c.table() + "': it is not a replicated table here");
      }
    }
  }

  /** The changes of consecutive batches, remembering the last batch's cursor. */
  static final class BatchChanges implements Iterator<Change> {
    private final Iterator<ChangeBatch> batches;
    private Iterator<Change> current = java.util.Collections.emptyIterator();
    Cursor last;

    BatchChanges(Iterator<ChangeBatch> batches) {
      this.batches = batches;
    }

    @Override
    public boolean hasNext() {
      while (!current.hasNext() && batches.hasNext()) {
        ChangeBatch b = batches.next();
        last = b.next();
        current = b.changes().iterator();
      }
      return current.hasNext();
    }

    @Override
    public Change next() {
      if (!hasNext()) {
        throw new java.util.NoSuchElementException();
      }
      return current.next();
    }
  }}
