package dev.cfost.cli.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cfost.Cfost;
import dev.cfost.Values;
import dev.cfost.net.SyncKey;
import dev.cfost.net.TlsIdentity;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cfost init}: creates the database if needed, with its database id and this device's TLS
 * identity, and prints its site id and database id; without a user it also makes the sync key (or takes
 * {@code --sync-key}); with {@code --user} it registers the user and this device ({@link InitUser}).
 */
@Command(name = "init", mixinStandardHelpOptions = true,
    footer = "  cfost --db laptop.db init --database notes",
    description = {"Create the database (or open an existing one) and print its site id and database id.",
        "Replicas sync only with replicas of the same database id; it cannot change later.",
        "With --user, also register a user with this device as its first device."})
final class InitCommand implements Callable<Integer> {
  static final String DEFAULT_DATABASE = "default";

  @ParentCommand CfostCommand cfost;
  @Spec CommandSpec spec;
  @Mixin InitUser user;

  @Option(names = "--database", paramLabel = "NAME",
      description = "The database id of a new database (default: " + DEFAULT_DATABASE + "): 1 to 128 letters,"
          + " digits, '.', '_' or '-'. For an existing database it must match.")
  String database;

  @Option(names = "--sync-key", paramLabel = "KEY",
      description = "The sync key of this database's other replicas ('cfost sync-key' there): '-' reads it from"
          + " the first line of stdin (recommended: a key given here shows in ps and the shell's history). Without"
          + " it, a database without users gets a new random key. Not needed with --user.")
  String syncKey;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    if (syncKey != null) {
      if ("-".equals(syncKey) && user.passwordStdin) {
        throw new ParameterException(spec.commandLine(), "--sync-key - and --password-stdin both read stdin; a"
            + " database with a user needs no sync key");
      }
      syncKey = SyncKeyCommand.fromStdinIfDash(spec.commandLine(), "--sync-key", syncKey);
      try {
        SyncKey.parse(syncKey);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--sync-key: " + e.getMessage());
      }
    }
    boolean withUser = user.prepare();
    Path path = cfost.dbPath();
    boolean existed = Files.exists(path);
    String id;
    String site;
    List<String> userLines;
    try (Cfost db = cfost.open(true)) {
      site = Values.hex(db.siteId());
      id = db.databaseId();
      if (!existed) {
        id = database != null ? database : DEFAULT_DATABASE;
        try {
          db.setDatabaseId(id);
        } catch (IllegalArgumentException e) {
          db.close();
          deleteNew(path);
          throw new ParameterException(spec.commandLine(), e.getMessage());
        }
      } else if (database != null && !database.equals(id)) {
        throw new CliException("the database " + path + " already has the database id '" + id + "', not '" + database
            + "'; a replica keeps its database id (init another file for '" + database + "')");
      }
      userLines = withUser ? user.register(db) : List.of();
    }
    TlsIdentity.forDatabase(path);
    // Without users, network sync needs the sync key (docs/SECURITY.md): made here, never sent or announced.
    if (syncKey != null) {
      SyncKeyCommand.save(spec.commandLine(), path, syncKey);
    } else if (!withUser && SyncKey.load(path).isEmpty()) {
      SyncKey.generate().save(path);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ObjectNode o = JsonNodeFactory.instance.objectNode().put("site_id", site).put("database_id", id);
      // "user NAME", "device ID": the same facts under their own names.
      userLines.forEach(l -> o.put(l.substring(0, l.indexOf(' ')), l.substring(l.indexOf(' ') + 1)));
      out.println(o);
    } else {
      out.println("site id " + site);
      out.println("database " + id);
      userLines.forEach(out::println);
    }
    return 0;
  }

  /** Removes a database that this command just created and refused: an invalid id leaves nothing behind. */
  private static void deleteNew(Path path) throws IOException {
    for (String suffix : new String[] {"", "-wal", "-shm"}) {
      Files.deleteIfExists(path.resolveSibling(path.getFileName() + suffix));
    }
  }
}
