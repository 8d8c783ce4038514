package dev.cfost.internal;

import dev.cfost.Cfost;
import dev.cfost.CfostException;
import dev.cfost.CfostOptions;
import dev.cfost.Change;
import dev.cfost.ChangeBatch;
import dev.cfost.ChangeFilter;
import dev.cfost.ChangeEvent;
import dev.cfost.ChangeListener;
import dev.cfost.Cursor;
import dev.cfost.MergeResult;
import dev.cfost.Registration;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded engine behind {@link Cfost}.
 *
 * <p>Threads: the caller's threads, the {@code cfost-capture} thread (stamps other connections' commits
 * every capture interval) and the listener thread. The one write connection, the site cache and the
 * table specs are guarded by {@link #lock}; every engine write is one {@code BEGIN IMMEDIATE}
 * transaction that first captures pending local writes, so remote changes are always compared with
 * up-to-date local clocks.
 */
public final class Engine implements Cfost {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);
  private final CfostOptions options;
  private final Path path;
  private final LockedConnection engineConnection;
  private final ReentrantLock lock; // engineConnection's
  private final Connection conn; // guarded by lock
  private final Sites sites; // guarded by lock
  private final Tables tables = new Tables();
  private final SchemaDefinitions definitions;
  private final ChunkedMerge merging;
  private final HybridClock hlc;
  private final byte[] siteId;
  private final Listeners listeners;
  /** The {@code cfost-capture} thread's work; null when the capture interval is 0. */
  private final BackgroundCapture background;
  private long dataVersion = -1; // guarded by lock
  private long knownVersion = -1; // db_version after this engine's last commit, -1 before it; guarded by lock
  private long schemaCookie = -1; // guarded by lock
  private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
  private dev.cfost.internal.documents.DocumentStore documents; // made on first use; guarded by closing
  private final ConnectionPool pool; // withConnection's

  private Engine(CfostOptions options) throws SQLException {
    this.options = options;
    this.definitions = new SchemaDefinitions(tables, options.schemaSync());
    this.merging = new ChunkedMerge(options, tables, definitions);
    this.path = options.path().toAbsolutePath();
    this.pool = new ConnectionPool(this::connect, path.toString());
    this.engineConnection = new LockedConnection(path);
    this.lock = engineConnection.lock;
    this.conn = engineConnection.conn;
    this.sites = new Sites(conn);
    this.listeners = new Listeners(options.listenerExecutor());
    boolean ok = false;
    try {
      EngineSchema.migrateInTransaction(conn, options.wallClock().millis());
      sites.reload();
      siteId = EngineSchema.localSite(conn);
      hlc = new HybridClock(options.wallClock(), options.maxDrift().toMillis(), EngineSchema.meta(conn, "hlc"));
      // Loads the table specs, captures what was written while no engine ran, merges the deferred changes
      // the schema now knows; then drops those that waited too long.
      write(tx -> {
        DeferredLimit.expire(tx, options.wallClock().millis());
        return null;
      });
      ok = true;
    } finally {
      if (!ok) {
        conn.close();
        listeners.close();
      }
    }
    long every = options.captureInterval().toMillis();
    background = every <= 0 ? null : new BackgroundCapture(path, every, new CaptureTarget());
  }

  /** Opens an engine; see {@link Cfost#open(CfostOptions)}. */
  public static Cfost open(CfostOptions options) {
    try {
      Path parent = options.path().toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      return new Engine(options);
    } catch (SQLException e) {
      throw Sql.wrap("cannot open " + options.path(), e);
    } catch (IOException e) {
      throw new CfostException("cannot create the folder of " + options.path() + ": " + e, e);
    }
  }

  // ---- write transactions ----

  @FunctionalInterface
  interface Body<T> {
    T run(WriteTx tx) throws SQLException;
  }

  /** Runs {@code body} in one write transaction, after capturing pending local writes. */
  <T> T write(Body<T> body) {
    return write(body, true);
  }

  /**
   * As {@link #write(Body)}; with {@code waitForLock} false, fails at once (SQLITE_BUSY) if another
   * connection holds the write lock, rather than wait for it while holding the engine's lock.
   */
  private <T> T write(Body<T> body, boolean waitForLock) {
    engineConnection.beginLocked(waitForLock);
    try {
      WriteTx tx = new WriteTx(conn, sites, hlc);
      Tables.State specsBefore = tables.state();
      boolean committed = false;
      boolean reloaded = false;
      try {
        long began = System.nanoTime();
        // Another engine on this file may have persisted a later clock: never stamp or persist below it.
        hlc.adopt(EngineSchema.meta(conn, "hlc"));
        long cookie = Sql.queryLong(conn, "PRAGMA schema_version");
        if (cookie != schemaCookie) {
          reloaded = true;
          // The specs as the schema is now, also when another engine changed it, before anything is
          // captured: a capture with an outdated column list would reset the clocks of a newer column.
          sites.reload();
          tables.load(tx);
          definitions.publish(tx, tables.specs().keySet()); // columns added with plain SQL
          captureAll(tx); // before any merge: a merge must never meet uncaptured writes
          Deferred.retry(tx, tables.specs(), hlc);
          tables.stampRevived(tx);
        }
        // Commits stamped by another engine on this file (another process) since this one last committed.
        long startVersion = EngineSchema.meta(conn, "db_version");
        Set<String> otherEngines = knownVersion >= 0 && startVersion > knownVersion
            ? tables.changedSince(conn, knownVersion) : Set.of();
        captureAll(tx);
        List<ChangeEvent.RowRef> localRows = new ArrayList<>(tx.rows);
        boolean localTruncated = tx.truncated;
        Set<String> localTables = new LinkedHashSet<>(tx.tables);
        tx.rows.clear();
        tx.tables.clear();
        tx.truncated = false;
        T result = body.run(tx);
        tx.finish();
        // Read while the write lock is still held: a commit by another connection right after this
        // one's COMMIT must not count as seen.
        long nextCookie = Sql.queryLong(conn, "PRAGMA schema_version");
        long nextDataVersion = Sql.queryLong(conn, "PRAGMA data_version");
        long version = EngineSchema.meta(conn, "db_version");
        conn.setAutoCommit(true); // COMMIT
        committed = true;
        if (background != null) {
          background.committedTxBegan(began);
        }
        schemaCookie = nextCookie;
        dataVersion = nextDataVersion;
        knownVersion = version;
        if (!otherEngines.isEmpty()) {
          // Which rows is not known here; listeners (a peer's sender among them) learn that the tables changed.
          listeners.publish(new ChangeEvent(ChangeEvent.Origin.LOCAL, startVersion, otherEngines, List.of(), true));
        }
        if (!localTables.isEmpty()) {
          listeners.publish(new ChangeEvent(ChangeEvent.Origin.LOCAL, version, localTables, localRows, localTruncated));
        }
        if (!tx.tables.isEmpty()) {
          listeners.publish(new ChangeEvent(ChangeEvent.Origin.REMOTE, version, tx.tables, tx.rows, tx.truncated));
        }
        return result;
      } catch (SQLException e) {
        throw Sql.wrap("database " + path, e);
      } finally {
        try {
          tx.close();
          if (!committed) {
            Sql.rollbackQuietly(conn, path);
            // Nothing of the transaction stays, in memory either: specs, sites and clock as before it.
            tables.restore(specsBefore);
            sites.reload();
            if (reloaded) {
              schemaCookie = -1; // the specs put back are those of before the schema change: load them again
            }
          }
        } catch (SQLException e) {
          log.error("cleaning up after a failed transaction on {}", path, e);
        }
      }
    } finally {
      lock.unlock();
    }
  }

  private void captureAll(WriteTx tx) throws SQLException {
    for (TableSpec spec : tables.specs().values()) {
      Capture.run(tx, spec);
    }
  }

  private final class CaptureTarget implements BackgroundCapture.Target {
    @Override
    public Boolean othersCommitted() throws SQLException {
      return Engine.this.othersCommitted();
    }

    @Override
    public void captureWithoutWaiting() {
      if (!nothingToCapture()) {
        write(tx -> null, false);
      }
    }
  }

  /**
   * True when the commits of other connections since this engine last looked leave a capture nothing to do
   * (no write in a log, the same schema, no other engine's commit), noted as seen: a commit to a table that
   * does not replicate (the identity module's seals of each received batch) then costs a few reads, not a
   * capture holding SQLite's write lock against the merge that follows (about 0.4 ms on the live path).
   * Takes the write lock without waiting, so a commit that the hook reported and is still finishing is busy.
   */
  private boolean nothingToCapture() {
    lock.lock();
    try {
      if (engineConnection.closed() || knownVersion < 0) {
        return false;
      }
      long seen = Sql.queryLong(conn, "PRAGMA data_version"); // before the transaction: a later commit is looked at again
      engineConnection.beginLocked(false);
      boolean nothing;
      try {
        nothing = captured() && EngineSchema.meta(conn, "db_version") == knownVersion;
      } finally {
        try {
          conn.setAutoCommit(true); // COMMIT; nothing was written
        } finally {
          lock.unlock(); // beginLocked's
        }
      }
      if (nothing) {
        dataVersion = seen;
      }
      return nothing;
    } catch (SQLException e) {
      Sql.rollbackQuietly(conn, path);
      throw Sql.wrap("database " + path, e);
    } finally {
      lock.unlock();
    }
  }

  /** Inside a transaction: every local write is captured (all logs empty) and the schema is the one loaded. */
  private boolean captured() throws SQLException {
    if (Sql.queryLong(conn, "PRAGMA schema_version") != schemaCookie) {
      return false;
    }
    for (TableSpec spec : tables.specs().values()) {
      if (Sql.queryLong(conn, "SELECT EXISTS (SELECT 1 FROM " + Sql.id(spec.log) + ")") != 0) {
        return false;
      }
    }
    return true;
  }

  /** Whether another connection committed since this engine's last commit; null once closed. */
  private Boolean othersCommitted() throws SQLException {
    lock.lock();
    try {
      return engineConnection.closed() ? null : Sql.queryLong(conn, "PRAGMA data_version") != dataVersion;
    } finally {
      lock.unlock();
    }
  }

  // ---- Cfost ----

  @Override
  public Path path() {
    return path;
  }

  @Override
  public byte[] siteId() {
    return siteId.clone();
  }

  @Override
  public String databaseId() {
    // On a lent connection, not under the engine's lock: a session's reader checks seals with it while the
    // session's merger holds a merge transaction open, waiting for the batches the reader hands over.
    try {
      return pool.run(c -> EngineSchema.metaText(c, "database_id"));
    } catch (SQLException e) {
      throw Sql.wrap("database " + path, e);
    }
  }

  @Override
  public void setDatabaseId(String id) {
    if (id == null || !id.matches("[A-Za-z0-9._-]{1,128}")) {
      throw new IllegalArgumentException("invalid database id '" + id + "': use 1 to 128 letters, digits, '.', '_'"
          + " or '-'");
    }
    write(tx -> {
      EngineSchema.setMetaText(tx.c, "database_id", id);
      return null;
    });
  }

  @Override
  public long dbVersion() {
    return read(() -> EngineSchema.meta(conn, "db_version"));
  }

  @Override
  public int schemaVersion() {
    return (int) (long) read(() -> Sql.queryLong(conn, "PRAGMA user_version"));
  }

  @Override
  public Connection connect() {
    return EngineConnections.application(path, background == null ? null : background.commitWatcher());
  }

  @Override
  public <T> T withConnection(ConnectionWork<T> work) throws SQLException {
    Objects.requireNonNull(work, "work");
    return pool.run(work);
  }

  @Override
  public void replicate(String table) {
    Objects.requireNonNull(table, "table");
    write(tx -> {
      if (tables.replicate(tx, table)) {
        definitions.publish(tx, List.of(table)); // stamped before the rows, so streamed before them
        Capture.run(tx, tables.specs().get(table));
        Deferred.retry(tx, tables.specs(), hlc);
      }
      return null;
    });
  }

  @Override
  public List<String> replicatedTables() {
    return SchemaDefinitions.applicationTables(tables.specs().keySet());
  }

  @Override
  public void addColumn(String table, String columnDefinition) {
    Objects.requireNonNull(columnDefinition, "columnDefinition");
    write(tx -> {
      if (!tables.specs().containsKey(table)) {
        throw new CfostException("table '" + table + "' is not replicated");
      }
      Sql.exec(tx.c, "ALTER TABLE " + Sql.id(table) + " ADD COLUMN " + columnDefinition);
      tables.load(tx);
      definitions.publish(tx, List.of(table));
      Deferred.retry(tx, tables.specs(), hlc);
      tables.stampRevived(tx);
      return null;
    });
  }

  @Override
  public void dropColumn(String table, String column) {
    Objects.requireNonNull(column, "column");
    write(tx -> {
      tables.dropColumn(tx, table, column);
      tables.load(tx);
      return null;
    });
  }

  @Override
  public void capture() {
    try {
      // Nothing committed by others since this engine's last commit: nothing to stamp, and no write
      // transaction to hold the lock against a reader (the background capture usually got there first).
      if (Boolean.FALSE.equals(othersCommitted())) {
        return;
      }
    } catch (SQLException e) {
      throw Sql.wrap("database " + path, e);
    }
    write(tx -> null); // also once closed: it reports that
  }

  @Override
  public ChangeBatch changes(Cursor cursor, int maxChanges) {
    return changes(cursor, maxChanges, ChangeFilter.ALL);
  }

  @Override
  public ChangeBatch changes(Cursor cursor, int maxChanges, ChangeFilter filter) {
    Objects.requireNonNull(cursor, "cursor");
    Objects.requireNonNull(filter, "filter");
    if (maxChanges < 1) {
      throw new IllegalArgumentException("maxChanges must be >= 1: " + maxChanges);
    }
    Body<ChangeBatch> read = tx -> ChangeReader.read(tx, tables.specs().values(), cursor, maxChanges, filter);
    ChangeBatch batch = readIfCaptured(read);
    return batch != null ? batch : write(read);
  }

  /**
   * Runs {@code body} in a read transaction if, in its snapshot, every local write is captured (all logs
   * empty) and the schema is the one loaded; returns null otherwise, and the caller then uses a write
   * transaction, which captures first. A read transaction does not take the database's write lock, so the
   * application's own writers do not wait for a peer reading the change stream.
   */
  private <T> T readIfCaptured(Body<T> body) {
    return engineConnection.inSnapshot(() -> {
      if (!captured()) {
        return null;
      }
      try (WriteTx tx = new WriteTx(conn, sites, hlc)) {
        return body.run(tx);
      }
    });
  }

  @Override
  public long rowsAfter(Cursor cursor, ChangeFilter filter) {
    return read(() -> ChangeReader.rowsAfter(conn, tables.specs().values(), cursor, filter));
  }

  @Override
  public MergeResult merge(List<Change> batch) {
    Objects.requireNonNull(batch, "batch");
    return mergeAll(batch.iterator());
  }

  @Override
  public MergeResult mergeAll(Iterator<Change> changes) {
    return mergeAll(changes, false);
  }

  @Override
  public MergeResult mergeAll(Iterator<Change> changes, boolean deferUnknown) {
    Objects.requireNonNull(changes, "changes");
    return write(tx -> merging.run(tx, changes, deferUnknown, false, null));
  }

  @Override
  public long failedDeferredChanges() {
    return read(() -> Deferred.failed(conn));
  }

  @Override
  public MergeResult mergeFromPeer(byte[] peerSiteId, Iterator<ChangeBatch> batches, boolean deferUnknown) {
    Objects.requireNonNull(peerSiteId, "peerSiteId");
    Objects.requireNonNull(batches, "batches");
    ChunkedMerge.BatchChanges changes = new ChunkedMerge.BatchChanges(batches);
    return write(tx -> {
      // A sync peer's batch: changes for tables or columns unknown here are kept aside, not refused.
      MergeResult result = merging.run(tx, changes, true, !deferUnknown, peerSiteId.clone());
      if (changes.last != null) {
        PeerCursors.save(tx, peerSiteId, changes.last, options.wallClock().millis());
      }
      return result;
    });
  }

  @Override
  public Cursor peerCursor(byte[] peerSiteId) {
    return read(() -> PeerCursors.load(conn, peerSiteId));
  }

  @Override
  public void savePeerCursor(byte[] peerSiteId, Cursor cursor) {
    Objects.requireNonNull(peerSiteId, "peerSiteId");
    Objects.requireNonNull(cursor, "cursor");
    write(tx -> {
      PeerCursors.save(tx, peerSiteId, cursor, options.wallClock().millis());
      return null;
    });
  }

  @Override
  public Registration addListener(ChangeListener listener) {
    return listeners.add(null, Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public Registration addListener(Executor executor, ChangeListener listener) {
    return listeners.add(Objects.requireNonNull(executor, "executor"), Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      return;
    }
    pool.close(); // before the final capture: what was committed through them is captured with the rest
    if (background != null) {
      background.stop();
    }
    synchronized (closing) {
      if (documents != null) {
        documents.close();
      }
    }
    try {
      capture();
    } catch (RuntimeException e) {
      log.error("final capture of {} failed; the writes stay in the log and are captured at the next open", path, e);
    }
    try {
      engineConnection.close();
    } catch (SQLException e) {
      log.error("closing {}", path, e);
    } finally {
      listeners.close();
    }
  }

  @Override
  public dev.cfost.Documents documents(String user) {
    synchronized (closing) {
      if (closing.get()) {
        throw new IllegalStateException("the engine of " + path + " is closed");
      }
      if (documents == null) {
        documents = new dev.cfost.internal.documents.DocumentStore(this, hlc::now);
      }
      return documents.forUser(user);
    }
  }

  private <T> T read(LockedConnection.Query<T> q) {
    return engineConnection.read(q);
  }
}
