package dev.cfost.server.internal;

import dev.cfost.Change;
import dev.cfost.Seal;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The storage behind {@link CellMerge}: one database's rows, entries (cells and sentinels) and seals,
 * inside the caller's transaction. The rule is {@link CellMerge}'s alone; an implementation only reads
 * and writes what it is told (SQLite: {@link SqliteCells}; PostgreSQL: {@link PostgresCells}). Writes may
 * be deferred, as long as every read answers as if they had been made, and all of them are made before
 * {@link #pruneSeals} deletes seals.
 *
 * <p>An entry is an {@code Object[]} {col_version (Long), value, site (byte[]), seal id (Long or null)}
 * (indexes {@link CellMerge#VERSION} to {@link CellMerge#SEAL}).
 */
interface CellTables {
  /** A stored row: its id, causal length, and all its entries by cid if loaded (null: ask {@link #entry}). */
  record StoredRow(long id, long cl, Map<String, Object[]> entries) {}

  /** Called once before the batch is merged; a store may load the batch's rows and entries here. */
  default void prepare(List<Change> batch) throws SQLException {}

  /** The stored row of {@code (table, pk)}, or null if there is none. */
  StoredRow row(String table, byte[] pk) throws SQLException;

  /** Inserts the row with causal length 0 (no life yet, no entries); returns its id. */
  long insertRow(String table, byte[] pk) throws SQLException;

  void setCl(long row, long cl) throws SQLException;

  /** Adds to {@code into} the seal ids that the row's entries refer to. */
  void rowSeals(long row, Set<Long> into) throws SQLException;

  /** Deletes every entry of the row. */
  void deleteEntries(long row) throws SQLException;

  /** The row's entry {@code cid}, or null if it has none. */
  Object[] entry(long row, String cid) throws SQLException;

  /** Inserts or replaces the row's entry {@code cid}, at stream position {@code position}. */
  void putEntry(long row, String cid, long position, long colVersion, Object val, byte[] site, Long seal)
      throws SQLException;

  /** Gives the stored entry {@code cid} of the row the seal {@code seal}. */
  void setSeal(long row, String cid, long seal) throws SQLException;

  /** Stores {@code seal} if this database has no seal with its signature yet; returns the stored one's id. */
  long saveSeal(Seal seal) throws SQLException;

  /** Makes every deferred write, then deletes those of {@code seals} that no entry refers to. */
  void pruneSeals(Set<Long> seals) throws SQLException;
}
