package dev.cfost.cli.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.cfost.Cfost;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.PeerBook;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cfost peer list|add|remove}: the peer book, kept in the database. A running daemon reads it again
 * every few seconds, so changes take effect without a restart.
 */
@Command(name = "peer", mixinStandardHelpOptions = true,
    footer = "  cfost --db notes.db peer add 192.168.1.20:7947",
    description = {"List, add or remove the peers in the database's peer book.",
        "The daemon keeps every peer in the book connected; mDNS adds the peers it finds."})
final class PeerCommand {
  @ParentCommand CfostCommand cfost;
  @Spec CommandSpec spec;

  @Command(name = "list", mixinStandardHelpOptions = true,
      footer = "  cfost --db notes.db peer list --json",
      description = "Show each peer: address, source (manual or mdns), site id, last seen, cursor, pending changes.")
  int list(@Option(names = "--json", description = "Print a JSON array of objects.") boolean json) {
    List<PeerRows.Row> rows;
    try (Cfost db = cfost.open(false)) {
      rows = PeerRows.read(db);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ArrayNode a = JsonNodeFactory.instance.arrayNode();
      rows.forEach(r -> a.add(r.toJson()));
      out.println(a);
    } else if (rows.isEmpty()) {
      out.println("no peers; add one with 'cfost peer add HOST:PORT'");
    } else {
      List<List<String>> cells = new ArrayList<>();
      rows.forEach(r -> cells.add(r.cells()));
      out.print(TextTable.render(PeerRows.HEADER, cells));
    }
    return 0;
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      footer = "  cfost --db notes.db peer add 192.168.1.20:7947",
      description = "Add a peer to keep connected (source manual).")
  int add(@Parameters(paramLabel = "HOST:PORT", converter = Addresses.Peer.class) PeerAddress address) {
    boolean added;
    try (Cfost db = cfost.open(false)) {
      added = PeerBook.of(db).add(address, "manual");
    }
    spec.commandLine().getOut().println((added ? "added " : "already known ") + address);
    return 0;
  }

  @Command(name = "remove", mixinStandardHelpOptions = true,
      footer = "  cfost --db notes.db peer remove 192.168.1.20:7947",
      description = "Forget a peer; a running daemon disconnects from it.")
  int remove(@Parameters(paramLabel = "HOST:PORT", converter = Addresses.Peer.class) PeerAddress address) {
    boolean removed;
    try (Cfost db = cfost.open(false)) {
      removed = PeerBook.of(db).remove(address);
    }
    if (!removed) {
      throw new CliException("no peer " + address + " in the peer book of " + cfost.dbPath());
    }
    spec.commandLine().getOut().println("removed " + address);
    return 0;
  }
}
