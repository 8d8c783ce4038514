package dev.cfost.internal.documents;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** The documents' tables: the replicated revisions, and the ones derived from them on this replica. */
final class DocumentTables {
  private DocumentTables() {}

  /** Makes the tables that do not exist yet; refolds a file whose derived tables are of an older form. */
  static void create(Statement s, String revisions) throws SQLException {
    dropDerivedTablesOfAnOlderForm(s);
    s.execute("CREATE TABLE IF NOT EXISTS " + revisions + "(id INTEGER PRIMARY KEY NOT NULL, body TEXT)");
    s.execute("CREATE TABLE IF NOT EXISTS cfost_doc_heads(ord INTEGER PRIMARY KEY, doc TEXT NOT NULL UNIQUE,"
        + " title TEXT, body TEXT, created INTEGER NOT NULL DEFAULT 0, deleted INTEGER NOT NULL DEFAULT 0,"
        + " version INTEGER NOT NULL DEFAULT 0, created_hlc INTEGER, created_by TEXT, updated_hlc INTEGER,"
        + " updated_by TEXT)");
    // A revision's entry is a few bytes: its run (local number) and index in it, its outcome where not plain.
    s.execute("CREATE TABLE IF NOT EXISTS cfost_doc_order(ord INTEGER NOT NULL, pos INTEGER NOT NULL,"
        + " run INTEGER NOT NULL, idx INTEGER NOT NULL, applied INTEGER NOT NULL, reason TEXT, rev TEXT,"
        + " PRIMARY KEY(ord, pos)) WITHOUT ROWID");
    s.execute("CREATE TABLE IF NOT EXISTS cfost_doc_runs(n INTEGER PRIMARY KEY, id INTEGER NOT NULL UNIQUE,"
        + " last_hlc INTEGER NOT NULL, body NOT NULL)");
    s.execute("CREATE TABLE IF NOT EXISTS cfost_doc_checkpoints(ord INTEGER NOT NULL, pos INTEGER NOT NULL,"
        + " state BLOB NOT NULL, PRIMARY KEY(ord, pos)) WITHOUT ROWID");
    s.execute("CREATE TABLE IF NOT EXISTS cfost_doc_meta(k TEXT PRIMARY KEY NOT NULL, v TEXT)");
  }

  /**
   * The local history points into the rows as they were folded ({@code cfost_doc_runs}; rewinds and history
   * read them, not the replicated rows, which a peer may delete or update). Files whose history is of an
   * older form (a copy of each revision's body in its entry, or none) are refolded from the revisions: the
   * derived tables are dropped and the fold cursor forgotten.
   */
  private static void dropDerivedTablesOfAnOlderForm(Statement s) throws SQLException {
    boolean hasOrder = false;
    boolean hasRun = false;
    try (ResultSet rs = s.executeQuery("PRAGMA table_info(cfost_doc_order)")) {
      while (rs.next()) {
        hasOrder = true;
        hasRun |= "run".equals(rs.getString("name"));
      }
    }
    if (hasOrder && !hasRun) {
      s.execute("DROP TABLE cfost_doc_order");
      s.execute("DROP TABLE IF EXISTS cfost_doc_runs");
      s.execute("DROP TABLE IF EXISTS cfost_doc_heads");
      s.execute("DROP TABLE IF EXISTS cfost_doc_checkpoints");
      s.execute("DROP TABLE IF EXISTS cfost_doc_meta");
    }
  }
}
