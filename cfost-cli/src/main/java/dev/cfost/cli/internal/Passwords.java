package dev.cfost.cli.internal;

import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a password from the terminal without echo, or as the first line of stdin
 * ({@code --password-stdin}, for scripts). The caller owns the returned array and should zero it.
 */
final class Passwords {
  private static final int MAX_CHARS = 4096;

  private Passwords() {}

  /**
   * @param stdin the command's stdin
   * @param fromStdin read one line of stdin instead of asking on the terminal
   * @param confirm on the terminal, ask twice and refuse two different answers
   */
  static char[] read(InputStream stdin, boolean fromStdin, boolean confirm) {
    if (fromStdin) {
      return firstLine(stdin);
    }
    Console console = System.console();
    if (console == null || !isTerminal(console)) {
      throw new CliException("no terminal to ask for the password on; pipe it in with --password-stdin");
    }
    char[] first = console.readPassword("password: ");
    if (first == null) {
      throw new CliException("no password entered");
    }
    if (confirm) {
      char[] again = console.readPassword("repeat the password: ");
      boolean same = again != null && Arrays.equals(first, again);
      if (again != null) {
        Arrays.fill(again, '\0');
      }
      if (!same) {
        Arrays.fill(first, '\0');
        throw new CliException("the two passwords differ");
      }
    }
    return first;
  }

  /**
   * Whether the console is a terminal. Before JDK 22 {@link System#console()} is null otherwise; from
   * JDK 22 it may be a console on redirected streams, which {@code Console.isTerminal()} tells.
   */
  private static boolean isTerminal(Console console) {
    try {
      return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException e) {
      return true; // JDK 17 to 21: a console exists only on a terminal
    }
  }

  /** The first line of {@code in} (UTF-8, without its line end). */
  static char[] firstLine(InputStream in) {
    char[] buf = new char[MAX_CHARS];
    int n = 0;
    boolean sawAny = false;
    try {
      Reader r = new InputStreamReader(in, StandardCharsets.UTF_8);
      int ch;
      while ((ch = r.read()) != -1 && ch != '\n') {
        sawAny = true;
        if (n == buf.length) {
          throw new CliException("the password on stdin is longer than " + MAX_CHARS + " characters");
        }
        buf[n++] = (char) ch;
      }
      if (!sawAny && ch == -1) {
        throw new CliException("--password-stdin: stdin is empty; write the password as its first line");
      }
      if (n > 0 && buf[n - 1] == '\r') {
        n--;
      }
      return Arrays.copyOf(buf, n);
    } catch (IOException e) {
      throw new CliException("cannot read the password from stdin: " + e.getMessage(), e);
    } finally {
      Arrays.fill(buf, '\0');
    }
  }
}
