package dev.cfost.cli.internal;

import dev.cfost.server.ServerConfig;
import dev.cfost.server.ServerStore;
import dev.cfost.server.StoreException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cfost server restore --from DIR}: puts a backup in place of the server's (new or empty) data
 * directory, the server stopped, and moves the streams' positions forward so that no device's cursor
 * reaches over what is written after the restore (docs/SERVER.md, "Backup and restore"). The data
 * directory comes from {@code --data}, else {@code CFOST_SERVER_DATA}, else the {@code --config} file.
 */
@Command(name = "restore", mixinStandardHelpOptions = true,
    description = {"Restore a backup into the server's data directory (new or empty; stop the server first).",
        "Stream positions move forward, so devices that synced after the backup lose nothing (docs/SERVER.md)."})
final class ServerRestoreCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--from", paramLabel = "DIR", required = true,
      description = "The backup directory (made by cfost server backup).")
  Path from;

  @Option(names = "--data", paramLabel = "DIR",
      description = "The server's data directory (default: as the server: ./" + ServerConfig.DEFAULT_DATA + ").")
  String data;

  @Option(names = "--config", paramLabel = "FILE", description = "The server's properties file, for its data key.")
  String config;

  @Override
  public Integer call() {
    Path dataDir;
    List<Path> written;
    try {
      dataDir = ServerBackupCommand.dataDir(data, config);
      written = ServerStore.restoreSqlite(from, dataDir);
    } catch (IllegalArgumentException | StoreException e) {
      throw new CliException(e.getMessage(), e);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println("restored " + from + " into " + dataDir + ": accounts.db and " + (written.size() - 1) + " user file"
        + (written.size() == 2 ? "" : "s"));
    out.flush();
    return 0;
  }
}
