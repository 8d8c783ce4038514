package dev.cfost;

/**
 * What merging a batch did.
 *
 * @param received changes in the batch
 * @param applied changes that won against the local state and were written
 * @param dbVersion the local db_version after the merge
 * @param deferred changes kept for a table or column this replica does not know yet (only when the
 *     merge was asked to defer them)
 * @param otherWrites true if the merge's commit also wrote changes that were not in the batch: local writes
 *     captured in its transaction or cells stamped anew, changes kept aside earlier that merged with it, or a
 *     renamed column's cells streamed again. A sync peer's sender may skip a commit that holds only the peer's own batch, never one
 *     with other writes.
 */
public record MergeResult(int received, int applied, long dbVersion, int deferred, boolean otherWrites) {
  /** A result that makes no claim about other writes (taken as having some). */
  public MergeResult(int received, int applied, long dbVersion, int deferred) {
    this(received, applied, dbVersion, deferred, true);
  }
}
