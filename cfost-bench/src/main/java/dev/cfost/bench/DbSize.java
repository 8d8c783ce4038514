package dev.cfost.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The bytes a closed database file takes: as it is (WAL checkpointed into it), after {@code VACUUM}
 * (what the data needs, without free pages), per table and index (SQLite's dbstat), and the text of the
 * replicated revision bodies alone.
 */
record DbSize(long fileBytes, long vacuumedBytes, long revisionBodyBytes, Map<String, Long> tables) {

  static DbSize of(Path file) throws IOException, SQLException {
    Path copy = file.resolveSibling(file.getFileName() + ".vacuumed");
    Files.deleteIfExists(copy);
    long fileBytes;
    long bodies;
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
      s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
      fileBytes = Files.size(file);
      try (ResultSet rs = s.executeQuery("SELECT COALESCE(SUM(length(CAST(body AS BLOB))), 0) FROM document_revisions")) {
        bodies = rs.next() ? rs.getLong(1) : 0;
      }
      s.execute("VACUUM INTO '" + copy.toString().replace("'", "''") + "'");
    }
    Map<String, Long> tables = new LinkedHashMap<>();
    long vacuumed = Files.size(copy);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + copy); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")) {
      while (rs.next()) {
        tables.put(rs.getString(1), rs.getLong(2));
      }
    } catch (SQLException e) {
      tables.put("(no per-table figures: " + e.getMessage() + ")", 0L);
    } finally {
      Files.deleteIfExists(copy);
    }
    return new DbSize(fileBytes, vacuumed, bodies, tables);
  }
}
