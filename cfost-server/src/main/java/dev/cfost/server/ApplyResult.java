package dev.cfost.server;

import dev.cfost.Cursor;

/**
 * What {@link ServerStore#applyBatch} did.
 *
 * @param applied how many changes of the batch won under the merge rule (got a new stream position for
 *     a new value or row life; a tie that only records a greater site id moves the entry too, but is not
 *     counted, as in cfost-core's {@code MergeResult})
 * @param previous the database's stream head before the batch, read in the batch's transaction: the
 *     positions after it up to {@code position} were handed out to this batch's changes and to nothing
 *     else; -1 where a store does not say
 * @param position the database's stream head after the batch: the last position handed out
 * @param held null if the batch was stored; else the cursor the store holds for the sending device, which
 *     the batch did not continue (its expected cursor was another): nothing of it was stored
 */
public record ApplyResult(int applied, long previous, long position, Cursor held) {
  /** A batch, without the head before it. */
  public ApplyResult(int applied, long position, Cursor held) {
    this(applied, -1, position, held);
  }

  /** A stored batch, without the head before it. */
  public ApplyResult(int applied, long position) {
    this(applied, -1, position, null);
  }

  /** Whether the batch was stored (false: its device's cursor had moved on, see {@link #held}). */
  public boolean stored() {
    return held == null;
  }
}
