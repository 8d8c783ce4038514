package dev.cfost.internal.documents;

import dev.cfost.Cfost;
import dev.cfost.Change;
import dev.cfost.ChangeBatch;
import dev.cfost.ChangeFilter;
import dev.cfost.Cursor;
import java.util.ArrayList;
import java.util.List;

/**
 * The changes of the revisions table that one fold transaction takes from the change stream, read before
 * the transaction begins, and where the stream goes on after them.
 */
record FoldWindow(List<Change> changes, Cursor next, boolean caughtUp) {
  /**
   * Changes folded in one transaction, at most. A merge stores its chunk of changes (10,000 by default)
   * in key order, and a row's key is a hash, so a window that cuts a chunk leaves later revisions folded
   * before earlier ones, which the next window rewinds: twice the default chunk makes that rare.
   */
  static final int CHANGES = 20_000;
  /**
   * Revisions in a window, at most (past one row): a window keeps a {@link FoldedRuns.Entry} of a few dozen
   * bytes for each, the revisions themselves decoded a few runs at a time. The automerge-paper trace
   * (259,779 revisions in 130 runs, which a merge stores in key order) folds in one window.
   */
  static final long REVISIONS = 500_000;
  /** Characters (a run's: bytes) of row bodies in a window, at most (past its first batch): bounds its heap. */
  static final long CHARS = 16L << 20;
  /** Changes read from the stream per call. */
  private static final int STREAM_BATCH = 4000;
  private static final ChangeFilter FILTER = ChangeFilter.ALL.onlyTables(List.of(DocumentStore.TABLE));

  /**
   * The window from {@code cursor}: at most {@code maxChanges} changes, {@code maxRevisions} revisions (or one
   * row, if that row alone holds more) and {@link #CHARS}.
   */
  static FoldWindow read(Cfost db, Cursor cursor, int maxChanges, long maxRevisions) {
    List<Change> window = new ArrayList<>();
    Cursor next = cursor;
    boolean caughtUp = false;
    long chars = 0;
    long revisions = 0;
    do {
      ChangeBatch batch = db.changes(next, Math.min(STREAM_BATCH, maxChanges), FILTER);
      long room = maxRevisions - revisions;
      long held = revisionsIn(batch.changes());
      if (held > room) {
        if (!window.isEmpty()) {
          break; // this batch begins the next window
        }
        // alone past the bound (runs of thousands each): the rows that fit, at least one, read again
        batch = db.changes(next, fitting(batch.changes(), room), FILTER);
        held = revisionsIn(batch.changes());
      }
      window.addAll(batch.changes());
      revisions += held;
      for (Change c : batch.changes()) {
        chars += c.val() instanceof String text ? text.length() : c.val() instanceof byte[] run ? run.length : 0;
      }
      next = batch.next();
      caughtUp = batch.caughtUp();
    } while (!caughtUp && window.size() < maxChanges && chars < CHARS && revisions < maxRevisions);
    return new FoldWindow(window, next, caughtUp);
  }

  /** The revisions that the changes' rows say they hold (a run says how many, unread). */
  private static long revisionsIn(List<Change> changes) {
    long n = 0;
    for (Change c : changes) {
      n += "body".equals(c.cid()) ? RevisionRun.revisionsIn(c.val()) : 0;
    }
    return n;
  }

  /**
   * How many of the first changes hold at most {@code room} revisions: at least one row, so a fold moves on.
   * Whole rows (a row's sentinel comes before its body), since the stream reads whole rows up to a count.
   */
  private static int fitting(List<Change> changes, long room) {
    long held = 0;
    int count = 0;
    for (int start = 0; start < changes.size(); ) {
      int end = start + 1;
      while (end < changes.size() && sameRow(changes.get(start), changes.get(end))) {
        end++;
      }
      held += revisionsIn(changes.subList(start, end));
      if (held > room && count > 0) {
        break;
      }
      count = end;
      start = end;
    }
    return count;
  }

  private static boolean sameRow(Change a, Change b) {
    return a.table().equals(b.table()) && java.util.Arrays.equals(a.pk(), b.pk());
  }
}
