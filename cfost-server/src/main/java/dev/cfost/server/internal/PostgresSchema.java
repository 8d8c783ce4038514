package dev.cfost.server.internal;

import dev.cfost.server.StoreException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The PostgreSQL store's tables, created and migrated by the server itself. {@code meta} holds the schema
 * version; each migration step runs once, in order, in the one transaction that records the new version,
 * under a transaction-scoped advisory lock, so that several processes starting at once do not race (the
 * others wait, then find the schema done). A schema newer than this version's is refused.
 *
 * <p>The tables (docs/ARCHITECTURE.md, "The PostgreSQL store"): accounts, tokens and devices as in
 * SQLite's {@code accounts.db} (so that {@link Accounts} runs on both); {@code dbs}, one row per (user,
 * database) with its stream head; {@code rows}, {@code cells} (values in typed columns, {@link PgValues}),
 * {@code seals} and {@code cursors} as in a SQLite user file, keyed by the {@code dbs} id; the {@code /ws}
 * documents ({@link PostgresDocuments}): {@code documents}, each one's current body as JSONB under a GIN
 * index, {@code document_revisions} and {@code document_checkpoints}.
 */
final class PostgresSchema {
  /** The advisory lock key of migrations: "cfost" in ASCII. */
  static final long MIGRATION_LOCK = 0x6366_6f73_74L;
  static final String KIND = "cfost-server";

  static final List<List<String>> MIGRATIONS = List.of(
      // 1: everything of SQLite's accounts schema 3 and user schema 1.
      List.of(
          "CREATE TABLE accounts(user_id text PRIMARY KEY, name text NOT NULL, name_key text NOT NULL UNIQUE,"
              + " email text NOT NULL, email_key text NOT NULL UNIQUE, password_hash text NOT NULL,"
              + " created_at bigint NOT NULL, identity_user text)",
          "CREATE TABLE tokens(hash bytea PRIMARY KEY, user_id text NOT NULL, expires_at bigint NOT NULL,"
              + " revoked integer NOT NULL DEFAULT 0, kind integer NOT NULL DEFAULT 0, device_id text)",
          "CREATE INDEX tokens_user ON tokens(user_id)",
          "CREATE TABLE devices(device_id text PRIMARY KEY, user_id text NOT NULL, public_key bytea NOT NULL,"
              + " revoked integer NOT NULL)",
          "CREATE INDEX devices_user ON devices(user_id)",
          "CREATE TABLE dbs(id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
              + " user_id text NOT NULL REFERENCES accounts(user_id), name text NOT NULL, head bigint NOT NULL,"
              + " changed_at timestamptz NOT NULL DEFAULT now(), UNIQUE(user_id, name))",
          "CREATE INDEX dbs_changed ON dbs(changed_at)",
          "CREATE TABLE rows(id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, db bigint NOT NULL,"
              + " tbl text NOT NULL, pk bytea NOT NULL, cl bigint NOT NULL, UNIQUE(db, tbl, pk))",
          "CREATE TABLE cells(row_id bigint NOT NULL, cid text NOT NULL, db bigint NOT NULL, pos bigint NOT NULL,"
              + " col_version bigint NOT NULL, typ smallint NOT NULL, i bigint, r double precision, t text,"
              + " b bytea, site bytea NOT NULL, seal bigint, PRIMARY KEY(row_id, cid),"
              + " CHECK (typ BETWEEN 0 AND 4), CHECK (r IS NULL OR r <> 'NaN'::float8))",
          "CREATE UNIQUE INDEX cells_pos ON cells(db, pos)",
          "CREATE INDEX cells_seal ON cells(seal) WHERE seal IS NOT NULL",
          "CREATE TABLE seals(id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, db bigint NOT NULL,"
              + " device_id text NOT NULL, signature bytea NOT NULL, digests bytea NOT NULL, UNIQUE(db, signature))",
          "CREATE TABLE cursors(db bigint NOT NULL, device_id text NOT NULL, received text,"
              + " acked bigint NOT NULL DEFAULT 0, PRIMARY KEY(db, device_id))"),
      // 2: device challenges (SQLite's accounts schema 4), so that any process takes a proof.
      List.of("CREATE TABLE challenges(challenge bytea PRIMARY KEY, user_id text NOT NULL, expires_at bigint NOT NULL)",
          "CREATE INDEX challenges_user ON challenges(user_id, expires_at)",
          "CREATE INDEX challenges_expiry ON challenges(expires_at)"),
      // 3: the /ws documents, so that every process serves them (SQLite keeps them in files per account).
      List.of("CREATE TABLE documents(user_id text NOT NULL, doc_id text NOT NULL, title text NOT NULL,"
              + " body jsonb NOT NULL, deleted boolean NOT NULL DEFAULT false, version bigint NOT NULL,"
              + " created_by text NOT NULL, created_hlc bigint NOT NULL, updated_by text NOT NULL,"
              + " updated_hlc bigint NOT NULL, PRIMARY KEY(user_id, doc_id))",
          "CREATE INDEX documents_body ON documents USING GIN (body jsonb_path_ops)",
          "CREATE TABLE document_revisions(id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
              + " user_id text NOT NULL, doc_id text NOT NULL, version bigint NOT NULL, kind text NOT NULL,"
              + " action text NOT NULL, author text NOT NULL, device text NOT NULL, hlc bigint NOT NULL,"
              + " at timestamptz NOT NULL DEFAULT clock_timestamp(), title text, patch jsonb, reverse jsonb,"
              + " target bigint, UNIQUE(user_id, doc_id, version),"
              + " FOREIGN KEY(user_id, doc_id) REFERENCES documents(user_id, doc_id))",
          "CREATE INDEX document_revisions_at ON document_revisions(at)",
          "CREATE INDEX document_revisions_hlc ON document_revisions(user_id, hlc)",
          "CREATE TABLE document_checkpoints(user_id text NOT NULL, doc_id text NOT NULL, version bigint NOT NULL,"
              + " body jsonb NOT NULL, deleted boolean NOT NULL, PRIMARY KEY(user_id, doc_id, version),"
              + " FOREIGN KEY(user_id, doc_id) REFERENCES documents(user_id, doc_id))"));

