package dev.cfost;

/**
 * What merging a batch did.
 *
 * @param received changes in the batch
 * @param applied changes that won against the local state and were written
 * @param dbVersion the local db_version after the merge
 * @param deferred changes kept for a table or column this replica does not know yet (only when the
 *     merge was asked to defer them)
 */
public record MergeResult(int received, int applied, long dbVersion, int deferred) {}
