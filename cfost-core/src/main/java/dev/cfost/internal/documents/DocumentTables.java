package dev.cfost.internal.documents;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** The documents' tables: the replicated revisions, and the ones derived from them on this replica. */
final class DocumentTables {
  private DocumentTables() {}

  /** Makes the tables that do not exist yet; refolds a file whose derived tables are of an older form. */
  static void create(Statement s, String revisions) throws SQLException {
    dropDerivedTablesWithoutFoldedBodies(s);
    s.execute("CREATE TABLE IF NOT EXISTS " + revisions + "(id INTEGER PRIMARY KEY NOT NULL, body TEXT)");
    s.execute("CREATE TABLE IF NOT EXISTS cfost_doc_heads(ord INTEGER PRIMARY KEY, doc TEXT NOT NULL UNIQUE,"
        + " title TEXT, body TEXT, created INTEGER NOT NULL DEFAULT 0, deleted INTEGER NOT NULL DEFAULT 0,"
        + " version INTEGER NOT NULL DEFAULT 0, created_hlc INTEGER, created_by TEXT, updated_hlc INTEGER,"
        + " updated_by TEXT)");
    s.execute("CREATE TABLE IF NOT EXISTS cfost_doc_order(ord INTEGER NOT NULL, pos INTEGER NOT NULL,"
        + " id INTEGER NOT NULL, hlc INTEGER NOT NULL, site BLOB NOT NULL, applied INTEGER NOT NULL,"
        + " reason TEXT, rev TEXT, body TEXT NOT NULL, PRIMARY KEY(ord, pos)) WITHOUT ROWID");
    s.execute("CREATE UNIQUE INDEX IF NOT EXISTS cfost_doc_order_id ON cfost_doc_order(id)");
    s.execute("CREATE TABLE IF NOT EXISTS cfost_doc_checkpoints(ord INTEGER NOT NULL, pos INTEGER NOT NULL,"
        + " state BLOB NOT NULL, PRIMARY KEY(ord, pos)) WITHOUT ROWID");
    s.execute("CREATE TABLE IF NOT EXISTS cfost_doc_meta(k TEXT PRIMARY KEY NOT NULL, v TEXT)");
  }

  /**
   * The local history keeps each revision's body as it was folded (rewinds and history read it, not the
   * replicated row, which a peer may delete or update). Files from before that are refolded from the
   * revisions: the derived tables are dropped and the fold cursor forgotten.
   */
  private static void dropDerivedTablesWithoutFoldedBodies(Statement s) throws SQLException {
    boolean hasOrder = false;
    boolean hasBody = false;
    try (ResultSet rs = s.executeQuery("PRAGMA table_info(cfost_doc_order)")) {
      while (rs.next()) {
        hasOrder = true;
        hasBody |= "body".equals(rs.getString("name"));
      }
    }
    if (hasOrder && !hasBody) {
      s.execute("DROP TABLE cfost_doc_order");
      s.execute("DROP TABLE IF EXISTS cfost_doc_heads");
      s.execute("DROP TABLE IF EXISTS cfost_doc_checkpoints");
      s.execute("DROP TABLE IF EXISTS cfost_doc_meta");
    }
  }
}
