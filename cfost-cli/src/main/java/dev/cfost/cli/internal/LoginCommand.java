package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import dev.cfost.identity.User;
import dev.cfost.identity.Users;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cfost login}: checks a user's password against the users in the database. An unknown user and a
 * wrong password fail alike, with the one line {@code cfost: wrong user name or password}.
 */
@Command(name = "login", mixinStandardHelpOptions = true,
    description = {"Check a user's name (or email) and password.",
        "The password is asked for on the terminal, or read with --password-stdin."})
final class LoginCommand implements Callable<Integer> {
  @ParentCommand CfostCommand cfost;
  @Spec CommandSpec spec;

  @Option(names = "--user", paramLabel = "NAME", required = true, description = "The user name or email address.")
  String user;

  @Option(names = "--password-stdin", description = "Read the password from the first line of stdin.")
  boolean passwordStdin;

  @Override
  public Integer call() {
    try (Cfost db = cfost.open(false)) {
      // Users.login zeroes the password whatever happens; its failure message is the same for both causes.
      User u = Users.open(db).login(user, Passwords.read(passwordStdin, false));
      spec.commandLine().getOut().println("logged in as " + Printable.of(u.name()));
    }
    return 0;
  }
}
