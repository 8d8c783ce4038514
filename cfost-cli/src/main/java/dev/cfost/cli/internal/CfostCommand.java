package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The top-level {@code cfost} command: holds the global options that every subcommand inherits. */
@Command(
    name = "cfost",
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
        DemoCommand.class,
        ServerCommand.class,
        HelpCommand.class
    })
final class CfostCommand {

  // INHERIT: valid before or after the subcommand; picocli writes either spelling into these fields.
  @Option(names = "--db", paramLabel = "PATH", scope = ScopeType.INHERIT,
      description = "The database file (default: $CFOST_DB, or else ~/.cfost/cfost.db).")
  String db;

  @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print the stack trace of an error.")
  boolean verbose;

  /** The database path from {@code --db}, {@code CFOST_DB} or the default. */
  Path dbPath() {
    return DbPath.resolve(db, System.getenv("CFOST_DB"), System.getProperty("user.home"));
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
