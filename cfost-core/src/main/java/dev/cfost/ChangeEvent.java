package dev.cfost;

import java.util.List;
import java.util.Set;

/**
 * What one commit changed in replicated tables, as delivered to a {@link ChangeListener}.
 *
 * @param origin whether the commit was a local write (captured from any connection) or a merge
 * @param dbVersion the local db_version the commit produced
 * @param tables the replicated tables with changed rows
 * @param rows the changed rows, at most {@link #MAX_ROWS}; see {@code truncated}
 * @param truncated true if more rows changed than are listed (a bulk write); {@code tables} is complete.
 *     Commits that another engine on the same file (another process) stamped are announced as one
 *     {@code LOCAL} event with no rows and {@code truncated} set, when this engine next captures.
 */
public record ChangeEvent(Origin origin, long dbVersion, Set<String> tables, List<RowRef> rows, boolean truncated) {
  /** The most rows an event lists; a larger commit sets {@code truncated}. */
  public static final int MAX_ROWS = 10_000;

  public ChangeEvent {
    tables = Set.copyOf(tables);
    rows = List.copyOf(rows);
  }

  /** Where a change came from. */
  public enum Origin {
    LOCAL,
    REMOTE
  }

  /**
   * A changed row.
   *
   * @param table the table
   * @param key the primary key values in column order
   * @param deleted true if the row no longer exists
   */
  public record RowRef(String table, List<Object> key, boolean deleted) {}
}
