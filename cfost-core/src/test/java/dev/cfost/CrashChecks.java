package dev.cfost;

import static dev.cfost.TestDb.sql;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/** What {@link CrashIT} checks after a kill, and the file helpers it needs. */
final class CrashChecks {
  private CrashChecks() {}

  /** The result of {@code PRAGMA integrity_check} on a file, opened with plain JDBC (no engine). */
  static String integrity(Path file) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      return integrity(c);
    }
  }

  static String integrity(Cfost db) throws SQLException {
    try (Connection c = db.connect()) {
      return integrity(c);
    }
  }

  private static String integrity(Connection c) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA integrity_check")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return String.join("\n", out);
  }

  /**
   * Checks the clocks of a reopened database: nothing is left in the trigger log, its whole change stream
   * rebuilds the table in a fresh replica, and a write made now carries a clock ahead of every clock
   * before the crash and reaches the replica too.
   */
  static void replicatesIdentically(String at, Cfost db, Path replicaFile) throws SQLException {
    assertThat(integrity(db)).as(at + "integrity_check after reopening").isEqualTo("ok");
    assertThat(pendingLog(db)).as(at + "trigger log rows left after the capture at open").isZero();
    try (Cfost replica = TestDb.open(replicaFile)) {
      sql(replica, CrashChild.TABLE_DDL);
      replica.replicate(CrashChild.TABLE);
      long maxClock = 0;
      Cursor cursor = Cursor.START;
      while (true) {
        ChangeBatch b = db.changes(cursor, 20_000);
        for (Change c : b.changes()) {
          maxClock = Math.max(maxClock, c.colVersion());
        }
        if (!b.changes().isEmpty()) {
          replica.merge(b.changes());
        }
        cursor = b.next();
        if (b.caughtUp()) {
          break;
        }
      }
      assertSameRows(rows(db), rows(replica), at + "a fresh replica");

      sql(db, "INSERT INTO item VALUES ('after-crash', 1, 'x', 1.0, x'00')");
      List<Change> next = db.changes(cursor, 100).changes();
      assertThat(next).as(at + "the write after the crash, and only it").isNotEmpty()
          .allMatch(c -> Arrays.equals(c.pk(), next.get(0).pk()));
      for (Change c : next) {
        assertThat(c.colVersion()).as(at + "a clock after the crash, against the greatest before it")
            .isGreaterThan(maxClock);
      }
      replica.merge(next);
      assertSameRows(rows(db), rows(replica), at + "the replica after one more write");
    }
  }

  /** Rows of the trigger log not yet folded into clocks (an engine table, named after the app's). */
  private static long pendingLog(Cfost db) throws SQLException {
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM cfost__log_" + CrashChild.TABLE)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static List<String> rows(Cfost db) throws SQLException {
    try (Connection c = db.connect()) {
      return rows(c);
    }
  }

  /** The rows of a file, read with plain JDBC: no engine opens it, so nothing is captured. */
  static List<String> rows(Path file) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      return rows(c);
    }
  }

  /** Every row of the scenarios' table by key, each value as {@code typeof:value}, as {@link TestDb#dump}. */
  private static List<String> rows(Connection c) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT * FROM " + CrashChild.TABLE + " ORDER BY 1")) {
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
    }
    return rows;
  }

  /** Copies a closed database, and its WAL if one was left. */
  static void copyDb(Path from, Path to) throws IOException {
    Files.copy(from, to);
    Path wal = Path.of(from + "-wal");
    if (Files.exists(wal)) {
      Files.copy(wal, Path.of(to + "-wal"));
    }
  }

  static void assertSameRows(List<String> expected, List<String> actual, String what) {
    assertThat(actual.equals(expected)).as("%s holds the same rows: %s", what, firstDifference(expected, actual))
        .isTrue();
  }

  /** The first row where two dumps differ, for failure messages. */
  static String firstDifference(List<String> expected, List<String> actual) {
    for (int i = 0; i < Math.min(expected.size(), actual.size()); i++) {
      if (!expected.get(i).equals(actual.get(i))) {
        return "row " + i + " is [" + actual.get(i) + "], expected [" + expected.get(i) + "]";
      }
    }
    return expected.size() == actual.size() ? "no difference"
        : actual.size() + " rows, expected " + expected.size();
  }
}
