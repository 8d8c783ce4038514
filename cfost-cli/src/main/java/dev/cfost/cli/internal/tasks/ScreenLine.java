package dev.cfost.cli.internal.tasks;

/**
 * One line of the task screen, built from styled pieces and cut at the terminal's width: counting only
 * what is visible, so that colour codes never push text past the edge or wrap the line.
 */
final class ScreenLine {
  static final String RESET = "\033[0m";
  static final String BOLD = "\033[1m";
  static final String DIM = "\033[2m";
  static final String REVERSE = "\033[7m";
  static final String RED = "\033[31m";
  static final String GREEN = "\033[32m";
  static final String YELLOW = "\033[33m";
  static final String CYAN = "\033[36m";

  private final StringBuilder text = new StringBuilder();
  private final int width;
  private final String base;
  private int used;

  /** @param base the style of the whole line (such as {@link #REVERSE} for the selected row), or "" */
  ScreenLine(int width, String base) {
    this.width = width;
    this.base = base;
    text.append(base);
  }

  /** Appends {@code s} in {@code style} ("" for the line's own), as much of it as fits. */
  ScreenLine add(String s, String style) {
    if (!style.isEmpty()) {
      text.append(style);
    }
    s.codePoints().forEach(cp -> {
      if (used < width) {
        // A control character from a synced title would move the cursor: show it as a '?'.
        text.appendCodePoint(Character.isISOControl(cp) ? '?' : cp);
        used++;
      }
    });
    if (!style.isEmpty()) {
      text.append(RESET).append(base);
    }
    return this;
  }

  ScreenLine add(String s) {
    return add(s, "");
  }

  /** The line, filled with its base style to the edge when it has one (so a selection spans the row). */
  String render() {
    if (!base.isEmpty()) {
      text.append(" ".repeat(Math.max(0, width - used)));
    }
    return text.append(RESET).toString();
  }
}
