package dev.cfost;

import dev.cfost.internal.Engine;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * A SQLite database file whose chosen tables replicate.
 *
 * <p>The application keeps writing its tables with plain SQL through any JDBC connection to the file;
 * triggers record every INSERT, UPDATE and DELETE in a log, and the engine stamps those writes with
 * hybrid-logical-clock versions shortly after they commit (see {@link CfostOptions.Builder#captureInterval}).
 * {@link #changes} reads what changed in cr-sqlite's {@code crsql_changes} shape and {@link #merge}
 * applies another replica's changes, so that replicas that exchanged the same changes hold the same rows.
 *
 * <h2>The merge rule</h2>
 * Per cell: the higher causal length wins (a delete beats the updates of the life it ends, a re-insert
 * beats the delete); then the higher {@code col_version}, which local edits set to
 * {@code max(old + 1, hlc.now())} so that the later edit wins; then the greater value (cr-sqlite's
 * order: by storage class, then by value); then the greater site id. A local write is superseded only by
 * a change that wins under this rule.
 *
 * <p>Thread-safe. One engine per file per process; other processes may write the file with plain SQL,
 * but only one engine should merge into it at a time.
 */
public interface Cfost extends AutoCloseable {

  /** Opens (creating if needed) the database at {@code path} with default options. */
  static Cfost open(Path path) {
    return open(CfostOptions.builder(path).build());
  }

  /** Opens (creating if needed) a database. */
  static Cfost open(CfostOptions options) {
    return Engine.open(options);
  }

  /** The database file. */
  Path path();

  /** This replica's site id: 16 random bytes made when the file was first opened. */
  byte[] siteId();

  /**
   * The id of the logical database this replica belongs to; replicas with the same id share a sync
   * topic and find each other. {@code "default"} until set.
   */
  String databaseId();

  /**
   * Sets the database id: 1 to 128 characters, letters, digits and {@code . _ -}.
   *
   * @throws IllegalArgumentException naming the id if it is not valid
   */
  void setDatabaseId(String id);

  /** The last db_version this replica assigned. */
  long dbVersion();

  /** The application schema version, {@code PRAGMA user_version}. */
  int schemaVersion();

  /**
   * Opens a new JDBC connection to the file (WAL mode, busy timeout set, a 64 MiB page cache). Writes
   * made through it, or through any other connection, replicate; an application that opens its own
   * connections for large transactions should raise {@code PRAGMA cache_size} the same way, since the
   * triggers' log shares the cache with the table's indexes. With the background capture on, a commit
   * through this connection is captured right after it (a burst of commits at most every 50 ms), so
   * live peers get it within milliseconds; other connections' commits are found by the capture's poll.
   * The caller closes it.
   */
  Connection connect();

  /**
   * Runs {@code work} on a connection like those of {@link #connect()}, one of a few the engine keeps open
   * for short, frequent statements (opening a connection costs about a millisecond: SQLite reads the schema
   * first), and takes it back afterwards. {@code work} must not close it, must end any transaction it began,
   * and must put back any setting it changed (a PRAGMA: the next borrower gets it); a connection whose work
   * threw, or left a transaction open (auto-commit off, or a BEGIN run as SQL), is closed rather than kept.
   * Statements it left open are closed when it returns (one still reading holds a read transaction: the next
   * borrower would read that old snapshot). {@code work} gets a view of the connection that notes its
   * statements; {@code unwrap} reaches the driver's. Concurrent callers each get their own connection.
   *
   * @throws IllegalStateException if the engine is closed
   */
  <T> T withConnection(ConnectionWork<T> work) throws SQLException;

  /** Work on a borrowed connection, for {@link #withConnection}. */
  @FunctionalInterface
  interface ConnectionWork<T> {
    T run(Connection c) throws SQLException;
  }

  /**
   * Makes a table replicated; rows already in it become changes. Idempotent.
   *
   * @throws CfostException if the table does not exist or cannot replicate, with the reason: no primary
   *     key, a nullable primary-key column, a primary-key column collated other than BINARY,
   *     AUTOINCREMENT, or a NOT NULL column without a default
   */
  void replicate(String table);

  /** The application's replicated tables, by name (not the engine's own {@code cfost_schema}). */
  List<String> replicatedTables();

  /**
   * Adds a column to a replicated table ({@code ALTER TABLE ... ADD COLUMN definition}) and keeps it
   * replicating. A column added with plain SQL is detected too, at the next capture.
   */
  void addColumn(String table, String columnDefinition);

  /**
   * Drops a column of a replicated table ({@code ALTER TABLE ... DROP COLUMN}); a plain-SQL DROP COLUMN
   * is refused by SQLite, since the capture triggers name every column. On this device the column stops
   * replicating: its values are gone, and changes for it from devices that still have it are kept aside
   * (merged if a column of that name is added again). Other devices keep it until they drop it.
   *
   * @throws CfostException if the table is not replicated, or SQLite refuses the drop (a key column, an
   *     index or a view that uses it), with SQLite's reason
   */
  void dropColumn(String table, String column);

  /** Stamps the writes committed so far by any connection now, instead of at the next capture tick. */
  void capture();

  /**
   * Reads up to about {@code maxChanges} changes after {@code cursor} (whole rows: a row is never split
   * across batches). Memory use is bounded by the batch, not the database.
   */
  ChangeBatch changes(Cursor cursor, int maxChanges);

  /**
   * Like {@link #changes(Cursor, int)}, reading only what {@code filter} selects. Keep one cursor per
   * filter: a cursor advances past the rows a filter left out.
   *
   * @throws CfostException if a row filter is not a valid predicate on its table
   */
  ChangeBatch changes(Cursor cursor, int maxChanges, ChangeFilter filter);

  /**
   * How many changed rows the stream holds after {@code cursor} under {@code filter}: an estimate of the
   * work left, read from an index (a row yields one change per changed cell, so changes are at least as
   * many).
   */
  long rowsAfter(Cursor cursor, ChangeFilter filter);

  /**
   * Merges another replica's changes atomically: all or nothing, idempotent, in any order.
   *
   * @throws InvalidChangeException if any change names an unknown table or column or is malformed;
   *     nothing is applied
   * @throws ClockDriftException if any change's clock is too far ahead; nothing is applied
   */
  MergeResult merge(List<Change> batch);

  /**
   * Merges a stream of changes of any length in one transaction: all or nothing, with memory bounded by
   * an internal chunk rather than the stream. An exception thrown by the iterator (for example a parse
   * error) rolls everything back and propagates.
   *
   * @throws InvalidChangeException if any change is refused; its index counts from the stream's start
   */
  MergeResult mergeAll(Iterator<Change> changes);

  /**
   * Like {@link #mergeAll(Iterator)}; with {@code deferUnknown}, changes naming a table or column this
   * replica does not know (from a peer whose schema is newer) are kept aside instead of refusing the
   * batch, and merged as soon as the local schema has that table or column. Use it only for peers that
   * announced a newer schema version: from others, such changes are an error. Kept-aside changes are
   * bounded (those of a bundle, like these, count under no peer; see {@link #mergeFromPeer}) and deleted,
   * with a warning, after 30 days of waiting (docs/SECURITY.md).
   */
  MergeResult mergeAll(Iterator<Change> changes, boolean deferUnknown);

  /**
   * How many deferred changes (see {@link #mergeAll(Iterator, boolean)}) failed once their table or
   * column arrived, and were set aside: a key that does not fit the table, or a constraint of the local
   * schema (NOT NULL, CHECK, UNIQUE) that the change breaks. Each is logged with its reason when set
   * aside and kept, with that reason, in the engine's {@code cfost_deferred} table; none is applied, and
   * none stops the engine's other work.
   */
  long failedDeferredChanges();

  /**
   * Merges consecutive batches of a peer's change stream and saves the last batch's {@link ChangeBatch#next()}
   * as that peer's cursor, in one transaction: after a crash the changes and the cursor are either both
   * there or both not, so nothing is skipped and nothing merged is asked for again. The iterator may
   * wait for the peer's next batch; the engine's other writes wait with it, so end the iteration
   * promptly (a sync session bounds it by time and size). Same validation as
   * {@link #mergeAll(Iterator, boolean)}; changes for tables or columns unknown here are always kept
   * aside, since they come from a sync peer (logged when {@code deferUnknown} is false: the peer did not
   * announce a newer schema). They are bounded per peer ({@code peerSiteId}): 100,000 changes or 64 MiB per
   * peer, 1,000,000 or 512 MiB in all; a batch past that is refused ({@link InvalidChangeException}).
   */
  MergeResult mergeFromPeer(byte[] peerSiteId, Iterator<ChangeBatch> batches, boolean deferUnknown);

  /** The cursor saved for a peer (by its site id), or {@link Cursor#START}. */
  Cursor peerCursor(byte[] peerSiteId);

  /** Saves how far the changes of a peer have been received. */
  void savePeerCursor(byte[] peerSiteId, Cursor cursor);

  /** Adds a listener that runs on the engine's listener thread. */
  Registration addListener(ChangeListener listener);

  /** Adds a listener that runs on {@code executor}. */
  Registration addListener(Executor executor, ChangeListener listener);

  /**
   * The database's JSON documents with their full history, acting as {@code user} (who is recorded in
   * every revision and whose undo stack {@link Documents#undo} uses). The collection is made on first
   * use: its revisions replicate as the table {@code document_revisions} (docs/DOCUMENTS.md).
   *
   * @throws IllegalArgumentException if the user is empty, longer than 128 characters or has control
   *     characters
   */
  Documents documents(String user);

  /** Captures pending writes, stops background work and closes the connections. */
  @Override
  void close();
}
