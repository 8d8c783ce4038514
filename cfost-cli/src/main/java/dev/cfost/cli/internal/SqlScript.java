package dev.cfost.cli.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Splits a script into statements at the semicolons that end them, the way the sqlite3 shell decides
 * that a statement is complete: a semicolon inside a string, a quoted name, a comment or the body of a
 * CREATE TRIGGER (up to its END) does not end a statement.
 */
final class SqlScript {
  private static final Set<String> DML = Set.of("INSERT", "UPDATE", "DELETE", "REPLACE", "WITH");
  // Statements that manage transactions themselves or cannot run inside one.
  private static final Set<String> NO_WRAP =
      Set.of("BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE", "VACUUM", "ATTACH", "DETACH");

  private SqlScript() {}

  /**
   * One statement of a script.
   *
   * @param sql its text, without the ending semicolon
   * @param keyword its first word, upper case
   */
  record Statement(String sql, String keyword) {
    /**
     * True if the statement may change rows, so that its update count means something. The count that
     * SQLite reports after DDL is left over from the previous statement, so it is not read then.
     */
    boolean changesRows() {
      return DML.contains(keyword);
    }

    /** True if the statement must not run inside a transaction that the command opens. */
    boolean managesTransaction() {
      return NO_WRAP.contains(keyword);
    }
  }

  static List<Statement> split(String script) {
    List<Statement> out = new ArrayList<>();
    List<String> words = new ArrayList<>(); // of the current statement, up to the first four
    String lastWord = "";
    boolean hasCode = false; // anything but blanks and comments since the statement began
    int start = 0;
    int i = 0;
    int n = script.length();
    while (i < n) {
      char c = script.charAt(i);
      if (c == '\'' || c == '"' || c == '`') {
        i = skipQuoted(script, i, c);
        hasCode = true;
        lastWord = "";
      } else if (c == '[') {
        int end = script.indexOf(']', i + 1);
        i = end < 0 ? n : end + 1;
        hasCode = true;
        lastWord = "";
      } else if (c == '-' && i + 1 < n && script.charAt(i + 1) == '-') {
        int end = script.indexOf('\n', i);
        i = end < 0 ? n : end + 1;
      } else if (c == '/' && i + 1 < n && script.charAt(i + 1) == '*') {
        int end = script.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
      } else if (Character.isLetter(c) || c == '_') {
        int end = i + 1;
        while (end < n && (Character.isLetterOrDigit(script.charAt(end)) || script.charAt(end) == '_'
            || script.charAt(end) == '$')) {
          end++;
        }
        lastWord = script.substring(i, end).toUpperCase(Locale.ROOT);
        if (words.size() < 4) {
          words.add(lastWord);
        }
        hasCode = true;
        i = end;
      } else if (c == ';') {
        if (!isTrigger(words) || lastWord.equals("END")) {
          add(out, script.substring(start, i), words, hasCode);
          words.clear();
          lastWord = "";
          hasCode = false;
          start = i + 1;
        } else {
          lastWord = ";";
        }
        i++;
      } else {
        if (!Character.isWhitespace(c)) {
          lastWord = String.valueOf(c);
          hasCode = true;
        }
        i++;
      }
    }
    add(out, script.substring(start), words, hasCode);
    return out;
  }

  private static int skipQuoted(String s, int i, char quote) {
    int j = i + 1;
    while (j < s.length()) {
      if (s.charAt(j) == quote) {
        if (j + 1 < s.length() && s.charAt(j + 1) == quote) {
          j += 2; // a doubled quote stands for itself
          continue;
        }
        return j + 1;
      }
      j++;
    }
    return j;
  }

  private static boolean isTrigger(List<String> words) {
    if (words.size() < 2 || !words.get(0).equals("CREATE")) {
      return false;
    }
    String second = words.get(1);
    return second.equals("TRIGGER")
        || (second.equals("TEMP") || second.equals("TEMPORARY")) && words.size() > 2 && words.get(2).equals("TRIGGER");
  }

  private static void add(List<Statement> out, String sql, List<String> words, boolean hasCode) {
    // A piece of only blanks and comments (or an empty one between two semicolons) has nothing to run.
    if (hasCode) {
      out.add(new Statement(sql.strip(), words.isEmpty() ? "" : words.get(0)));
    }
  }
}
