package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import dev.cfost.Values;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code cfost init}: creates the database if needed and prints its site id. */
@Command(name = "init", mixinStandardHelpOptions = true,
    description = "Create the database (or open an existing one) and print its site id.")
final class InitCommand implements Callable<Integer> {
  @ParentCommand CfostCommand cfost;
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    try (Cfost db = cfost.open(true)) {
      spec.commandLine().getOut().println("site id " + Values.hex(db.siteId()));
    }
    return 0;
  }
}
