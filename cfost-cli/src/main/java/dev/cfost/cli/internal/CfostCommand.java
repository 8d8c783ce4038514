package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The top-level {@code cfost} command: holds the global options that every subcommand inherits. */
@Command(
    name = "cfost",
    footer = {
        "  cfost init",
        "  cfost sql \"CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT)\"",
        "  cfost replicate todo",
        "  cfost start --daemon"},
    // docs/CLI.md lists the same codes.
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:success", "1:the operation failed (one line on stderr says why)",
        "2:usage error: an unknown command or option, a missing or malformed value"},
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = "Replicates chosen tables of a SQLite database between devices (offline-first sync).",
    subcommands = {
        InitCommand.class,
        SqlCommand.class,
        ReplicateCommand.class,
        ExportCommand.class,
        ImportCommand.class,
        StatusCommand.class,
        StartCommand.class,
        StopCommand.class,
        SyncCommand.class,
        SyncKeyCommand.class,
        PeerCommand.class,
        LogsCommand.class,
        LoginCommand.class,
        DeviceCommand.class,
        DocCommand.class,
        TasksCommand.class,
        DemoCommand.class,
        ServerCommand.class,
        CompletionCommand.class,
        HelpCommand.class
    })
final class CfostCommand {
  private final InputStream stdin;
  private final Map<String, String> env;

  /** A run with these stdin and environment variables: the process's own, or a test's ({@link Cli#run}). */
  CfostCommand(InputStream stdin, Map<String, String> env) {
    this.stdin = stdin;
    this.env = env;
  }

  // INHERIT: valid before or after the subcommand; picocli writes either spelling into these fields.
  @Option(names = "--db", paramLabel = "PATH", scope = ScopeType.INHERIT,
      description = "The database file (default: $CFOST_DB, or else ~/.cfost/cfost.db).")
  String db;

  @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print the stack trace of an error.")
  boolean verbose;

  /** The database path from {@code --db}, {@code CFOST_DB} or the default. */
  Path dbPath() {
    return DbPath.resolve(db, env.get("CFOST_DB"), System.getProperty("user.home"));
  }

  /** What the command reads from stdin: a bundle, a password, a sync key, a pairing answer. */
  InputStream stdin() {
    return stdin;
  }

  /** The stdin of the run that {@code cmd}, any command of the tree, belongs to. */
  static InputStream stdinOf(picocli.CommandLine cmd) {
    return ((CfostCommand) cmd.getCommandSpec().root().userObject()).stdin();
  }

  /**
   * Opens the database. Capture runs on close rather than in the background: a command is short, and
   * closing the engine stamps every write it made.
   *
   * @param create whether a missing file may be created; only {@code init} creates, so that a typo in
   *     {@code --db} does not silently make an empty database
   */
  Cfost open(boolean create) {
    Path path = dbPath();
    if (!create) {
      requireExists(path);
    }
    return open(path);
  }

  static void requireExists(Path path) {
    if (!Files.exists(path)) {
      throw new CliException("no database at " + path + "; create one with 'cfost init --db " + path + "'");
    }
  }

  /**
   * Opens the database for a long-running command, with the background capture on: writes that other
   * processes make (such as {@code cfost sql}) are stamped within milliseconds and synced live.
   */
  static Cfost openLive(Path path) {
    requireExists(path);
    return Cfost.open(CfostOptions.builder(path).schemaSync(true).build());
  }

  /**
   * Opens the database for a short command. Schema sync is on in the CLI: a device that joins gets the
   * tables with their rows, without creating them by hand (docs/ARCHITECTURE.md).
   */
  static Cfost open(Path path) {
    return Cfost.open(CfostOptions.builder(path).captureInterval(Duration.ZERO).schemaSync(true).build());
  }
}
