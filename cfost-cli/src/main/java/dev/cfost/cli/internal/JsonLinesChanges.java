package dev.cfost.cli.internal;

import dev.cfost.Change;
import dev.cfost.ChangeJson;
import dev.cfost.InvalidChangeException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Reads a JSON Lines bundle lazily, one change per non-blank line, and maps a change's index back to its
 * line number for error messages.
 *
 * <p>Changes are numbered from 0 over the non-blank lines only, both when parsing and when the engine
 * refuses one, so one mapping serves both. Only the numbers of blank lines are kept, not the lines.
 * Not thread-safe: used by the thread that merges.
 */
final class JsonLinesChanges implements Iterator<Change> {
  private final BufferedReader in;
  private final List<Integer> blankLines = new ArrayList<>();
  private int lineNumber; // lines read so far
  private int changes; // changes handed out so far
  private String pending;
  private boolean done;

  JsonLinesChanges(BufferedReader in) {
    this.in = in;
  }

  @Override
  public boolean hasNext() {
    while (pending == null && !done) {
      String line;
      try {
        line = in.readLine();
      } catch (IOException e) {
        throw new UncheckedIOException("line " + (lineNumber + 1) + ": cannot read: " + Errors.describe(e), e);
      }
      if (line == null) {
        done = true;
        break;
      }
      lineNumber++;
      if (lineNumber == 1 && line.startsWith("\uFEFF")) {
        line = line.substring(1); // a byte-order mark some editors write
      }
      if (line.isBlank()) {
        blankLines.add(lineNumber);
      } else {
        pending = line;
      }
    }
    return pending != null;
  }

  @Override
  public Change next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    String line = pending;
    pending = null;
    return ChangeJson.read(line, changes++);
  }

  /** The 1-based line number of the change at {@code index} (0-based, counting non-blank lines). */
  int lineOf(int index) {
    int line = index + 1;
    for (int blank : blankLines) {
      if (blank > line) {
        break;
      }
      line++;
    }
    return line;
  }

  /**
   * The refusal restated with the line instead of the change index:
   * {@code line 3: field 'pk' is not hex: 'zz'}.
   */
  String describe(InvalidChangeException e) {
    if (e.index() < 0) {
      return e.getMessage();
    }
    String prefix = "change #" + e.index() + ": ";
    String reason = e.getMessage().startsWith(prefix) ? e.getMessage().substring(prefix.length()) : e.getMessage();
    return "line " + lineOf(e.index()) + ": " + reason;
  }
}
