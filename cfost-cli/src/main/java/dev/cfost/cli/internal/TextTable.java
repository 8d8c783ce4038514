package dev.cfost.cli.internal;

import java.util.List;

/**
 * Lays out rows as aligned text columns under a header and a rule:
 *
 * <pre>
 * id  title     done
 * --  --------  ----
 * t1  buy milk  0
 * </pre>
 *
 * Width counts code points, so text outside the Basic Multilingual Plane still lines up; lines carry no
 * trailing blanks.
 */
final class TextTable {
  private static final String GAP = "  ";

  private TextTable() {}

  /** The table with a newline after every line; cells are already rendered text. */
  static String render(List<String> header, List<List<String>> rows) {
    int[] width = new int[header.size()];
    for (int c = 0; c < width.length; c++) {
      width[c] = Math.max(1, length(header.get(c)));
    }
    for (List<String> row : rows) {
      if (row.size() != width.length) {
        throw new IllegalArgumentException("row has " + row.size() + " cells; the header has " + width.length);
      }
      for (int c = 0; c < width.length; c++) {
        width[c] = Math.max(width[c], length(row.get(c)));
      }
    }
    StringBuilder sb = new StringBuilder();
    line(sb, header, width);
    for (int c = 0; c < width.length; c++) {
      sb.append(c > 0 ? GAP : "").append("-".repeat(width[c]));
    }
    sb.append('\n');
    for (List<String> row : rows) {
      line(sb, row, width);
    }
    return sb.toString();
  }

  private static void line(StringBuilder sb, List<String> cells, int[] width) {
    int lineStart = sb.length();
    for (int c = 0; c < width.length; c++) {
      String cell = cells.get(c);
      sb.append(c > 0 ? GAP : "").append(cell).append(" ".repeat(width[c] - length(cell)));
    }
    int end = sb.length();
    while (end > lineStart && sb.charAt(end - 1) == ' ') {
      end--;
    }
    sb.setLength(end);
    sb.append('\n');
  }

  private static int length(String s) {
    return s.codePointCount(0, s.length());
  }
}
