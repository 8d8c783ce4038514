package dev.cfost.cli.internal;

import dev.cfost.net.SyncKey;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cfost sync-key}: shows, sets or replaces the secret that admits peers to a database without users
 * ({@link SyncKey}). It is never sent or announced; copy it to the other replicas by hand.
 */
@Command(name = "sync-key", mixinStandardHelpOptions = true,
    description = {"Show the sync key: the secret that replicas of a database without users share to sync.",
        "It is never sent or announced; a peer that does not know it can neither read nor write.",
        "Copy it to the other replicas with 'cfost sync-key set KEY' (or 'cfost init --sync-key KEY')."})
final class SyncKeyCommand implements Callable<Integer> {
  @ParentCommand CfostCommand cfost;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    Path path = cfost.dbPath();
    CfostCommand.requireExists(path);
    SyncKey key = SyncKey.load(path).orElseThrow(() -> new CliException("the database " + path + " has no sync key;"
        + " make one with 'cfost sync-key new' or set the one of its other replicas with 'cfost sync-key set KEY'"));
    spec.commandLine().getOut().println(key.text());
    return 0;
  }

  @Command(name = "set", mixinStandardHelpOptions = true,
      description = "Use KEY, the sync key of the database's other replicas (replaces this replica's key).")
  int set(@Parameters(paramLabel = "KEY", description = "64 hex digits, as 'cfost sync-key' prints them.") String text)
      throws IOException {
    Path path = cfost.dbPath();
    CfostCommand.requireExists(path);
    save(spec.commandLine(), path, text);
    spec.commandLine().getOut().println("sync key set; restart a running daemon to use it");
    return 0;
  }

  @Command(name = "new", mixinStandardHelpOptions = true,
      description = "Make a new random sync key (replaces this replica's key: the other replicas need the new one).")
  int make() throws IOException {
    Path path = cfost.dbPath();
    CfostCommand.requireExists(path);
    SyncKey.generate().save(path);
    spec.commandLine().getOut().println("new sync key made; show it with 'cfost sync-key'");
    return 0;
  }

  /** Parses and saves a key given on the command line; a malformed one is a usage error. */
  static void save(picocli.CommandLine cmd, Path database, String text) throws IOException {
    SyncKey key;
    try {
      key = SyncKey.parse(text);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(cmd, e.getMessage());
    }
    key.save(database);
  }
}
