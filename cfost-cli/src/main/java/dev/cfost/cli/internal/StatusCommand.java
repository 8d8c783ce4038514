package dev.cfost.cli.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cfost.Cfost;
import dev.cfost.Values;
import java.io.IOException;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code cfost status}: what this replica is and holds. */
@Command(name = "status", mixinStandardHelpOptions = true,
    footer = "  cfost --db notes.db status --json",
    description = {"Print the site id, database id, path, versions and replicated tables of the database,",
        "whether its sync daemon runs, its sync server (URL, connected or not, last error), and its peers (those in",
        "the peer book, and those that connected to this side: inbound)",
        "with when each was last seen and the changes pending.",
        "Held changes (sealed by devices not known yet) and deferred ones (for a newer schema), by the peer",
        "that sent them (the first 8 hex digits of its site id), and deferred changes set aside.",
        "Versions: db_version (the last change made or merged here) and schema version (PRAGMA user_version)."})
final class StatusCommand implements Callable<Integer> {
  @ParentCommand CfostCommand cfost;
  @Spec CommandSpec spec;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws SQLException, IOException {
    String siteId;
    String databaseId;
    List<PeerRows.Row> peers;
    List<PeerRows.Inbound> inbound;
    String path;
    long dbVersion;
    int schemaVersion;
    Map<String, Long> rows;
    Map<String, Long> held;
    Map<String, Long> deferred;
    long setAside;
    List<java.net.URI> server;
    String serverState;
    String serverError;
    try (Cfost db = cfost.open(false)) {
      server = ServerSync.remembered(db);
      serverState = LocalSettings.get(db, ServerSync.STATE).orElse(null);
      serverError = LocalSettings.get(db, ServerSync.ERROR).orElse(null);
      db.capture(); // so that db_version counts the writes other processes made since the last capture
      siteId = Values.hex(db.siteId());
      databaseId = db.databaseId();
      path = db.path().toAbsolutePath().toString();
      dbVersion = db.dbVersion();
      schemaVersion = db.schemaVersion();
      rows = rowCounts(db);
      held = byPeer(db, "identity_held", "");
      deferred = byPeer(db, "cfost_deferred", " WHERE failed IS NULL");
      setAside = db.failedDeferredChanges();
      peers = PeerRows.read(db);
      inbound = PeerRows.inbound(db, peers);
    }
    OptionalLong daemon = PidFile.running(cfost.dbPath());
    if (daemon.isEmpty()) {
      serverState = "not connected (the daemon is not running)"; // what it recorded may be stale
    }
    boolean loggedIn = java.nio.file.Files.exists(dev.cfost.identity.ServerClient.tokenFileOf(cfost.dbPath()));
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ObjectNode o = new ObjectMapper().createObjectNode();
      o.put("site_id", siteId);
      o.put("database_id", databaseId);
      o.put("path", path);
      o.put("db_version", dbVersion);
      o.put("schema_version", schemaVersion);
      o.put("held_changes", total(held));
      o.put("deferred_changes", total(deferred));
      o.put("set_aside_changes", setAside);
      perPeerJson(o.putArray("held_by_peer"), held);
      perPeerJson(o.putArray("deferred_by_peer"), deferred);
      ArrayNode tables = o.putArray("tables");
      rows.forEach((name, count) -> tables.addObject().put("name", name).put("rows", count));
      ObjectNode d = o.putObject("daemon").put("running", daemon.isPresent());
      daemon.ifPresent(pid -> d.put("pid", pid));
      if (!server.isEmpty()) {
        ObjectNode srv = o.putObject("server");
        srv.put("url", server.get(0).toString()).put("logged_in", loggedIn).put("state", serverState)
            .put("connected", daemon.isPresent() && serverState != null && serverState.startsWith("connected"));
        if (serverError != null) {
          srv.put("last_error", serverError);
        }
      }
      ArrayNode peerList = o.putArray("peers");
      peers.forEach(p -> peerList.add(p.toJson()));
      inbound.forEach(p -> peerList.add(p.toJson()));
      out.println(o);
    } else {
      List<List<String>> lines = new ArrayList<>();
      lines.add(List.of("site id", siteId));
      lines.add(List.of("database id", databaseId));
      lines.add(List.of("path", path));
      lines.add(List.of("db version", Long.toString(dbVersion)));
      lines.add(List.of("schema version", Integer.toString(schemaVersion)));
      // Kept aside, not merged: sealed by devices not in the device list yet, or for a newer schema; by
      // the peer that sent them (bounded per peer, docs/SECURITY.md).
      lines.add(List.of("held changes", total(held) + perPeerText(held)));
      lines.add(List.of("deferred", total(deferred) + " changes waiting" + perPeerText(deferred) + ", " + setAside
          + " set aside"));
      if (rows.isEmpty()) {
        lines.add(List.of("tables", "none replicated"));
      }
      rows.forEach((name, count) -> lines.add(List.of("table " + name, count + " rows")));
      lines.add(List.of("daemon", daemon.isPresent() ? "running, pid " + daemon.getAsLong() : "not running"));
      if (!server.isEmpty()) {
        lines.add(List.of("server", server.get(0) + (loggedIn ? "" : " (not logged in)") + ", "
            + (serverState == null ? "not connected" : serverState)));
        if (serverError != null) {
          lines.add(List.of("server error", serverError));
        }
      }
      if (peers.isEmpty() && inbound.isEmpty()) {
        lines.add(List.of("peers", "none"));
      }
      for (PeerRows.Row p : peers) {
        lines.add(List.of("peer", p.entry().address() + " (" + p.entry().source() + ")"
            + (p.entry().siteId() == null ? ", not seen yet" : ", site " + p.entry().siteId() + ", last seen "
                + p.lastSeen() + ", " + p.pending() + " changes pending")));
      }
      for (PeerRows.Inbound p : inbound) {
        lines.add(List.of("peer", "site " + p.siteId() + " (" + p.source() + "), last seen " + p.lastSeen() + ", "
            + p.pending() + " changes pending"));
      }
      // The labels' column fits the longest (a table's name is part of its label), so no label runs into its value.
      int width = Math.max(MIN_LABEL_WIDTH, lines.stream().mapToInt(l -> l.get(0).length()).max().orElse(0) + 2);
      for (List<String> l : lines) {
        out.println(l.get(0) + " ".repeat(width - l.get(0).length()) + l.get(1));
      }
    }
    return 0;
  }

  /** The width of the labels' column when every label is short: values line up at the same place. */
  private static final int MIN_LABEL_WIDTH = 16;
  /** Hex digits of a peer's site id shown by status: enough to tell peers apart. */
  static final int PEER_PREFIX = 8;
  /** How status names changes that came from no sync peer (a bundle, or checked outside a session). */
  static final String NO_PEER = "no peer";

  /**
   * Rows of a local table that may not exist yet (identity_held exists once a database has a user), by the
   * peer that sent them (its site id's first {@value #PEER_PREFIX} hex digits, or {@value #NO_PEER}), most
   * first. Empty when there are none.
   */
  private static Map<String, Long> byPeer(Cfost db, String table, String where) throws SQLException {
    Map<String, Long> out = new LinkedHashMap<>();
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      try (ResultSet exists = st.executeQuery("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '" + table + "'")) {
        if (!exists.next()) {
          return out;
        }
      }
      boolean hasPeer;
      try (ResultSet rs = st.executeQuery("SELECT 1 FROM pragma_table_info('" + table + "') WHERE name = 'peer'")) {
        hasPeer = rs.next(); // identity_held gets it when the identity tables are next opened
      }
      try (ResultSet rs = st.executeQuery("SELECT " + (hasPeer ? "lower(hex(peer))" : "NULL") + " AS p, count(*) AS n"
          + " FROM " + table + where + " GROUP BY p ORDER BY n DESC, p")) {
        while (rs.next()) {
          String peer = rs.getString(1);
          String name = peer == null || peer.isEmpty() ? NO_PEER : peer.substring(0, Math.min(PEER_PREFIX, peer.length()));
          out.merge(name, rs.getLong(2), Long::sum);
        }
      }
    }
    return out;
  }

  private static long total(Map<String, Long> byPeer) {
    return byPeer.values().stream().mapToLong(Long::longValue).sum();
  }

  /** " (peer 0a1b2c3d: 10, no peer: 5)", or nothing when there are none. */
  private static String perPeerText(Map<String, Long> byPeer) {
    if (byPeer.isEmpty()) {
      return "";
    }
    List<String> parts = new ArrayList<>();
    byPeer.forEach((peer, n) -> parts.add((peer.equals(NO_PEER) ? peer : "peer " + peer) + ": " + n));
    return " (" + String.join(", ", parts) + ")";
  }

  private static void perPeerJson(ArrayNode out, Map<String, Long> byPeer) {
    byPeer.forEach((peer, n) -> {
      ObjectNode o = out.addObject();
      if (peer.equals(NO_PEER)) {
        o.putNull("peer");
      } else {
        o.put("peer", peer);
      }
      o.put("changes", n);
    });
  }

  static Map<String, Long> rowCounts(Cfost db) throws SQLException {
    Map<String, Long> out = new LinkedHashMap<>();
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      for (String table : db.replicatedTables()) {
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM \"" + table.replace("\"", "\"\"") + "\"")) {
          rs.next();
          out.put(table, rs.getLong(1));
        }
      }
    }
    return out;
  }
}
