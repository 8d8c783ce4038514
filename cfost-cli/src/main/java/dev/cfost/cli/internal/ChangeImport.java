package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import dev.cfost.InvalidChangeException;
import dev.cfost.MergeResult;
import java.io.BufferedReader;
import java.io.UncheckedIOException;

/**
 * Merges a JSON Lines bundle into a replica in one transaction, streaming it: a bundle of any size is
 * applied wholly or, if any line is unreadable or refused, not at all.
 */
final class ChangeImport {
  private ChangeImport() {}

  /**
   * @throws CliException naming the line (1-based) and the field when a line is malformed or refused;
   *     nothing is applied then
   */
  static MergeResult merge(Cfost db, BufferedReader in) {
    JsonLinesChanges changes = new JsonLinesChanges(in);
    try {
      return db.mergeAll(changes);
    } catch (InvalidChangeException e) {
      throw new CliException(changes.describe(e) + "; nothing was imported", e);
    } catch (UncheckedIOException e) {
      throw new CliException(e.getMessage() + "; nothing was imported", e);
    }
  }
}
