package dev.cfost;

import java.util.List;

/**
 * The changes of a batch about to be sent and the {@link Seal}s that prove them. {@code changes} may
 * leave out some of the changes offered for sealing: those the sender cannot prove.
 */
public record SealedChanges(List<Change> changes, List<Seal> seals) {
  public SealedChanges {
    changes = List.copyOf(changes);
    seals = List.copyOf(seals);
  }
}
