package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code cfost export}: writes the changes as a JSON Lines bundle, to stdout or atomically to a file. */
@Command(name = "export", mixinStandardHelpOptions = true,
    footer = "  cfost --db laptop.db export --since 120 --out /media/usb/changes.jsonl",
    description = {"Write the changes as JSON Lines, one change per line, to stdout or to a file.",
        "Another replica applies them with 'cfost import'."})
final class ExportCommand implements Callable<Integer> {
  @ParentCommand CfostCommand cfost;
  @Spec CommandSpec spec;

  @Option(names = "--since", paramLabel = "N", defaultValue = "0",
      description = "Only changes with a db_version greater than N (default: ${DEFAULT-VALUE}, everything).")
  long since;

  @Option(names = "--out", paramLabel = "FILE",
      description = "Write to FILE (replaced atomically) instead of stdout, and print a summary on stderr.")
  Path out;

  @Override
  public Integer call() throws IOException {
    if (since < 0) {
      throw new ParameterException(spec.commandLine(), "--since must not be negative: " + since);
    }
    try (Cfost db = cfost.open(false)) {
      if (out == null) {
        // Stdout stays pure JSON Lines: no summary, nothing else.
        ChangeExport.write(db, since, spec.commandLine().getOut());
      } else {
        ChangeExport.Summary s = ChangeExport.writeFile(db, since, out);
        spec.commandLine().getErr().println("exported " + s.changes() + " changes to " + out
            + " (next: --since " + s.maxDbVersion() + ")");
      }
    }
    return 0;
  }
}
