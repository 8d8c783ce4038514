package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cfost sql}: runs statements through an ordinary JDBC connection, as an application would, so
 * writes to replicated tables are logged by the triggers and stamped when the engine closes.
 */
@Command(name = "sql", mixinStandardHelpOptions = true,
    footer = "  cfost --db notes.db sql --json \"SELECT id, title FROM todo WHERE done = 0\"",
    description = {"Run SQL and print the rows of the last query, or how many rows changed.",
        "Statements are separated by ';'. Several run in one transaction, all or nothing,",
        "unless the SQL manages transactions itself (BEGIN ... COMMIT)."})
final class SqlCommand implements Callable<Integer> {
  @ParentCommand CfostCommand cfost;
  @Spec CommandSpec spec;

  @Option(names = "--json", description = "Print rows as a JSON array of objects.")
  boolean json;

  @Parameters(paramLabel = "SQL", description = "The statements, as one argument.")
  String sql;

  @Override
  public Integer call() throws SQLException {
    List<SqlScript.Statement> statements = SqlScript.split(sql);
    if (statements.isEmpty()) {
      throw new CliException("no SQL statement to run in '" + sql.strip() + "'");
    }
    // All or nothing when the script has several statements and leaves transactions to us.
    boolean wrap = statements.size() > 1 && statements.stream().noneMatch(SqlScript.Statement::managesTransaction);
    QueryResult last = null;
    long changed = 0;
    try (Cfost db = cfost.open(false); Connection c = db.connect(); Statement st = c.createStatement()) {
      if (wrap) {
        st.execute("BEGIN IMMEDIATE");
      }
      for (int i = 0; i < statements.size(); i++) {
        SqlScript.Statement s = statements.get(i);
        try {
          if (st.execute(s.sql())) {
            try (var rs = st.getResultSet()) {
              last = QueryResult.read(rs);
            }
          } else if (s.changesRows()) {
            changed += Math.max(0, st.getUpdateCount());
          }
        } catch (SQLException e) {
          if (wrap) {
            rollBackOpenTransaction(st); // rolls back; SQLite may have done so already after some errors
          }
          String where = statements.size() > 1 ? "statement " + (i + 1) + " (" + abbreviate(s.sql()) + "): " : "";
          throw new CliException(where + Errors.sqlite(e) + (wrap ? "; nothing was changed" : ""), e);
        }
      }
      if (wrap) {
        st.execute("COMMIT");
      } else if (rollBackOpenTransaction(st)) {
        throw new CliException("the SQL began a transaction and did not end it (add COMMIT); it was rolled back");
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    if (last != null) {
      out.print(json ? last.toJson() : last.toText());
    } else {
      out.println(json ? "{\"changes\":" + changed + "}" : changed + " rows changed");
    }
    return 0;
  }

  /**
   * Rolls back the open transaction, if any, and says whether there was one. Used for a script that
   * began a transaction and did not end it, which would otherwise vanish silently when the connection
   * closes; SQLite refuses the ROLLBACK when none is open.
   */
  private static boolean rollBackOpenTransaction(Statement st) {
    try {
      st.execute("ROLLBACK");
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  private static String abbreviate(String s) {
    String one = s.replaceAll("\\s+", " ");
    return one.length() <= 40 ? one : one.substring(0, 37) + "...";
  }
}
