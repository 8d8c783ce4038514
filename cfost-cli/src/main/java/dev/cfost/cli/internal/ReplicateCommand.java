package dev.cfost.cli.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.cfost.Cfost;
import java.io.PrintWriter;
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
    try (Cfost db = cfost.open(false)) {
      for (String table : tables) {
        boolean already = db.replicatedTables().contains(table);
        db.replicate(table);
        out.println(json ? JsonNodeFactory.instance.objectNode().put("table", table).put("already", already)
            : (already ? "already replicated " : "replicated ") + table);
        out.flush(); // the lines before a refusal are true; show them before the error
      }
    }
    return 0;
  }
}
