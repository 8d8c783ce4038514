package dev.cfost;

import java.util.List;

/**
 * A bounded slice of a replica's change stream.
 *
 * @param changes the changes, in stream order
 * @param next where the following batch starts; persist it once {@code changes} are merged
 * @param caughtUp true if the stream had nothing after this batch when it was read (end of stored
 *     events)
 */
public record ChangeBatch(List<Change> changes, Cursor next, boolean caughtUp) {
  public ChangeBatch {
    changes = List.copyOf(changes);
  }
}
