package dev.cfost.cli.internal;

import java.nio.file.Path;

/** Where the database is when {@code --db} is given, when only {@code CFOST_DB} is set, or neither. */
final class DbPath {
  private DbPath() {}

  /**
   * @param option the {@code --db} value, or null
   * @param env the {@code CFOST_DB} environment variable, or null; empty counts as unset
   * @param home the user's home folder
   */
  static Path resolve(String option, String env, String home) {
    String chosen = option != null ? option : env != null && !env.isEmpty() ? env : "~/.cfost/cfost.db";
    // A shell expands ~ only at the start of a word, so --db=~/x and CFOST_DB="~/x" arrive unexpanded.
    if (chosen.equals("~") || chosen.startsWith("~/")) {
      chosen = home + chosen.substring(1);
    }
    return Path.of(chosen).toAbsolutePath().normalize();
  }
}
