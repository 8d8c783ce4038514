package dev.cfost.net;

import dev.cfost.Cfost;
import dev.cfost.CfostException;
import dev.cfost.ChangeBatch;
import dev.cfost.ChangeFilter;
import dev.cfost.Cursor;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The peers a database knows, kept in the database itself ({@code cfost_net_peers}): each address, how
 * it was learned (manual or mDNS), the site id last seen there and when, joined with the sync cursor
 * kept for that site. Thread-safe: each call runs on a connection the database lends
 * ({@link Cfost#withConnection}; a sender records each acknowledgement here, and opening a connection
 * costs about a millisecond), so once the database is closed calls fail with {@link IllegalStateException}.
 */
public final class PeerBook {
  private final Cfost db;

  /**
   * One known peer.
   *
   * @param address where it is reached
   * @param source {@code manual} or {@code mdns}
   * @param siteId the site id last seen there, or null
   * @param lastSeenMillis when a session last started with it, or 0
   * @param cursor the sync cursor kept for that site, or null
   */
  public record Entry(PeerAddress address, String source, String siteId, long lastSeenMillis, String cursor) {}

  private PeerBook(Cfost db) {
    this.db = db;
  }

  /** The peer book of {@code db}, created on first use. */
  public static PeerBook of(Cfost db) {
    on(db, "create", c -> {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE IF NOT EXISTS cfost_net_peers(address TEXT PRIMARY KEY, source TEXT NOT NULL,"
            + " site_id TEXT, last_seen INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID");
        return s.execute("CREATE TABLE IF NOT EXISTS cfost_net_acks(site_id TEXT PRIMARY KEY,"
            + " cursor TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID");
      }
    });
    return new PeerBook(db);
  }

  /** Adds a peer (or keeps it, if known); returns false if it was known already. */
  public boolean add(PeerAddress address, String source) {
    return update("INSERT OR IGNORE INTO cfost_net_peers(address, source) VALUES (?, ?)", address.toString(), source) > 0;
  }

  /** Forgets a peer; returns false if it was not known. */
  public boolean remove(PeerAddress address) {
    return update("DELETE FROM cfost_net_peers WHERE address = ?", address.toString()) > 0;
  }

  /** Records that a session started with the peer at {@code address}. */
  public void seen(PeerAddress address, String siteId, long nowMillis) {
    update("UPDATE cfost_net_peers SET site_id = ?, last_seen = ? WHERE address = ?", siteId, nowMillis,
        address.toString());
  }

  /** Records how far a peer has acknowledged this side's changes. */
  public void acked(String siteId, Cursor cursor, long nowMillis) {
    update("INSERT OR REPLACE INTO cfost_net_acks(site_id, cursor, updated_at) VALUES (?, ?, ?)", siteId,
        cursor.toString(), nowMillis);
  }

  /** How far a peer has acknowledged this side's changes, or {@link Cursor#START}. */
  public Cursor ackedBy(String siteId) {
    return on(db, "read", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT cursor FROM cfost_net_acks WHERE site_id = ?")) {
        ps.setString(1, siteId);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Cursor.parse(rs.getString(1)) : Cursor.START;
        }
      }
    });
  }

  /**
   * Changes this side has that the peer {@code siteId} has not acknowledged yet (its own excluded), counted
   * by reading the stream in batches: bounded memory, time linear in what is pending.
   */
  public long pendingFor(String siteId) {
    Cursor cursor = ackedBy(siteId);
    ChangeFilter filter = ChangeFilter.ALL.excludingSite(dev.cfost.Values.unhex(siteId));
    long n = 0;
    while (true) {
      ChangeBatch b = db.changes(cursor, 2000, filter);
      n += b.changes().size();
      cursor = b.next();
      if (b.caughtUp()) {
        return n;
      }
    }
  }

  public List<Entry> list() {
    return on(db, "read", c -> {
      List<Entry> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT p.address, p.source, p.site_id, p.last_seen, cur.complete || ':' || cur.db || ':' || cur.seq"
              + " FROM cfost_net_peers p LEFT JOIN cfost_peers cur ON lower(hex(cur.site_id)) = p.site_id"
              + " ORDER BY p.address");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Entry(PeerAddress.parse(rs.getString(1)), rs.getString(2), rs.getString(3),
              rs.getLong(4), rs.getString(5)));
        }
      }
      return out;
    });
  }

  private int update(String sql, Object... args) {
    return on(db, "update", c -> {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        for (int i = 0; i < args.length; i++) {
          ps.setObject(i + 1, args[i]);
        }
        return ps.executeUpdate();
      }
    });
  }

  /** Runs {@code work} on a lent connection; a failure says what the peer table could not do. */
  private static <T> T on(Cfost db, String verb, Cfost.ConnectionWork<T> work) {
    try {
      return db.withConnection(work);
    } catch (SQLException e) {
      throw new CfostException("cannot " + verb + " the peer table: " + e.getMessage(), e);
    }
  }
}
