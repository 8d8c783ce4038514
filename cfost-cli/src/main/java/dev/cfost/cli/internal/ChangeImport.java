package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import dev.cfost.Change;
import dev.cfost.InvalidChangeException;
import dev.cfost.MergeResult;
import java.io.BufferedReader;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.function.LongConsumer;

/**
 * Merges a JSON Lines bundle into a replica in one transaction, streaming it: a bundle of any size is
 * applied wholly or, if any line is unreadable or refused, not at all.
 */
final class ChangeImport {
  /** Changes between two progress reports: often enough for a bar, rare enough to cost nothing. */
  private static final int REPORT_EVERY = 500;

  private ChangeImport() {}

  /**
   * @throws CliException naming the line (1-based) and the field when a line is malformed or refused;
   *     nothing is applied then
   */
  static MergeResult merge(Cfost db, BufferedReader in) {
    return merge(db, in, read -> { });
  }

  /**
   * As {@link #merge(Cfost, BufferedReader)}, telling {@code progress} how many changes were read so far,
   * now and then while the merge streams through them.
   */
  static MergeResult merge(Cfost db, BufferedReader in, LongConsumer progress) {
    JsonLinesChanges changes = new JsonLinesChanges(in);
    Iterator<Change> counted = new Iterator<>() {
      private long read;

      @Override
      public boolean hasNext() {
        return changes.hasNext();
      }

      @Override
      public Change next() {
        Change c = changes.next();
        if (++read % REPORT_EVERY == 0) {
          progress.accept(read);
        }
        return c;
      }
    };
    try {
      MergeResult result = db.mergeAll(counted);
      progress.accept(result.received());
      return result;
    } catch (InvalidChangeException e) {
      throw new CliException(changes.describe(e) + "; nothing was imported", e);
    } catch (UncheckedIOException e) {
      throw new CliException(e.getMessage() + "; nothing was imported", e);
    }
  }
}
