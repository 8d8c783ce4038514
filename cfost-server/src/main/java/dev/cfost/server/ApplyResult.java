package dev.cfost.server;

/**
 * What {@link ServerStore#applyBatch} did.
 *
 * @param applied how many changes of the batch won under the merge rule (got a new stream position for
 *     a new value or row life; a tie that only records a greater site id moves the entry too, but is not
 *     counted, as in cfost-core's {@code MergeResult})
 * @param position the database's stream head after the batch: the last position handed out
 */
public record ApplyResult(int applied, long position) {}
