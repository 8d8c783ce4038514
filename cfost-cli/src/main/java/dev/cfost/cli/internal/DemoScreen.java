package dev.cfost.cli.internal;

import java.io.PrintWriter;

/**
 * What {@code cfost demo} prints: numbered steps, one line of what happened and one of why. ANSI colors
 * only on a terminal, unless NO_COLOR is set or TERM is "dumb"; plain text when piped, so that tests and
 * logs read the same words.
 */
final class DemoScreen {
  private static final String BOLD = "\u001b[1m";
  private static final String CYAN = "\u001b[36m";
  private static final String GREEN = "\u001b[32m";
  private static final String RED = "\u001b[31m";
  private static final String DIM = "\u001b[2m";
  private static final String RESET = "\u001b[0m";

  private final PrintWriter out;
  private final boolean color;
  private int step;

  DemoScreen(PrintWriter out, boolean color) {
    this.out = out;
    this.color = color;
  }

  /** Colors when a person watches a terminal that can show them. */
  static boolean colorWanted() {
    return System.console() != null && System.getenv("NO_COLOR") == null && !"dumb".equals(System.getenv("TERM"));
  }

  void step(String title) {
    out.println();
    out.println(paint(BOLD + CYAN, ++step + ". " + title));
    out.flush();
  }

  /** What happened. */
  void did(String what) {
    out.println("   " + what);
    out.flush();
  }

  /** Why it came out that way, under what happened. */
  void why(String reason) {
    out.println(paint(DIM, "     why: " + reason));
    out.flush();
  }

  /** A result worth seeing: a table or a document, indented as it is. */
  void block(String title, String text) {
    out.println("   " + paint(BOLD, title));
    text.lines().forEach(l -> out.println("     " + l));
    out.flush();
  }

  void plain(String line) {
    out.println(line);
    out.flush();
  }

  void verdict(boolean converged) {
    out.println();
    out.println(converged ? paint(BOLD + GREEN, "converged: yes") : paint(BOLD + RED, "converged: NO"));
    out.flush();
  }

  private String paint(String codes, String text) {
    return color ? codes + text + RESET : text;
  }
}
