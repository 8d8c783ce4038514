package dev.cfost;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Helpers shared by the engine tests: open replicas, run SQL, dump tables with their value types. */
final class TestDb {
  private TestDb() {}

  /** An engine without the background capture thread, so tests decide when writes are captured. */
  static Cfost open(Path file) {
    return Cfost.open(CfostOptions.builder(file).captureInterval(Duration.ZERO).build());
  }

  static Cfost open(Path file, WallClock clock) {
    return Cfost.open(CfostOptions.builder(file).captureInterval(Duration.ZERO).wallClock(clock).build());
  }

  /**
   * Opens a new replica whose site id is 16 bytes of {@code site}, so that a property test's seed
   * decides the sites' order (a random site id would make a failing sample unrepeatable).
   */
  static Cfost openAsSite(CfostOptions options, int site) {
    Cfost.open(options).close();
    try (Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + options.path());
        java.sql.PreparedStatement ps = c.prepareStatement("UPDATE cfost_sites SET site_id = ? WHERE ord = 0")) {
      byte[] id = new byte[16];
      java.util.Arrays.fill(id, (byte) site);
      ps.setBytes(1, id);
      if (ps.executeUpdate() != 1) {
        throw new IllegalStateException("no local site row in " + options.path());
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return Cfost.open(options);
  }

  static void sql(Cfost db, String... statements) {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  /** Every row of {@code table} ordered by its first column, each value as {@code typeof:value}. */
  static List<String> dump(Cfost db, String table) {
    List<String> rows = new ArrayList<>();
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT * FROM \"" + table.replace("\"", "\"\"") + "\" ORDER BY 1, 2")) {
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          Object v = rs.getObject(i);
          String shown = v instanceof byte[] ? "x" + HexFormat.of().formatHex((byte[]) v) : String.valueOf(v);
          String type = v == null ? "null" : v instanceof byte[] ? "blob" : v instanceof Double ? "real"
              : v instanceof String ? "text" : "integer";
          sb.append(i > 1 ? " | " : "").append(type).append(':').append(shown);
        }
        rows.add(sb.toString());
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
    return rows;
  }

  /** All changes of {@code db} from the start, in batches of {@code batch}. */
  static List<Change> allChanges(Cfost db, int batch) {
    List<Change> out = new ArrayList<>();
    Cursor cursor = Cursor.START;
    while (true) {
      ChangeBatch b = db.changes(cursor, batch);
      out.addAll(b.changes());
      cursor = b.next();
      if (b.caughtUp()) {
        return out;
      }
    }
  }

  /** Pulls everything {@code from} has that {@code to} has not seen, using and saving the peer cursor. */
  static int pull(Cfost to, Cfost from, int batch) {
    int moved = 0;
    Cursor cursor = to.peerCursor(from.siteId());
    while (true) {
      ChangeBatch b = from.changes(cursor, batch);
      if (!b.changes().isEmpty()) {
        to.merge(b.changes());
      }
      moved += b.changes().size();
      cursor = b.next();
      to.savePeerCursor(from.siteId(), cursor);
      if (b.caughtUp()) {
        return moved;
      }
    }
  }
}
