package dev.cfost;

/**
 * What merging a batch did.
 *
 * @param received changes in the batch
 * @param applied changes that won against the local state and were written
 * @param dbVersion the local db_version after the merge
 */
public record MergeResult(int received, int applied, long dbVersion) {}
