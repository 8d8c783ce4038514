package dev.cfost.server;

import dev.cfost.Change;
import dev.cfost.Seal;
import java.util.List;

/**
 * A page of a database's stream on the server ({@link ServerStore#changesAfter}).
 *
 * @param changes the changes in stream order; each one's {@code dbVersion} is its stream position and
 *     its {@code seq} 0 (see {@link ServerStore} for the mapping to a receiver's cursor)
 * @param seals the seals that cover these changes, each once, as their origin devices made them; a
 *     change with no seal stored (it reached the server unsealed) has none here
 * @param sealOf for each change, the index in {@code seals} of the seal stored with it, or -1 if it has none
 *     (so that the server relays by it without computing each change's digest again)
 * @param position the position to continue after: that of the last entry read, which may be past the
 *     last change (a row's sentinel that the stream leaves out is still read); the given position if
 *     nothing was read
 * @param caughtUp whether the stream has nothing after {@code position}
 */
public record StoredChanges(List<Change> changes, List<Seal> seals, List<Integer> sealOf, long position,
    boolean caughtUp) {
  public StoredChanges {
    changes = List.copyOf(changes);
    seals = List.copyOf(seals);
    sealOf = List.copyOf(sealOf);
    if (sealOf.size() != changes.size()) {
      throw new IllegalArgumentException("a page of " + changes.size() + " changes names the seals of "
          + sealOf.size());
    }
    for (int i : sealOf) {
      if (i < -1 || i >= seals.size()) {
        throw new IllegalArgumentException("a page names seal " + i + " of " + seals.size());
      }
    }
  }

  /** A page without changes, to continue after {@code position}. */
  public static StoredChanges none(long position, boolean caughtUp) {
    return new StoredChanges(List.of(), List.of(), List.of(), position, caughtUp);
  }
}
