package dev.cfost.cli.internal;

import dev.cfost.server.ServerConfig;
import dev.cfost.server.ServerStore;
import dev.cfost.server.StoreException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cfost server backup --to DIR}: a consistent copy of the server's data directory, taken while the
 * server runs (docs/SERVER.md, "Backup and restore"). The data directory comes from {@code --data}, else
 * {@code CFOST_SERVER_DATA}, else the {@code --config} file, as for the server itself.
 */
@Command(name = "backup", mixinStandardHelpOptions = true,
    footer = "  cfost server backup --data /var/lib/cfost --to /backups/cfost-1203",
    description = {"Copy the server's SQLite files to a new directory, consistently, while the server runs.",
        "Restore: stop the server, put the copy in place of the data directory, start it (docs/SERVER.md)."})
final class ServerBackupCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--to", paramLabel = "DIR", required = true,
      description = "The new directory to write the copy to (created; must be empty if it exists).")
  Path to;

  @Option(names = "--data", paramLabel = "DIR",
      description = "The server's data directory (default: as the server: ./" + ServerConfig.DEFAULT_DATA + ").")
  String data;

  @Option(names = "--config", paramLabel = "FILE", description = "The server's properties file, for its data key.")
  String config;

  /** The data directory as the server finds it: {@code --data}, the environment, the {@code --config} file. */
  static Path dataDir(String data, String config) {
    Map<String, String> flags = new HashMap<>();
    flags.put("data", data);
    flags.put("config", config);
    return ServerConfig.resolve(flags, System.getenv()).dataDir();
  }

  @Override
  public Integer call() {
    Path dataDir;
    List<Path> written;
    try {
      dataDir = dataDir(data, config);
      written = ServerStore.backupSqlite(dataDir, to);
    } catch (IllegalArgumentException | StoreException e) {
      throw new CliException(e.getMessage(), e);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println("backed up " + dataDir + " to " + to + ": accounts.db and " + (written.size() - 1) + " user file"
        + (written.size() == 2 ? "" : "s"));
    out.flush();
    return 0;
  }
}
