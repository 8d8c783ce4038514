package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.identity.ServerClient;
import dev.cfost.identity.ServerException;
import dev.cfost.identity.User;
import dev.cfost.identity.Users;
import java.io.Console;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cfost login}: checks a user's password against the users in the database. An unknown user and a
 * wrong password fail alike, with the one line {@code cfost: wrong user name or password}.
 *
 * <p>With {@code --server URL}: logs in to that sync server's account instead, keeps the refresh token in
 * {@code <db>.server-login} (owner-only), remembers the server for {@code start} and {@code sync}, and
 * proves this device's key to the server, which binds a new account to this database's user or says
 * whether the server knows the device yet.
 */
@Command(name = "login", mixinStandardHelpOptions = true,
    footer = "  cfost --db laptop.db login --server https://sync.example.com --user ada",
    description = {"Check a user's name (or email) and password; with --server, log in to a sync server's",
        "account and keep the login beside the database (owner-only) for 'cfost start' and 'cfost sync'.",
        "The password is asked for on the terminal, or read with --password-stdin."})
final class LoginCommand implements Callable<Integer> {
  @ParentCommand CfostCommand cfost;
  @Spec CommandSpec spec;

  @Option(names = "--user", paramLabel = "NAME",
      description = "The user name or email address (asked for on the terminal with --server).")
  String user;

  @Option(names = "--password-stdin", description = "Read the password from the first line of stdin.")
  boolean passwordStdin;

  @Option(names = "--server", paramLabel = "URL",
      description = {"Log in to this sync server (https://HOST[:PORT]). Repeatable: more URLs of the same"
          + " server, tried in order."})
  List<URI> servers = new ArrayList<>();

  @Option(names = "--server-trust", paramLabel = "FILE",
      description = "Trust only the certificate(s) in FILE (PEM, or PKCS#12 without password) for the server.")
  Path serverTrust;

  @Override
  public Integer call() {
    if (servers.isEmpty()) {
      if (user == null) {
        throw new ParameterException(spec.commandLine(), "Missing required option: '--user=NAME'");
      }
      try (Cfost db = cfost.open(false)) {
        // Users.login zeroes the password whatever happens; its failure message is the same for both causes.
        User u = Users.open(db).login(user, Passwords.read(cfost.stdin(), passwordStdin, false));
        spec.commandLine().getOut().println("logged in as " + Printable.of(u.name()));
      }
      return 0;
    }
    try (Cfost db = cfost.open(false)) {
      List<URI> urls = ServerSync.resolve(db, servers, serverTrust);
      String identityUser = ServerSync.identityUser(db);
      ServerClient client = ServerSync.client(db, urls);
      String login = user != null ? user : askLogin();
      String account = client.login(login, Passwords.read(cfost.stdin(), passwordStdin, false));
      PrintWriter out = spec.commandLine().getOut();
      out.println("logged in to " + urls.get(0) + " as " + Printable.of(login) + " (account " + account + ")");
      DeviceKeys keys = DeviceKeys.forDatabase(db);
      try {
        client.deviceToken(keys, identityUser, Devices.open(db).isAuthorized(keys.deviceId(), identityUser));
        out.println("device " + keys.deviceId() + " may sync through the server: 'cfost start' or 'cfost sync"
            + " --server " + urls.get(0) + " --once'");
      } catch (ServerException e) {
        if (!e.code().equals("device_not_authorized") && !e.code().equals("no_device_list_yet")) {
          throw e;
        }
        // Logged in all the same: the device list reaches the server with another device's sync.
        out.println("warning: " + e.getMessage());
      }
    }
    return 0;
  }

  private String askLogin() {
    Console console = System.console();
    if (console == null || passwordStdin) {
      throw new ParameterException(spec.commandLine(), "give the account's name or email with --user NAME");
    }
    String line = console.readLine("login: ");
    if (line == null || line.isBlank()) {
      throw new CliException("no login entered");
    }
    return line.strip();
  }
}
