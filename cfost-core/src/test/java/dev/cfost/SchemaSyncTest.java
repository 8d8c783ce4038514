package dev.cfost;

import static dev.cfost.TestDb.dump;
import static dev.cfost.TestDb.pull;
import static dev.cfost.TestDb.sql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Table definitions that travel with the data ({@link CfostOptions.Builder#schemaSync(boolean)}). */
class SchemaSyncTest {
  @TempDir Path dir;
  final AtomicLong now = new AtomicLong(1_800_000_000_000L);
  static final byte[] SITE = new byte[16];

  private Cfost open(String name, boolean schemaSync) {
    return Cfost.open(CfostOptions.builder(dir.resolve(name)).captureInterval(Duration.ZERO).wallClock(now::get)
        .schemaSync(schemaSync).build());
  }

  private Cfost open(String name) {
    return open(name, true);
  }

  /** The table's columns as {@code PRAGMA table_xinfo} and the CREATE statement's tail describe them. */
  private static List<String> columns(Cfost db, String table) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = db.connect(); var ps = c.prepareStatement(
        "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_xinfo(?) ORDER BY cid")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1) + " " + rs.getString(2) + " nn=" + rs.getInt(3) + " d=" + rs.getString(4) + " pk="
              + rs.getInt(5));
        }
      }
      try (var ps2 = c.prepareStatement("SELECT wr FROM pragma_table_list WHERE name = ?")) {
        ps2.setString(1, table);
        try (ResultSet rs = ps2.executeQuery()) {
          out.add("without rowid=" + (rs.next() ? rs.getInt(1) : -1));
        }
      }
    }
    return out;
  }

  private static Change definition(String table, String column, String json) {
    return new Change("cfost_schema", dev.cfost.internal.PackedKey.pack(List.of(table, column)), "def", json,
        1_800_000_000_000L << 16, 1, SITE, 1, 0);
  }

  @Test
  void aFreshReplicaCreatesTheTablesItReceivesAndEndsWithTheSameRows() throws Exception {
    try (Cfost a = open("a.db"); Cfost b = open("b.db"); Cfost c = open("c.db")) {
      sql(a, "CREATE TABLE notes(id TEXT PRIMARY KEY NOT NULL, title TEXT DEFAULT 'untitled', n INTEGER DEFAULT -1,"
              + " score REAL DEFAULT 2.5, tag TEXT COLLATE NOCASE, \"we\"\"ird\" BLOB)",
          "CREATE TABLE pairs(k1 INTEGER NOT NULL, k2 TEXT NOT NULL, v, PRIMARY KEY(k1, k2)) WITHOUT ROWID",
          "INSERT INTO notes(id, title, n) VALUES ('n1', 'hello', 1), ('n2', 'it''s', 2)",
          "INSERT INTO pairs VALUES (1, 'x', 'a')");
      a.replicate("notes");
      a.replicate("pairs");
      sql(a, "INSERT INTO notes(id, tag, \"we\"\"ird\") VALUES ('n3', 'Red', x'00ff')");

      pull(b, a, 3);
      assertThat(b.replicatedTables()).containsExactlyInAnyOrder("notes", "pairs");
      for (String t : List.of("notes", "pairs")) {
        assertThat(columns(b, t)).as(t).isEqualTo(columns(a, t));
        assertThat(dump(b, t)).as(t).isEqualTo(dump(a, t)).isNotEmpty();
      }
      // The collation came too: the NOCASE column compares as on a.
      try (Connection conn = b.connect(); Statement s = conn.createStatement();
          ResultSet rs = s.executeQuery("SELECT id FROM notes WHERE tag = 'RED'")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("n3");
      }
      // The new table replicates both ways, and a relay (a to b to c) carries the definition on.
      sql(b, "UPDATE notes SET title = 'from b' WHERE id = 'n1'");
      b.capture();
      pull(a, b, 10);
      pull(c, b, 10);
      assertThat(dump(a, "notes")).isEqualTo(dump(b, "notes")).isEqualTo(dump(c, "notes"));
      assertThat(dump(c, "pairs")).isEqualTo(dump(a, "pairs"));
    }
  }

  @Test
  void addedColumnsTravelWhetherAddedThroughTheApiOrWithPlainSql() throws Exception {
    try (Cfost a = open("a.db"); Cfost b = open("b.db")) {
      sql(a, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)", "INSERT INTO t VALUES ('r', 1)");
      a.replicate("t");
      pull(b, a, 10);
      a.addColumn("t", "color TEXT NOT NULL DEFAULT 'red'");
      sql(a, "ALTER TABLE t ADD COLUMN size INTEGER", "UPDATE t SET color = 'blue', size = 3 WHERE id = 'r'",
          "INSERT INTO t VALUES ('s', 2, 'green', 4)");
      a.capture();
      pull(b, a, 10);
      assertThat(columns(b, "t")).isEqualTo(columns(a, "t"));
      assertThat(dump(b, "t")).containsExactly("text:r | integer:1 | text:blue | integer:3",
          "text:s | integer:2 | text:green | integer:4");
    }
  }

  @Test
  void aColumnOnlyOneSideHasIsAddedOnTheOther() throws Exception {
    try (Cfost a = open("a.db"); Cfost b = open("b.db")) {
      for (Cfost db : new Cfost[] {a, b}) {
        sql(db, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v TEXT)");
        db.replicate("t");
      }
      sql(b, "ALTER TABLE t ADD COLUMN extra TEXT DEFAULT 'x'", "INSERT INTO t VALUES ('r', 'v', 'only b')");
      b.capture();
      pull(a, b, 10);
      pull(b, a, 10);
      assertThat(columns(a, "t")).isEqualTo(columns(b, "t"));
      assertThat(dump(a, "t")).containsExactly("text:r | text:v | text:only b");
    }
  }

  @Test
  void conflictingDefinitionsAreRefusedWithTheTableAndTheDifference() {
    try (Cfost a = open("a.db"); Cfost b = open("b.db"); Cfost c = open("c.db"); Cfost d = open("d.db")) {
      sql(a, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v TEXT)");
      sql(b, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
      sql(c, "CREATE TABLE t(k TEXT PRIMARY KEY NOT NULL, v TEXT)");
      sql(d, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v INTEGER)");
      for (Cfost db : new Cfost[] {a, b, c, d}) {
        db.replicate("t");
      }
      sql(a, "INSERT INTO t VALUES ('r', 'x')");
      List<Change> fromA = TestDb.allChanges(a, 100);
      assertThatThrownBy(() -> b.merge(fromA)).isInstanceOf(InvalidChangeException.class)
          .hasMessageContaining("the definition of table 't' conflicts with the local table: key column 'id' is TEXT"
              + " on a peer and INTEGER here");
      assertThatThrownBy(() -> c.merge(fromA)).isInstanceOf(InvalidChangeException.class)
          .hasMessageContaining("a peer's primary key has column 'id' at position 1, here the primary key is [k]");
      assertThatThrownBy(() -> d.merge(fromA)).isInstanceOf(InvalidChangeException.class)
          .hasMessageContaining("column 'v' is TEXT on a peer and INTEGER here");
      assertThat(dump(b, "t")).as("nothing of a refused batch is applied").isEmpty();

      // A table the refused batch had created is rolled back with it, and is not listed meanwhile.
      try (Cfost e = open("e.db")) {
        sql(a, "CREATE TABLE later(id TEXT PRIMARY KEY NOT NULL)", "INSERT INTO later VALUES ('x')");
        a.replicate("later");
        now.addAndGet(60_000); // e's definition is the later one, so it wins the merge of cfost_schema: the
        sql(e, "CREATE TABLE later(id INTEGER PRIMARY KEY)"); // conflict must be seen in the losing change too
        e.replicate("later");
        List<Change> both = TestDb.allChanges(a, 100); // t's definition first: t is created, then 'later' conflicts
        assertThatThrownBy(() -> e.merge(both)).hasMessageContaining("the definition of table 'later' conflicts");
        assertThat(e.replicatedTables()).containsExactly("later");
        assertThat(TestDb.allChanges(e, 100)).noneMatch(ch -> ch.table().equals("t"));
      }
    }
  }

  @Test
  void aTableTheApplicationMadeButDidNotReplicateIsNotTakenOver() {
    try (Cfost a = open("a.db"); Cfost b = open("b.db")) {
      sql(a, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v TEXT)");
      a.replicate("t");
      sql(b, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v TEXT)");
      assertThatThrownBy(() -> pull(b, a, 10)).isInstanceOf(InvalidChangeException.class)
          .hasMessageContaining("table 't' exists here but is not replicated");
      sql(b, "DROP TABLE t", "CREATE TABLE other(x)", "CREATE INDEX t ON other(x)");
      assertThatThrownBy(() -> pull(b, a, 10)).isInstanceOf(InvalidChangeException.class)
          .hasMessageContaining("cannot create table 't' from a peer's definition:")
          .hasMessageContaining("already an index named t");
      assertThat(b.replicatedTables()).isEmpty();
    }
  }

  @Test
  void hostileDefinitionsAreRefusedOrSafelyQuoted() throws Exception {
    String ok = "{\"pos\":0,\"columns\":2,\"key\":1,\"type\":\"TEXT\",\"collate\":\"BINARY\",\"notnull\":true,\"without_rowid\":false}";
    try (Cfost db = open("h.db")) {
      List<Object[]> refused = List.of(
          new Object[] {definition("t", "v", "{\"pos\":1,\"key\":0,\"type\":\"TEXT\",\"collate\":\"BINARY\","
              + "\"notnull\":false,\"default\":\"x'); DROP TABLE cfost_meta; --\",\"bogus\":"), "not JSON"},
          new Object[] {definition("t", "v", "{\"pos\":1,\"key\":0,\"type\":\"TEXT) ; DROP TABLE x; --\","
              + "\"collate\":\"BINARY\",\"notnull\":false}"), "is not a type name"},
          new Object[] {definition("t", "v", "{\"pos\":1,\"key\":0,\"type\":\"TEXT UNIQUE\",\"collate\":\"BINARY\","
              + "\"notnull\":false}"), "is not a type name"},
          new Object[] {definition("t", "v", "{\"pos\":1,\"key\":0,\"type\":\"TEXT\",\"collate\":\"EVIL\","
              + "\"notnull\":false}"), "collation 'EVIL' is unknown"},
          new Object[] {definition("t", "v", "{\"pos\":1,\"key\":0,\"type\":\"TEXT\",\"collate\":\"BINARY\","
              + "\"notnull\":false,\"default\":{\"expr\":\"random()\"}}"), "the default must be NULL, a 64-bit"},
          new Object[] {definition("t", "v", "{\"pos\":1,\"key\":0,\"type\":\"TEXT\",\"collate\":\"BINARY\","
              + "\"notnull\":true}"), "NOT NULL without a non-null default"},
          new Object[] {definition("x".repeat(10_000), "id", ok), "at most 128 are accepted"},
          new Object[] {definition("cfost_meta", "id", ok), "table name 'cfost_meta' is reserved"},
          new Object[] {definition("t", "a\nb", ok), "contains a control character"},
          new Object[] {definition("t", "id", "42"), "not a JSON object"},
          new Object[] {new Change("cfost_schema", dev.cfost.internal.PackedKey.pack(List.of("t", "v")), "def", 7L,
              1, 1, SITE, 1, 0), "a definition is a JSON text, not INTEGER"});
      for (Object[] r : refused) {
        assertThatThrownBy(() -> db.merge(List.of((Change) r[0]))).as((String) r[1])
            .isInstanceOf(InvalidChangeException.class).hasMessageContaining((String) r[1]);
      }
      assertThat(db.replicatedTables()).isEmpty();

      // Quotes and SQL in names and in a text default are data: quoted, and the table works.
      String table = "x\"); DROP TABLE cfost_meta; --";
      String col = "v\" TEXT, evil";
      String def = "{\"pos\":1,\"columns\":2,\"key\":0,\"type\":\"VARCHAR(20)\",\"collate\":\"nocase\",\"notnull\":true,"
          + "\"default\":\"it's'); DROP TABLE cfost_meta; --\"}";
      db.merge(List.of(definition(table, "id", ok), definition(table, col, def)));
      assertThat(db.replicatedTables()).containsExactly(table);
      sql(db, "INSERT INTO \"" + table.replace("\"", "\"\"") + "\"(id) VALUES ('r')");
      assertThat(dump(db, table)).containsExactly("text:r | text:it's'); DROP TABLE cfost_meta; --");
      assertThat(db.dbVersion()).as("cfost_meta is still there").isPositive();
    }
  }

  @Test
  void aPeersRowsThatArriveBeforeTheirDefinitionWaitForIt() {
    try (Cfost a = open("a.db"); Cfost b = open("b.db")) {
      sql(a, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v TEXT)", "INSERT INTO t VALUES ('r', 'x')");
      a.replicate("t");
      List<Change> all = TestDb.allChanges(a, 100);
      List<Change> rows = all.stream().filter(ch -> ch.table().equals("t")).toList();
      List<Change> defs = all.stream().filter(ch -> ch.table().equals("cfost_schema")).toList();
      assertThat(defs).hasSize(2);
      assertThat(all.indexOf(defs.get(0))).as("definitions stream first").isLessThan(all.indexOf(rows.get(0)));
      assertThatThrownBy(() -> b.merge(rows)).as("a plain merge stays strict")
          .hasMessageContaining("unknown table 't'");
      ChangeBatch rowsFirst = new ChangeBatch(rows, Cursor.START, false);
      assertThat(b.mergeFromPeer(a.siteId(), List.of(rowsFirst).iterator(), false).deferred()).isEqualTo(rows.size());
      b.merge(defs);
      assertThat(dump(b, "t")).containsExactly("text:r | text:x");
    }
  }

  @Test
  void withSchemaSyncOffDefinitionsAreNotAppliedAndAPeersUnknownTablesWait() {
    try (Cfost a = open("a.db"); Cfost off = open("off.db", false)) {
      sql(a, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v TEXT)", "INSERT INTO t VALUES ('r', 'x')");
      a.replicate("t");
      List<Change> all = TestDb.allChanges(a, 100);
      assertThatThrownBy(() -> off.merge(all)).as("a plain merge stays strict").isInstanceOf(InvalidChangeException.class)
          .hasMessageContaining("unknown table 't'");
      MergeResult r = off.mergeFromPeer(a.siteId(), List.of(new ChangeBatch(all, Cursor.START, true)).iterator(), false);
      assertThat(r.deferred()).isEqualTo(all.size() - 2);
      assertThat(off.replicatedTables()).as("the definition is kept, not applied").isEmpty();
      sql(off, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v TEXT)");
      off.replicate("t");
      assertThat(dump(off, "t")).containsExactly("text:r | text:x");
    }
  }

  @Test
  void theDefaultOptionsWriteNoDefinitionsSoTheStreamStaysCrSqlites() {
    try (Cfost db = Cfost.open(CfostOptions.builder(dir.resolve("d.db")).captureInterval(Duration.ZERO).build())) {
      sql(db, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v TEXT)", "INSERT INTO t VALUES ('r', 'x')");
      db.replicate("t");
      assertThat(TestDb.allChanges(db, 100)).extracting(Change::table).containsOnly("t");
      assertThat(db.replicatedTables()).containsExactly("t");
    }
  }

  @Test
  void aTableListReadsDefinitionsOnlyWhenItNamesThemAndOnlyOfItsTables() {
    try (Cfost a = open("a.db")) {
      sql(a, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v TEXT)", "CREATE TABLE u(id TEXT PRIMARY KEY NOT NULL)",
          "INSERT INTO t VALUES ('r', 'x')", "INSERT INTO u VALUES ('s')");
      a.replicate("t");
      a.replicate("u");
      ChangeFilter onlyT = ChangeFilter.ALL.onlyTables(List.of("t"));
      assertThat(a.changes(Cursor.START, 100, onlyT).changes()).extracting(Change::table).containsOnly("t");
      ChangeFilter withDefs = ChangeFilter.ALL.onlyTables(List.of("t", "cfost_schema"));
      assertThat(a.changes(Cursor.START, 100, withDefs).changes()).filteredOn(ch -> ch.table().equals("cfost_schema"))
          .hasSize(2).allMatch(ch -> new String(ch.pk(), java.nio.charset.StandardCharsets.ISO_8859_1).contains("t"));
    }
  }

  @Test
  void aTableDroppedHereIsNotCreatedAgainByAPeersDefinition() throws Exception {
    try (Cfost a = open("a.db"); Cfost b = open("b.db")) {
      sql(a, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)", "INSERT INTO t VALUES ('k', 1)");
      a.replicate("t");
      pull(b, a, 100);
      sql(b, "DROP TABLE t");
      b.capture();
      now.addAndGet(1_000);
      a.addColumn("t", "extra TEXT"); // a new definition of t reaches b
      sql(a, "UPDATE t SET extra = 'e'");
      pull(b, a, 100);
      try (Connection c = b.connect(); Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT count(*) FROM sqlite_schema WHERE name = 't'")) {
        assertThat(rs.getInt(1)).as("t on b").isZero();
      }
      assertThat(dump(a, "t")).containsExactly("text:k | integer:1 | text:e");
    }
  }

  @Test
  void aColumnRenamedHereIsNotAddedBackByItsOldDefinition() throws Exception {
    try (Cfost a = open("a.db"); Cfost b = open("b.db")) {
      sql(a, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)", "INSERT INTO t VALUES ('k', 1)");
      a.replicate("t");
      pull(b, a, 100);
      sql(b, "ALTER TABLE t RENAME COLUMN v TO w");
      b.capture();
      now.addAndGet(1_000);
      a.addColumn("t", "extra TEXT"); // a's definitions of t, v among them, touch b's t again
      pull(b, a, 100);
      assertThat(columns(b, "t")).extracting(c -> c.split(" ")[0]).containsExactly("id", "w", "extra", "without");
    }
  }
}
