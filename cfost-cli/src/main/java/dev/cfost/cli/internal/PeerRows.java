package dev.cfost.cli.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.cfost.Cfost;
import dev.cfost.net.PeerBook;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** The peer book as {@code peer list} and {@code status} show it, with the changes pending per peer. */
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

  static final List<String> HEADER = List.of("address", "source", "site id", "last seen", "cursor", "pending");

  static List<Row> read(Cfost db) {
    PeerBook book = PeerBook.of(db);
    List<Row> rows = new ArrayList<>();
    for (PeerBook.Entry e : book.list()) {
      rows.add(new Row(e, e.siteId() == null ? null : book.pendingFor(e.siteId())));
    }
    return rows;
  }

  private static String dash(String s) {
    return s == null ? "-" : s;
  }
}
