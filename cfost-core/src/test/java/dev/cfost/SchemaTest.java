package dev.cfost;

import static dev.cfost.TestDb.dump;
import static dev.cfost.TestDb.pull;
import static dev.cfost.TestDb.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchemaTest {
  @TempDir Path dir;
  final AtomicLong now = new AtomicLong(1_800_000_000_000L);

  private Cfost open(String name) {
    return TestDb.open(dir.resolve(name), now::get);
  }

  @Test
  void tablesThatCannotReplicateAreRefusedWithTheReason() {
    try (Cfost db = open("r.db")) {
      sql(db, "CREATE TABLE nokey(a, b)",
          "CREATE TABLE nullable(id TEXT PRIMARY KEY, a)",
          "CREATE TABLE auto(id INTEGER PRIMARY KEY AUTOINCREMENT, a)",
          "CREATE TABLE strict(id TEXT PRIMARY KEY NOT NULL, a TEXT NOT NULL)",
          "CREATE TABLE uniq(id TEXT PRIMARY KEY NOT NULL, email TEXT UNIQUE)",
          "CREATE VIEW v AS SELECT 1");
      assertThatThrownBy(() -> db.replicate("nokey")).hasMessageContaining("table 'nokey' has no primary key");
      assertThatThrownBy(() -> db.replicate("nullable"))
          .hasMessageContaining("primary key column 'id' of table 'nullable' is nullable");
      assertThatThrownBy(() -> db.replicate("auto")).hasMessageContaining("uses AUTOINCREMENT");
      assertThatThrownBy(() -> db.replicate("strict")).hasMessageContaining("column 'a' of table 'strict' is NOT NULL"
          + " without a default");
      assertThatThrownBy(() -> db.replicate("uniq")).hasMessageContaining("unique index");
      assertThatThrownBy(() -> db.replicate("missing")).hasMessageContaining("table 'missing' does not exist");
      assertThatThrownBy(() -> db.replicate("v")).hasMessageContaining("is a view");
      assertThatThrownBy(() -> db.replicate("cfost_meta")).hasMessageContaining("internal table");
      assertThat(db.replicatedTables()).isEmpty();
    }
  }

  /**
   * A key collated NOCASE diverged: 'abc' on one replica and 'ABC' on another were one row to each base
   * table but two rows to the clocks, and after two exchanges each replica kept a different spelling.
   */
  @Test
  void primaryKeysWithANonBinaryCollationAreRefused() throws Exception {
    try (Cfost db = open("c.db")) {
      sql(db, "CREATE TABLE nocase(id TEXT PRIMARY KEY NOT NULL COLLATE NOCASE, v TEXT)",
          "CREATE TABLE rtrim(a TEXT NOT NULL, b TEXT NOT NULL, v, PRIMARY KEY(a, b COLLATE RTRIM)) WITHOUT ROWID",
          "CREATE TABLE inkey(id TEXT NOT NULL, v, PRIMARY KEY(id COLLATE NOCASE))",
          "CREATE TABLE fine(id TEXT PRIMARY KEY NOT NULL COLLATE BINARY, v TEXT COLLATE NOCASE)",
          "CREATE TABLE ints(id INTEGER PRIMARY KEY, v TEXT COLLATE NOCASE)");
      assertThatThrownBy(() -> db.replicate("nocase")).hasMessage("primary key column 'id' of table 'nocase' uses"
          + " COLLATE NOCASE; keys the collation calls equal but spelled differently ('abc', 'ABC') would be one row"
          + " here and two rows on other devices. Declare the key with the default BINARY collation (normalise the"
          + " spelling in the application, e.g. lower())");
      assertThatThrownBy(() -> db.replicate("rtrim"))
          .hasMessageContaining("primary key column 'b' of table 'rtrim' uses COLLATE RTRIM");
      assertThatThrownBy(() -> db.replicate("inkey"))
          .hasMessageContaining("primary key column 'id' of table 'inkey' uses COLLATE NOCASE");
      try (java.sql.Connection c = db.connect()) {
        org.sqlite.Collation.create(c, "REVERSED", new org.sqlite.Collation() {
          @Override
          protected int xCompare(String x, String y) {
            return y.compareTo(x);
          }
        });
        try (var s = c.createStatement()) {
          s.execute("CREATE TABLE custom(id TEXT PRIMARY KEY NOT NULL COLLATE REVERSED, v)");
        }
      }
      assertThatThrownBy(() -> db.replicate("custom"))
          .hasMessageContaining("primary key column 'id' of table 'custom' uses COLLATE REVERSED");
      db.replicate("fine"); // collations of other columns are fine: the merge compares values in Java
      db.replicate("ints");
      assertThat(db.replicatedTables()).containsExactlyInAnyOrder("fine", "ints");
    }
  }

  @Test
  void integerCompositeBlobAndOddlyNamedKeysReplicate() {
    try (Cfost a = open("a.db"); Cfost b = open("b.db")) {
      for (Cfost db : new Cfost[] {a, b}) {
        sql(db, "CREATE TABLE ints(id INTEGER PRIMARY KEY, v)",
            "CREATE TABLE pairs(k1 INTEGER NOT NULL, k2 TEXT NOT NULL, v, PRIMARY KEY(k1, k2)) WITHOUT ROWID",
            "CREATE TABLE blobs(id BLOB PRIMARY KEY NOT NULL, v)",
            "CREATE TABLE \"we\"\"ird name\"(\"the key\" TEXT PRIMARY KEY NOT NULL, \"a\"\"b\" TEXT)");
        for (String t : new String[] {"ints", "pairs", "blobs", "we\"ird name"}) {
          db.replicate(t);
        }
      }
      sql(a, "INSERT INTO ints VALUES (1, 'one'), (-5, 2.5)",
          "INSERT INTO pairs VALUES (1, 'x', 'a'), (1, 'y', NULL)",
          "INSERT INTO blobs VALUES (x'00ff', 'blob key')",
          "INSERT INTO \"we\"\"ird name\" VALUES ('k', 'v')");
      pull(b, a, 3);
      for (String t : new String[] {"ints", "pairs", "blobs", "we\"ird name"}) {
        assertThat(dump(b, t)).as(t).isEqualTo(dump(a, t)).isNotEmpty();
      }
    }
  }

  @Test
  void rowsThatExistWhenATableIsReplicatedBecomeChanges() {
    try (Cfost a = open("a.db"); Cfost b = open("b.db")) {
      sql(a, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)", "INSERT INTO t VALUES ('old', 1)");
      sql(b, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
      a.replicate("t");
      a.replicate("t"); // idempotent
      b.replicate("t");
      pull(b, a, 10);
      assertThat(dump(b, "t")).containsExactly("text:old | integer:1");
    }
  }

  @Test
  void aColumnAddedThroughTheApiKeepsReplicatingAndOldChangesStillMerge() {
    try (Cfost a = open("a.db"); Cfost b = open("b.db")) {
      for (Cfost db : new Cfost[] {a, b}) {
        sql(db, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
        db.replicate("t");
      }
      sql(a, "INSERT INTO t VALUES ('before', 1)");
      var oldChanges = TestDb.allChanges(a, 100);
      a.addColumn("t", "color TEXT DEFAULT 'red'");
      b.addColumn("t", "color TEXT DEFAULT 'red'");
      sql(a, "INSERT INTO t VALUES ('after', 2, 'blue')", "UPDATE t SET color = 'green' WHERE id = 'before'");
      b.merge(oldChanges);
      pull(b, a, 10);
      assertThat(dump(b, "t")).containsExactly("text:after | integer:2 | text:blue", "text:before | integer:1 | text:green");
      assertThat(dump(b, "t")).isEqualTo(dump(a, "t"));
    }
  }

  @Test
  void aColumnAddedWithPlainSqlIsDetectedIncludingEditsMadeBeforeDetection() {
    try (Cfost a = open("a.db"); Cfost b = open("b.db")) {
      for (Cfost db : new Cfost[] {a, b}) {
        sql(db, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)", "INSERT INTO t VALUES ('r', 0)");
        db.replicate("t");
      }
      pull(b, a, 10);
      for (Cfost db : new Cfost[] {a, b}) {
        sql(db, "ALTER TABLE t ADD COLUMN note TEXT");
      }
      // Written after the ALTER, before the engine knew of the column: must still replicate.
      sql(a, "UPDATE t SET note = 'hello' WHERE id = 'r'");
      pull(b, a, 10);
      assertThat(dump(b, "t")).containsExactly("text:r | integer:0 | text:hello");
      sql(b, "UPDATE t SET note = 'edited on b' WHERE id = 'r'");
      pull(a, b, 10);
      assertThat(dump(a, "t")).containsExactly("text:r | integer:0 | text:edited on b");
    }
  }

  @Test
  void changingAPrimaryKeyIsADeleteAndAnInsert() {
    try (Cfost a = open("a.db"); Cfost b = open("b.db")) {
      for (Cfost db : new Cfost[] {a, b}) {
        sql(db, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v, w)");
        db.replicate("t");
      }
      sql(a, "INSERT INTO t VALUES ('x', 1, 2)");
      pull(b, a, 10);
      sql(a, "UPDATE t SET id = 'y' WHERE id = 'x'");
      pull(b, a, 10);
      assertThat(dump(b, "t")).containsExactly("text:y | integer:1 | integer:2");
    }
  }

  @Test
  void theEngineRecordsItsSchemaVersionAndReportsTheApplications() throws Exception {
    try (Cfost db = open("v.db")) {
      sql(db, "PRAGMA user_version = 7");
      assertThat(db.schemaVersion()).isEqualTo(7);
      try (var c = db.connect(); var s = c.createStatement();
          var rs = s.executeQuery("SELECT value FROM cfost_meta WHERE key = 'schema'")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt(1)).isEqualTo(7);
      }
      sql(db, "UPDATE cfost_meta SET value = 99 WHERE key = 'schema'");
    }
    assertThatThrownBy(() -> open("v.db")).hasMessageContaining("written by a newer CFOST (engine schema 99");
  }

  /**
   * Engine schema 2 had no cfost_merging table and triggers that logged a merge's own writes (the merge
   * then deleted those log rows). Opening such a database migrates it and replaces the triggers.
   */
  @Test
  void aDatabaseOfEngineSchema2GetsTheMergeGuardAndItsTriggersReplaced() throws Exception {
    try (Cfost source = open("s.db"); Cfost db = open("old.db")) {
      for (Cfost x : new Cfost[] {source, db}) {
        sql(x, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
        x.replicate("t");
      }
      sql(source, "INSERT INTO t VALUES ('a', 1)", "INSERT INTO t VALUES ('b', 2)");
    }
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("old.db"));
        var s = c.createStatement()) {
      java.util.List<String> triggers = new java.util.ArrayList<>();
      try (var rs = s.executeQuery("SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 't'")) {
        while (rs.next()) {
          triggers.add(rs.getString(1));
        }
      }
      assertThat(triggers).hasSize(3).allMatch(t -> t.contains(" WHEN NOT EXISTS (SELECT 1 FROM cfost_merging)"));
      s.execute("DROP TRIGGER cfost__ins_t");
      s.execute("DROP TRIGGER cfost__upd_t");
      s.execute("DROP TRIGGER cfost__del_t");
      for (String t : triggers) {
        s.execute(t.replace(" WHEN NOT EXISTS (SELECT 1 FROM cfost_merging)", ""));
      }
      s.execute("DROP TABLE cfost_merging");
      for (String engine4 : new String[] {"DROP TABLE cfost_schema", "DROP TABLE cfost__log_cfost_schema",
          "DROP TABLE cfost__clock_cfost_schema", "DELETE FROM cfost_tables WHERE name = 'cfost_schema'",
          "DELETE FROM cfost_columns WHERE tbl = 'cfost_schema'"}) {
        s.execute(engine4);
      }
      s.execute("ALTER TABLE cfost_columns DROP COLUMN dropped");
      s.execute("DROP INDEX cfost_deferred_peer");
      s.execute("DROP INDEX cfost_deferred_at");
      s.execute("ALTER TABLE cfost_deferred DROP COLUMN at");
      s.execute("ALTER TABLE cfost_deferred DROP COLUMN peer");
      s.execute("ALTER TABLE cfost_deferred DROP COLUMN failed");
      s.execute("UPDATE cfost_meta SET value = 2 WHERE key = 'schema'");
    }
    try (Cfost source = open("s.db"); Cfost db = open("old.db")) {
      MergeResult r = db.merge(TestDb.allChanges(source, 100));
      assertThat(r.applied()).isEqualTo(2);
      try (var c = db.connect(); var s = c.createStatement()) {
        try (var rs = s.executeQuery("SELECT value FROM cfost_meta WHERE key = 'schema'")) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getInt(1)).isEqualTo(7);
        }
        try (var rs = s.executeQuery("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 't'"
            + " AND sql LIKE '%WHEN NOT EXISTS (SELECT 1 FROM cfost_merging)%'")) {
          assertThat(rs.getInt(1)).as("triggers with the merge guard").isEqualTo(3);
        }
        try (var rs = s.executeQuery("SELECT count(*) FROM cfost__log_t")) {
          assertThat(rs.getInt(1)).as("log rows left by the merge").isZero();
        }
      }
      db.capture();
      assertThat(TestDb.allChanges(db, 100)).as("the merged rows are not local edits").isNotEmpty()
          .allMatch(ch -> java.util.Arrays.equals(ch.siteId(), source.siteId()));
      sql(db, "UPDATE t SET v = 5 WHERE id = 'a'");
      db.capture();
      assertThat(TestDb.allChanges(db, 100)).as("a local edit is still captured")
          .anyMatch(ch -> java.util.Arrays.equals(ch.siteId(), db.siteId()) && "v".equals(ch.cid()));
    }
    long schema = schemaVersion("old.db");
    try (Cfost db = open("old.db")) {
      db.capture();
    }
    assertThat(schemaVersion("old.db")).as("current triggers are left alone when the table loads").isEqualTo(schema);
  }

  private long schemaVersion(String name) throws java.sql.SQLException {
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(name));
        var s = c.createStatement(); var rs = s.executeQuery("PRAGMA schema_version")) {
      return rs.getLong(1);
    }
  }

  @Test
  void theDatabaseIdDefaultsToDefaultAndPersists() {
    try (Cfost db = open("id.db")) {
      assertThat(db.databaseId()).isEqualTo("default");
      db.setDatabaseId("team-notes");
      assertThatThrownBy(() -> db.setDatabaseId("bad id;")).hasMessageContaining("invalid database id 'bad id;'");
    }
    try (Cfost db = open("id.db")) {
      assertThat(db.databaseId()).isEqualTo("team-notes");
    }
  }
}
