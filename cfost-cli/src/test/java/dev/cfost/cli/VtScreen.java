package dev.cfost.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a person would see on a terminal of a fixed size, from what a program wrote to it: the characters
 * at each position, without colours. Knows the VT100/xterm sequences that full-screen programs use
 * (cursor moves, erasing, the alternate screen), and ignores the rest (colours, cursor visibility).
 *
 * <p>Fed by one reader thread and read by the test's thread: every method is synchronized.
 */
final class VtScreen {
  private final int rows;
  private final int cols;
  private final char[][] cells;
  private int row;
  private int col;
  /** An escape sequence in progress, across the chunks that the output arrives in; null outside one. */
  private StringBuilder sequence;

  VtScreen(int rows, int cols) {
    this.rows = rows;
    this.cols = cols;
    this.cells = new char[rows][cols];
    erase(0, rows);
  }

  synchronized void feed(char[] text, int length) {
    for (int i = 0; i < length; i++) {
      char c = text[i];
      if (sequence != null) {
        sequence.append(c);
        if (sequence.length() == 1 && c != '[') {
          sequence = null; // a two-character escape (such as ESC =): nothing to draw
        } else if (sequence.length() > 1 && c >= '@' && c <= '~') {
          control(sequence.substring(1, sequence.length() - 1), c);
          sequence = null;
        }
      } else if (c == 27) {
        sequence = new StringBuilder();
      } else if (c == '\r') {
        col = 0;
      } else if (c == '\n') {
        row = Math.min(rows - 1, row + 1);
      } else if (c == '\b') {
        col = Math.max(0, col - 1);
      } else if (c >= ' ') {
        if (col < cols) {
          cells[row][col] = c;
        }
        col = Math.min(cols, col + 1);
      }
    }
  }

  private void control(String params, char command) {
    String[] p = params.startsWith("?") ? new String[0] : params.split(";");
    switch (command) {
      case 'H', 'f' -> {
        row = clamp(number(p, 0, 1) - 1, rows);
        col = clamp(number(p, 1, 1) - 1, cols);
      }
      case 'A' -> row = clamp(row - number(p, 0, 1), rows);
      case 'B' -> row = clamp(row + number(p, 0, 1), rows);
      case 'C' -> col = clamp(col + number(p, 0, 1), cols);
      case 'D' -> col = clamp(col - number(p, 0, 1), cols);
      case 'K' -> Arrays.fill(cells[row], Math.min(col, cols), cols, ' ');
      case 'J' -> {
        if (number(p, 0, 0) == 2) {
          erase(0, rows);
        } else {
          Arrays.fill(cells[row], Math.min(col, cols), cols, ' ');
          erase(row + 1, rows);
        }
      }
      case 'h' -> {
        if (params.equals("?1049")) {
          erase(0, rows); // a fresh alternate screen
        }
      }
      default -> { } // colours (m), cursor visibility (?25h/l) and the rest draw nothing
    }
  }

  private static int number(String[] p, int index, int otherwise) {
    return index < p.length && !p[index].isEmpty() ? Integer.parseInt(p[index]) : otherwise;
  }

  private static int clamp(int v, int size) {
    return Math.max(0, Math.min(size - 1, v));
  }

  private void erase(int from, int to) {
    for (int r = from; r < to; r++) {
      Arrays.fill(cells[r], ' ');
    }
  }

  /** The screen's lines, trailing spaces removed. */
  synchronized List<String> lines() {
    List<String> out = new ArrayList<>();
    for (char[] line : cells) {
      out.add(new String(line).stripTrailing());
    }
    return out;
  }

  /** The screen as text, one line per row, for assertions and failure messages. */
  synchronized String text() {
    return String.join("\n", lines());
  }
}
