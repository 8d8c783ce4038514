package dev.cfost.cli.internal;

/**
 * Makes text that came from another device safe for a terminal or a log: control characters (C0, DEL,
 * C1: escape sequences, carriage returns, bells), the line and paragraph separators (U+2028, U+2029),
 * and the bidirectional overrides, isolates and marks that reorder what is shown (U+202A to U+202E, U+2066
 * to U+2069, U+200E, U+200F, U+061C) become {@code \\uXXXX}. The one sanitizer for remote text (error messages, claimed ids, names);
 * the library's own log lines get the same treatment in logback.xml.
 */
final class Printable {
  private Printable() {}

  static String of(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder out = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean unsafe = Character.isISOControl(c) || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069')
          || c == '\u2028' || c == '\u2029' || c == '\u200e' || c == '\u200f' || c == '\u061c'
          || Character.isSurrogate(c) && !validPair(s, i);
      if (unsafe && out == null) {
        out = new StringBuilder(s.length() + 16).append(s, 0, i);
      }
      if (out != null) {
        if (unsafe) {
          out.append(String.format("\\u%04x", (int) c));
        } else {
          out.append(c);
        }
      }
    }
    return out == null ? s : out.toString();
  }

  private static boolean validPair(String s, int i) {
    char c = s.charAt(i);
    return Character.isHighSurrogate(c) ? i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
        : i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }
}
