package dev.cfost.internal;

import dev.cfost.Change;
import java.util.Iterator;
import java.util.List;

/**
 * Cuts a merge's changes into chunks of about {@code size}, not between two consecutive changes of one
 * row: a chunk merged as it comes then never applies a row in two steps, as the staged merge never does.
 * A run of one row's changes longer than another chunk (only a hostile stream) is cut anyway, so that a
 * chunk stays bounded.
 */
final class RowChunks {
  private final Iterator<Change> changes;
  private final int size;
  private Change carried;

  RowChunks(Iterator<Change> changes, int size) {
    this.changes = changes;
    this.size = size;
  }

  boolean hasNext() {
    return carried != null || changes.hasNext();
  }

  /** Fills {@code into} with the next chunk; call only while {@link #hasNext()}. */
  void next(List<Change> into) {
    into.clear();
    if (carried != null) {
      into.add(carried);
      carried = null;
    }
    while (into.size() < size && changes.hasNext()) {
      into.add(changes.next());
    }
    Change last = into.get(into.size() - 1);
    while (into.size() < 2 * size && changes.hasNext()) {
      Change c = changes.next();
      if (!c.sameRow(last)) {
        carried = c;
        return;
      }
      into.add(c);
    }
  }
}
