package dev.cfost.cli.internal.tasks;

import java.io.IOException;
import org.jline.utils.NonBlockingReader;

/**
 * Reads keys from the terminal: a character as its code point, an arrow or another special key (sent
 * as an escape sequence) as one of the constants here, all above the last code point so that one int
 * says which.
 */
final class TaskKeys {
  static final int NONE = -1;
  static final int UP = 0x110000;
  static final int DOWN = UP + 1;
  static final int HOME = UP + 2;
  static final int END = UP + 3;
  static final int PAGE_UP = UP + 4;
  static final int PAGE_DOWN = UP + 5;
  static final int DELETE = UP + 6;
  /** An escape sequence's bytes arrive together; a lone Esc key is followed by nothing for this long. */
  private static final long SEQUENCE_MILLIS = 40;
  private static final int ESC = 27;

  private final NonBlockingReader reader;

  TaskKeys(NonBlockingReader reader) {
    this.reader = reader;
  }

  /** The next key, or {@link #NONE} if none came within {@code timeoutMillis}. */
  int next(long timeoutMillis) throws IOException {
    int c = reader.read(timeoutMillis);
    if (c < 0) {
      return NONE;
    }
    if (Character.isHighSurrogate((char) c)) {
      int low = reader.read(SEQUENCE_MILLIS);
      return low >= 0 ? Character.toCodePoint((char) c, (char) low) : NONE;
    }
    if (c != ESC) {
      return c;
    }
    int kind = reader.read(SEQUENCE_MILLIS);
    if (kind != '[' && kind != 'O') {
      return ESC; // a lone Esc (an Alt+key combination is taken as Esc too)
    }
    StringBuilder params = new StringBuilder();
    int last;
    // The sequence ends with a letter or '~'; a broken one stops at the first timeout.
    while ((last = reader.read(SEQUENCE_MILLIS)) >= 0 && (last >= '0' && last <= '9' || last == ';')) {
      params.append((char) last);
    }
    return switch (last) {
      case 'A' -> UP;
      case 'B' -> DOWN;
      case 'H' -> HOME;
      case 'F' -> END;
      case '~' -> switch (params.toString()) {
        case "1", "7" -> HOME;
        case "4", "8" -> END;
        case "5" -> PAGE_UP;
        case "6" -> PAGE_DOWN;
        case "3" -> DELETE;
        default -> NONE;
      };
      default -> NONE;
    };
  }
}
