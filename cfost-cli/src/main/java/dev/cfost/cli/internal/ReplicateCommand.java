package dev.cfost.cli.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.cfost.Cfost;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cfost replicate}: makes tables replicated, in the order given. Each table is its own
 * transaction, so when one is refused the tables before it stay replicated (replicating again is
 * harmless) and the refused one is untouched.
 */
@Command(name = "replicate", mixinStandardHelpOptions = true,
    footer = "  cfost --db notes.db replicate todo tag",
    description = {"Make tables replicated: their rows become changes, and later writes are captured.",
        "A table needs a NOT NULL primary key that is not AUTOINCREMENT."})
final class ReplicateCommand implements Callable<Integer> {
  @ParentCommand CfostCommand cfost;
  @Spec CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "TABLE", description = "The tables to replicate.")
  List<String> tables;

  @Option(names = "--json", description = "Print one JSON object per table: {\"table\":...,\"already\":true|false}.")
  boolean json;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try (Cfost db = cfost.open(false);
        Progress progress = Progress.of("replicate", "rows", json, spec.commandLine().getErr())) {
      Map<String, Long> rows = rowsToReplicate(db);
      progress.total(rows.values().stream().mapToLong(Long::longValue).sum());
      long done = 0;
      for (String table : tables) {
        boolean already = db.replicatedTables().contains(table);
        db.replicate(table);
        // Counted a table at a time: the engine turns a table's rows into changes in one transaction.
        Long counted = rows.remove(table);
        done += counted == null ? 0 : counted;
        progress.done(done);
        out.println(json ? JsonNodeFactory.instance.objectNode().put("table", table).put("already", already)
            : (already ? "already replicated " : "replicated ") + table);
        out.flush(); // the lines before a refusal are true; show them before the error
      }
      progress.finish();
    }
    return 0;
  }

  /** The rows of each table not yet replicated: what replicating turns into changes. */
  private Map<String, Long> rowsToReplicate(Cfost db) {
    Map<String, Long> rows = new HashMap<>();
    List<String> replicated = db.replicatedTables();
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      for (String table : tables) {
        if (!replicated.contains(table) && !rows.containsKey(table)) {
          try (ResultSet rs = s.executeQuery("SELECT count(*) FROM \"" + table.replace("\"", "\"\"") + "\"")) {
            rows.put(table, rs.next() ? rs.getLong(1) : 0);
          } catch (SQLException e) {
            rows.put(table, 0L); // no such table: replicating it fails with the engine's own words
          }
        }
      }
    } catch (SQLException e) {
      throw new CliException("cannot count the rows to replicate: " + Errors.sqlite(e), e);
    }
    return rows;
  }
}