  private PostgresSchema() {}

  /** Brings the schema of the connection's database (its search path) to the newest version. */
  static void migrate(Connection c, List<List<String>> migrations) throws SQLException {
    try (Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SHOW server_encoding")) {
        rs.next();
        if (!"UTF8".equalsIgnoreCase(rs.getString(1))) {
          throw new StoreException("the PostgreSQL database's encoding is " + rs.getString(1)
              + "; the server store needs UTF8 (CREATE DATABASE ... ENCODING 'UTF8')");
        }
      }
      s.execute("SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")"); // held until this transaction ends
      boolean fresh;
      try (ResultSet rs = s.executeQuery("SELECT to_regclass('meta') IS NULL")) {
        rs.next();
        fresh = rs.getBoolean(1);
      }
      int current = 0;
      if (fresh) {
        s.execute("CREATE TABLE meta(key text PRIMARY KEY, value text NOT NULL)");
      } else {
        String kind = meta(c, "kind");
        if (!KIND.equals(kind)) {
          throw new StoreException("the PostgreSQL database holds a table 'meta' that is not a CFOST server's"
              + " (kind " + kind + "); give the server a database or schema of its own");
        }
        current = Integer.parseInt(meta(c, "schema"));
      }
      if (current > migrations.size()) {
        throw new StoreException("the PostgreSQL database was written by a newer CFOST server (schema " + current
            + "; this version understands up to " + migrations.size() + ")");
      }
      for (int v = current; v < migrations.size(); v++) {
        for (String sql : migrations.get(v)) {
          s.execute(sql);
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO meta(key, value) VALUES (?, ?)"
        + " ON CONFLICT(key) DO UPDATE SET value = excluded.value")) {
      ps.setString(1, "schema");
      ps.setString(2, Integer.toString(migrations.size()));
      ps.executeUpdate();
      ps.setString(1, "kind");
      ps.setString(2, KIND);
      ps.executeUpdate();
    }
  }

  private static String meta(Connection c, String key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT value FROM meta WHERE key = ?")) {
      ps.setString(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : "0";
      }
    }
  }
}
