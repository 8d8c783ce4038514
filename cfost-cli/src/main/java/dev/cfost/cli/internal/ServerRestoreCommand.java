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
 * {@code cfost server restore --from DIR}: puts a backup in place of the server's (new or empty) data
 * directory, the server stopped, and moves the streams' positions forward so that no device's cursor
 * reaches over what is written after the restore (docs/SERVER.md, "Backup and restore"). The data
 * directory comes from {@code --data}, else {@code CFOST_SERVER_DATA}, else the {@code --config} file.
 *
 * <p>{@code cfost server restore --postgres JDBC_URL}: the same move for a PostgreSQL store, once
 * {@code pg_restore} has put a dump into that database (every server process stopped); the URL and
 * password are found as {@code cfost server} finds them.
 */
@Command(name = "restore", mixinStandardHelpOptions = true,
    footer = "  cfost server restore --from /backups/cfost-1203 --data /var/lib/cfost-new",
    description = {"Restore a backup into the server's data directory (new or empty; stop the server first),",
        "or, with --postgres, finish the restore of a PostgreSQL dump (after pg_restore; stop every server first).",
        "Stream positions move forward, so devices that synced after the backup lose nothing (docs/SERVER.md)."})
final class ServerRestoreCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--from", paramLabel = "DIR",
      description = "The backup directory (made by cfost server backup).")
  Path from;

  @Option(names = "--postgres", paramLabel = "JDBC_URL",
      description = "The PostgreSQL database a dump was just restored into (pg_restore); its password in"
          + " CFOST_SERVER_POSTGRES_PASSWORD. Default: CFOST_SERVER_POSTGRES, else the --config file's postgres.")
  String postgres;

  @Option(names = "--data", paramLabel = "DIR",
      description = "The server's data directory (default: as the server: ./" + ServerConfig.DEFAULT_DATA + ").")
  String data;

  @Option(names = "--config", paramLabel = "FILE", description = "The server's properties file, for its data key.")
  String config;

  @Override
  public Integer call() {
    Map<String, String> flags = new HashMap<>();
    flags.put("data", data);
    flags.put("config", config);
    flags.put("postgres", postgres);
    PrintWriter out = spec.commandLine().getOut();
    try {
      ServerConfig resolved = ServerConfig.resolve(flags, System.getenv());
      if (from == null) {
        if (resolved.postgresUrl() == null) {
          throw new CliException("give --from DIR (a backup of the SQLite store) or --postgres JDBC_URL (a database"
              + " a dump was restored into)");
        }
        int moved = ServerStore.restorePostgres(resolved.postgresUrl(), null, resolved.postgresPassword());
        out.println("moved the stream heads of " + moved + " database" + (moved == 1 ? "" : "s")
            + " forward to at least the present time in " + ServerConfig.redact(resolved.postgresUrl()));
        out.flush();
        return 0;
      }
      if (postgres != null) {
        throw new CliException("--from restores the SQLite store, --postgres finishes a PostgreSQL restore: give one");
      }
      Path dataDir = resolved.dataDir();
      List<Path> written = ServerStore.restoreSqlite(from, dataDir);
      out.println("restored " + from + " into " + dataDir + ": accounts.db and " + (written.size() - 1) + " user file"
          + (written.size() == 2 ? "" : "s"));
      out.flush();
      return 0;
    } catch (IllegalArgumentException | StoreException e) {
      throw new CliException(e.getMessage(), e);
    }
  }
}
