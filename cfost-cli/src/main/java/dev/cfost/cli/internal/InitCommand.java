package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import dev.cfost.Values;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cfost init}: creates the database if needed and prints its site id; with {@code --user} also
 * registers the user and this device ({@link InitUser}).
 */
@Command(name = "init", mixinStandardHelpOptions = true,
    description = {"Create the database (or open an existing one) and print its site id.",
        "With --user, also register a user with this device as its first device."})
final class InitCommand implements Callable<Integer> {
  @ParentCommand CfostCommand cfost;
  @Spec CommandSpec spec;
  @Mixin InitUser user;

  @Override
  public Integer call() {
    boolean withUser = user.prepare();
    try (Cfost db = cfost.open(true)) {
      List<String> userLines = withUser ? user.register(db) : List.of();
      spec.commandLine().getOut().println("site id " + Values.hex(db.siteId()));
      userLines.forEach(spec.commandLine().getOut()::println);
    }
    return 0;
  }
}
