package dev.cfost.cli.internal;

import dev.cfost.net.SyncKey;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
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
    footer = "  cfost --db laptop.db sync-key | ssh desktop cfost --db d.db sync-key set -",
    description = {"Show the sync key: the secret that replicas of a database without users share to sync.",
        "It is never sent or announced; a peer that does not know it can neither read nor write.",
        "Copy it to the other replicas with 'cfost sync-key set -' (or 'cfost init --sync-key -'), which read it",
        "from the first line of stdin: a key given as an argument shows in ps and the shell's history."})
final class SyncKeyCommand implements Callable<Integer> {
  /** What {@code sync-key new} and {@code set} print: the daemon's TLS context is built at its start. */
  static final String RESTART = "a running daemon keeps using the old key until it is restarted"
      + " ('cfost stop', then 'cfost start')";
  private static final int MAX_LINE = 256;
  @ParentCommand CfostCommand cfost;
  @Spec CommandSpec spec;

  @Option(names = "--json", description = "Print one JSON object: {\"sync_key\":...}.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    Path path = cfost.dbPath();
    CfostCommand.requireExists(path);
    SyncKey key = SyncKey.load(path).orElseThrow(() -> new CliException("the database " + path + " has no sync key;"
        + " make one with 'cfost sync-key new' or set the one of its other replicas with 'cfost sync-key set -' (reads it from stdin)"));
    spec.commandLine().getOut().println(json ? "{\"sync_key\":\"" + key.text() + "\"}" : key.text());
    return 0;
  }

  @Command(name = "set", mixinStandardHelpOptions = true,
      footer = "  cfost --db desktop.db sync-key set - < key.txt",
      description = "Use KEY, the sync key of the database's other replicas (replaces this replica's key).")
  int set(@Parameters(paramLabel = "KEY", description = "'-' to read the key from the first line of stdin"
      + " (recommended), or the key itself: 64 hex digits, as 'cfost sync-key' prints them (then other local users"
      + " can see it in ps while this runs, and it stays in the shell's history).") String text)
      throws IOException {
    Path path = cfost.dbPath();
    CfostCommand.requireExists(path);
    save(spec.commandLine(), path, fromStdinIfDash(spec.commandLine(), "KEY", text));
    spec.commandLine().getOut().println("sync key set; " + RESTART);
    return 0;
  }

  @Command(name = "new", mixinStandardHelpOptions = true,
      footer = "  cfost --db laptop.db sync-key new",
      description = "Make a new random sync key (replaces this replica's key: the other replicas need the new one).")
  int make() throws IOException {
    Path path = cfost.dbPath();
    CfostCommand.requireExists(path);
    SyncKey.generate().save(path);
    PrintWriter out = spec.commandLine().getOut();
    out.println("new sync key made; show it with 'cfost sync-key' and give it to the other replicas with"
        + " 'cfost sync-key set -' (reads it from stdin)");
    out.println(RESTART);
    return 0;
  }

  /**
   * {@code given}, or for {@code -} the first line of stdin (without its line end): a key on the command line
   * can be read by other local users ({@code ps}, {@code /proc/PID/cmdline}) and stays in the shell's history.
   */
  static String fromStdinIfDash(picocli.CommandLine cmd, String what, String given) {
    if (!"-".equals(given)) {
      return given;
    }
    StringBuilder line = new StringBuilder();
    try {
      Reader r = new InputStreamReader(CfostCommand.stdinOf(cmd), StandardCharsets.UTF_8);
      int ch;
      while ((ch = r.read()) != -1 && ch != '\n') {
        if (line.length() == MAX_LINE) {
          throw new ParameterException(cmd, what + ": the first line of stdin is longer than " + MAX_LINE
              + " characters; a sync key is 64 hex digits");
        }
        line.append((char) ch);
      }
    } catch (IOException e) {
      throw new CliException("cannot read the sync key from stdin: " + e.getMessage(), e);
    }
    String key = line.toString().strip();
    if (key.isEmpty()) {
      throw new ParameterException(cmd, what + ": stdin is empty; write the sync key as its first line");
    }
    return key;
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
