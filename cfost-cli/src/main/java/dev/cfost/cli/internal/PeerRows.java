package dev.cfost.cli.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.cfost.Cfost;
import dev.cfost.net.PeerBook;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The peer book as {@code peer list} and {@code status} show it, with the changes pending per peer; and
 * for {@code status}, the peers that connected to this side.
 */
final class PeerRows {
  private PeerRows() {}

  /**
   * One peer.
   *
   * @param pending changes this side has that the peer has not acknowledged, or null while its site is
   *     unknown (no session yet)
   */
  record Row(PeerBook.Entry entry, Long pending) {
    String lastSeen() {
      return entry.lastSeenMillis() == 0 ? null
          : Instant.ofEpochMilli(entry.lastSeenMillis()).truncatedTo(ChronoUnit.SECONDS).toString();
    }

    ObjectNode toJson() {
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      o.put("address", entry.address().toString());
      o.put("source", entry.source());
      o.put("site_id", entry.siteId());
      o.put("last_seen", lastSeen());
      o.put("cursor", entry.cursor());
      o.put("pending", pending);
      return o;
    }

    List<String> cells() {
      return List.of(entry.address().toString(), entry.source(), dash(entry.siteId()), dash(lastSeen()),
          dash(entry.cursor()), pending == null ? "-" : pending.toString());
    }
  }

  /**
   * A peer that synced with this side without being in its peer book: it connected to this side's daemon.
   * Known by its site id, from the cursor kept for what it sent and the one for what it acknowledged.
   *
   * @param lastSeenMillis when either cursor last moved
   * @param cursor how far its changes were merged here, or null when it sent none
   * @param pending changes this side has that it has not acknowledged
   */
  record Inbound(String siteId, String source, long lastSeenMillis, String cursor, long pending) {
    String lastSeen() {
      return Instant.ofEpochMilli(lastSeenMillis).truncatedTo(ChronoUnit.SECONDS).toString();
    }

    ObjectNode toJson() {
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      o.putNull("address");
      o.put("source", source);
      o.put("site_id", siteId);
      o.put("last_seen", lastSeen());
      o.put("cursor", cursor);
      o.put("pending", pending);
      return o;
    }
  }

  /** The source of a peer that connected to this side, and of the sync server (known by its site id). */
  static final String INBOUND = "inbound";
  static final String SERVER = "server";

  static final List<String> HEADER = List.of("address", "source", "site id", "last seen", "cursor", "pending");

  static List<Row> read(Cfost db) {
    PeerBook book = PeerBook.of(db);
    List<Row> rows = new ArrayList<>();
    for (PeerBook.Entry e : book.list()) {
      rows.add(new Row(e, e.siteId() == null ? null : book.pendingFor(e.siteId())));
    }
    return rows;
  }

  /**
   * The peers that synced with this side and are not in {@code book} (by site id), by site id; the sync server
   * among them (by the site id its sessions announced) has the source {@value #SERVER}.
   */
  static List<Inbound> inbound(Cfost db, List<Row> book) {
    Set<String> inBook = new HashSet<>();
    book.forEach(r -> inBook.add(r.entry().siteId()));
    PeerBook peers = PeerBook.of(db); // creates cfost_net_acks if this side never synced
    String serverSite = LocalSettings.get(db, ServerSync.SITE).orElse(null);
    List<Inbound> out = new ArrayList<>();
    try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT s.site, max(s.at), cur.complete || ':' || cur.db || ':' || cur.seq FROM ("
            + " SELECT lower(hex(site_id)) AS site, updated_at AS at FROM cfost_peers"
            + " UNION ALL SELECT site_id, updated_at FROM cfost_net_acks) s"
            + " LEFT JOIN cfost_peers cur ON lower(hex(cur.site_id)) = s.site GROUP BY s.site ORDER BY s.site")) {
      while (rs.next()) {
        String site = rs.getString(1);
        if (!inBook.contains(site)) {
          out.add(new Inbound(site, site.equals(serverSite) ? SERVER : INBOUND, rs.getLong(2), rs.getString(3), 0));
        }
      }
    } catch (SQLException e) {
      throw new CliException("cannot read the peers' cursors: " + Errors.sqlite(e), e);
    }
    out.replaceAll(p -> new Inbound(p.siteId(), p.source(), p.lastSeenMillis(), p.cursor(), peers.pendingFor(p.siteId())));
    return out;
  }

  private static String dash(String s) {
    return s == null ? "-" : s;
  }
}
