package dev.cfost;

/**
 * A position in a replica's change stream, kept by a receiver per sender.
 *
 * <p>{@code complete} is the sender's db_version up to which everything has been received; rows are then
 * streamed in order of their latest change ({@code db}, {@code seq}), and ({@code db}, {@code seq}) is
 * the last row received after {@code complete}. A receiver that stops mid-stream resumes from here
 * without receiving again what it has (see docs/ARCHITECTURE.md for why both parts are needed).
 *
 * <p>The text form {@code complete:db:seq} is stable and safe to persist.
 */
public record Cursor(long complete, long db, long seq) {
  /** The start of every stream. */
  public static final Cursor START = since(0);

  public Cursor {
    if (complete < 0 || db < complete) {
      throw new IllegalArgumentException("invalid cursor " + complete + ":" + db + ":" + seq);
    }
  }

  /** A cursor that asks for every change with a db_version greater than {@code dbVersion}. */
  public static Cursor since(long dbVersion) {
    return new Cursor(dbVersion, dbVersion, Long.MAX_VALUE);
  }

  /**
   * Parses the text form {@code complete:db:seq}.
   *
   * @throws IllegalArgumentException naming the text if it is not a cursor
   */
  public static Cursor parse(String text) {
    String[] parts = text.split(":", -1);
    if (parts.length != 3) {
      throw new IllegalArgumentException("not a cursor (expected complete:db:seq): '" + text + "'");
    }
    try {
      return new Cursor(Long.parseLong(parts[0]), Long.parseLong(parts[1]), Long.parseLong(parts[2]));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a cursor (expected complete:db:seq): '" + text + "'", e);
    }
  }

  @Override
  public String toString() {
    return complete + ":" + db + ":" + seq;
  }
}
