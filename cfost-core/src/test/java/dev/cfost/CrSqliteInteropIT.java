package dev.cfost;

import static dev.cfost.TestDb.allChanges;
import static dev.cfost.TestDb.open;
import static dev.cfost.TestDb.pull;
import static dev.cfost.TestDb.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.internal.PackedKey;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * CFOST and a real cr-sqlite (crsqlite-wasm 0.16.0 in Node, see {@link CrSqliteDriver}) exchange
 * changes both ways and end with identical tables: same rows, same values, same SQLite storage classes.
 *
 * <p>Each scenario compares {@code SELECT col, typeof(col), ...} run on both sides, and also checks the
 * rows it expects, so that two sides that are wrong in the same way fail too. CFOST's local col_versions
 * are hybrid-clock values (about 1.2e17) and cr-sqlite's count 1, 2, ..., so a CFOST edit beats a
 * concurrent cr-sqlite edit of the same cell in the same row life: the documented rule (see {@link Cfost}).
 * CFOST's wall clock is moved by the tests only, so which edit is later is decided here.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CrSqliteInteropIT {
  private static final HexFormat HEX = HexFormat.of();
  private static final String TASK_LIST_DDL =
      "CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT, done INTEGER DEFAULT 0, note TEXT)";

  @TempDir Path dir;
  final AtomicLong now = new AtomicLong(System.currentTimeMillis());
  CrSqliteDriver cr;
  Cfost db;

  @BeforeAll
  static void installCrSqlite() {
    CrSqliteDriver.prepare();
  }

  @BeforeEach
  void start() {
    cr = CrSqliteDriver.start();
    db = open(dir.resolve("cfost.db"), now::get);
  }

  @AfterEach
  void stop() {
    try {
      db.close();
    } finally {
      cr.close();
    }
  }

  @Test
  void everySqliteTypeArrivesWithItsValueAndStorageClassBothWays() {
    createOnBoth("CREATE TABLE vals(id TEXT PRIMARY KEY NOT NULL, i INTEGER, r REAL, t TEXT, b BLOB, a)", "vals");
    String insert = "INSERT INTO vals VALUES (?, ?, ?, ?, ?, ?)";
    byte[] bytes = new byte[300];
    for (int k = 0; k < bytes.length; k++) {
      bytes[k] = (byte) k;
    }
    cr.exec(insert, "cr-1", Long.MAX_VALUE, 1.0, "plain", hex("00ff"), Long.MIN_VALUE);
    cr.exec(insert, "cr-2", 0L, -0.0, "é 中文 🙂", new byte[0], -0.0);
    cr.exec(insert, "cr-3", null, null, null, null, null);
    cr.exec(insert, "cr-4", "not a number", Double.POSITIVE_INFINITY, "nul\u0000inside", "text in a blob column", 1.0);
    cr.exec(insert, "cr-5", 3.0, 7L, 42L, 2.5, "42"); // column affinities convert i, r and t
    cfExec(db, insert, "cf-1", -1L, 0.1 + 0.2, "", new byte[0], 1.0);
    cfExec(db, insert, "cf-2", (1L << 53) + 1, Double.NEGATIVE_INFINITY, "Ünïcödé ☃ 𝄞", bytes, -0.0);
    cfExec(db, insert, "cf-3", null, null, null, null, null);
    cfExec(db, insert, "cf-4", 4.9E-324, 1.0E308, "x'00'", hex("00"), Long.MIN_VALUE);
    cfExec(db, insert, "cf-5", 3.0, 7L, 42L, 2.5, "42");
    exchange();
    List<String> expected = new ArrayList<>(List.of(
        row("cf-1", -1L, 0.30000000000000004, "", new byte[0], 1.0),
        row("cf-2", (1L << 53) + 1, Double.NEGATIVE_INFINITY, "Ünïcödé ☃ 𝄞", bytes, -0.0),
        row("cf-3", null, null, null, null, null),
        row("cf-4", 4.9E-324, 1.0E308, "x'00'", hex("00"), Long.MIN_VALUE),
        row("cf-5", 3L, 7.0, "42", 2.5, "42"),
        row("cr-1", Long.MAX_VALUE, 1.0, "plain", hex("00ff"), Long.MIN_VALUE),
        row("cr-2", 0L, 0.0, "é 中文 🙂", new byte[0], -0.0), // a REAL column stores -0.0 as 0
        row("cr-3", null, null, null, null, null),
        row("cr-4", "not a number", Double.POSITIVE_INFINITY, "nul\u0000inside", "text in a blob column", 1.0),
        row("cr-5", 3L, 7.0, "42", 2.5, "42")));
    assertThat(assertSameRows(db, "vals")).containsExactlyElementsOf(expected);

    // updates that change a cell's storage class, made on the other side of each row
    cr.exec("UPDATE vals SET a = ?, i = ? WHERE id = 'cf-3'", new byte[0], 2.0);
    cfExec(db, "UPDATE vals SET t = ?, b = ?, a = NULL WHERE id = 'cr-1'", 5L, "now text");
    exchange();
    expected.set(2, row("cf-3", 2L, null, null, null, new byte[0]));
    expected.set(5, row("cr-1", Long.MAX_VALUE, 1.0, "5", "now text", null));
    assertThat(assertSameRows(db, "vals")).containsExactlyElementsOf(expected);
  }

  /**
   * A replica with schema sync on streams its table definitions (table cfost_schema), which cr-sqlite does
   * not know; read with a list of tables, its stream is cr-sqlite's again (docs/PROTOCOL.md).
   */
  @Test
  void aSchemaSyncReplicaReadWithItsTablesListedExchangesWithCrSqlite() {
    try (Cfost synced = Cfost.open(CfostOptions.builder(dir.resolve("synced.db")).captureInterval(java.time.Duration.ZERO)
        .wallClock(now::get).schemaSync(true).build())) {
      cr.exec(TASK_LIST_DDL);
      cr.exec("SELECT crsql_as_crr(?)", "todo");
      sql(synced, TASK_LIST_DDL);
      synced.replicate("todo");
      cr.exec("INSERT INTO todo VALUES ('t1', 'from cr-sqlite', 0, NULL)");
      sql(synced, "INSERT INTO todo VALUES ('t2', 'from cfost', 1, 'n')");
      assertThat(allChanges(synced, 100)).anyMatch(ch -> ch.table().equals("cfost_schema"));

      ChangeFilter tables = ChangeFilter.ALL.onlyTables(List.of("todo"));
      List<Change> fromCfost = new ArrayList<>();
      Cursor cursor = Cursor.START;
      for (ChangeBatch b = synced.changes(cursor, 5, tables); ; b = synced.changes(cursor, 5, tables)) {
        fromCfost.addAll(b.changes());
        cursor = b.next();
        if (b.caughtUp()) {
          break;
        }
      }
      assertThat(fromCfost).isNotEmpty().allMatch(ch -> ch.table().equals("todo"));
      cr.merge(fromCfost);
      synced.merge(cr.changes(0));
      assertThat(assertSameRows(synced, "todo"))
          .containsExactly(row("t1", "from cr-sqlite", 0L, null), row("t2", "from cfost", 1L, "n"));
    }
  }

  @Test
  void concurrentEditsOfDifferentColumnsOfOneRowBothSurvive() {
    createOnBoth(TASK_LIST_DDL, "todo");
    cr.exec("INSERT INTO todo VALUES ('t1', 'milk', 0, NULL)");
    sql(db, "INSERT INTO todo VALUES ('t2', 'eggs', 0, NULL)");
    exchange();
    now.addAndGet(5);
    cr.exec("UPDATE todo SET title = 'oat milk' WHERE id = 't1'; UPDATE todo SET done = 1 WHERE id = 't2'");
    sql(db, "UPDATE todo SET done = 1 WHERE id = 't1'", "UPDATE todo SET note = 'free range' WHERE id = 't2'");
    exchange();
    assertThat(assertSameRows(db, "todo"))
        .containsExactly(row("t1", "oat milk", 1L, null), row("t2", "eggs", 1L, "free range"));
  }

  @Test
  void concurrentEditsOfOneCellConvergeOnCfostsEditWhoseHybridClockIsHigher() {
    createOnBoth(TASK_LIST_DDL, "todo");
    cr.exec("INSERT INTO todo VALUES ('t1', 'milk', 0, NULL)");
    sql(db, "INSERT INTO todo VALUES ('t2', 'eggs', 0, NULL)");
    exchange();
    now.addAndGet(5);
    cr.exec("UPDATE todo SET title = 'cr: oat milk' WHERE id = 't1'; UPDATE todo SET title = 'cr: brown' WHERE id = 't2'");
    sql(db, "UPDATE todo SET title = 'cfost: soy milk' WHERE id = 't1'",
        "UPDATE todo SET title = 'cfost: white' WHERE id = 't2'");
    db.capture();
    for (String id : List.of("t1", "t2")) {
      long crVersion = cell(cr.changes(0), "todo", List.of(id), "title").colVersion();
      long cfVersion = cell(allChanges(db, 100), "todo", List.of(id), "title").colVersion();
      assertThat(cfVersion).as("CFOST's col_version of %s.title vs cr-sqlite's", id).isGreaterThan(crVersion);
    }
    exchange();
    assertThat(assertSameRows(db, "todo"))
        .containsExactly(row("t1", "cfost: soy milk", 0L, null), row("t2", "cfost: white", 0L, null));
  }

  @Test
  void equalColVersionsAreResolvedByTheSameValueOrderOnBothSidesAndAHigherCrSqliteVersionWins() {
    createOnBoth("CREATE TABLE cells(id TEXT PRIMARY KEY NOT NULL, x, y, z, v, w)", "cells");
    // one capture: both rows get the same clock H; the clock then stays in the same millisecond
    sql(db, "INSERT INTO cells VALUES ('tie', 10, 'm', 5, 1, 1.5), ('cr-ahead', 10, 'm', 5, 1, 1.5)");
    db.capture();
    cfostToCr(db);
    // cr-sqlite's edits get H + 1 (col_version + 1); its second edit of cr-ahead.x gets H + 2
    cr.exec("UPDATE cells SET x = 20, y = 'a', z = 'text', v = 2.5, w = x'00' WHERE id = 'tie'");
    cr.exec("UPDATE cells SET x = 30 WHERE id = 'cr-ahead'; UPDATE cells SET x = 40 WHERE id = 'cr-ahead'");
    // CFOST's edits, captured in the same millisecond and before any merge, get H + 1 too
    sql(db, "UPDATE cells SET x = 11, y = 'z', z = 1, v = 2, w = NULL WHERE id = 'tie'",
        "UPDATE cells SET x = 99 WHERE id = 'cr-ahead'");
    db.capture();
    List<Change> crChanges = cr.changes(0);
    List<Change> cfChanges = allChanges(db, 100);
    for (String col : List.of("x", "y", "z", "v", "w")) {
      assertThat(cell(cfChanges, "cells", List.of("tie"), col).colVersion())
          .as("precondition: tie.%s has equal col_versions on both sides", col)
          .isEqualTo(cell(crChanges, "cells", List.of("tie"), col).colVersion());
    }
    assertThat(cell(crChanges, "cells", List.of("cr-ahead"), "x").colVersion())
        .as("precondition: cr-sqlite's col_version of cr-ahead.x is higher")
        .isGreaterThan(cell(cfChanges, "cells", List.of("cr-ahead"), "x").colVersion());
    exchange();
    // ties: the greater value wins; INTEGER > REAL > TEXT > BLOB > NULL, then by value
    assertThat(assertSameRows(db, "cells")).containsExactly(
        row("cr-ahead", 40L, "m", 5L, 1L, 1.5),
        row("tie", 20L, "z", 1L, 2L, hex("00")));
  }

  @Test
  void aDeleteBeatsAConcurrentUpdateOnEitherSide() {
    createOnBoth(TASK_LIST_DDL, "todo");
    cr.exec("INSERT INTO todo VALUES ('x', 'from cr', 0, NULL)");
    sql(db, "INSERT INTO todo VALUES ('y', 'from cfost', 0, NULL), ('z', 'untouched', 0, NULL)");
    exchange();
    now.addAndGet(10); // CFOST's updates are the later edits, and still lose to the deletes
    cr.exec("DELETE FROM todo WHERE id = 'x'; UPDATE todo SET title = 'cr edit' WHERE id = 'y'");
    sql(db, "UPDATE todo SET title = 'later cfost edit', done = 1 WHERE id = 'x'", "DELETE FROM todo WHERE id = 'y'");
    exchange();
    assertThat(assertSameRows(db, "todo")).containsExactly(row("z", "untouched", 0L, null));
  }

  @Test
  void aDeletedRowIsResurrectedByAReinsertOnEitherSide() {
    createOnBoth(TASK_LIST_DDL, "todo");
    cr.exec("INSERT INTO todo VALUES ('r', 'v1', 0, NULL)");
    exchange();
    cr.exec("DELETE FROM todo WHERE id = 'r'");
    exchange();
    assertThat(assertSameRows(db, "todo")).isEmpty();

    sql(db, "INSERT INTO todo VALUES ('r', 'v2 re-inserted by cfost', 1, 'back')");
    exchange();
    assertThat(assertSameRows(db, "todo")).containsExactly(row("r", "v2 re-inserted by cfost", 1L, "back"));

    sql(db, "DELETE FROM todo WHERE id = 'r'");
    exchange();
    assertThat(assertSameRows(db, "todo")).isEmpty();
    cr.exec("INSERT INTO todo VALUES ('r', 'v3 re-inserted by cr', 0, NULL)");
    exchange();
    assertThat(assertSameRows(db, "todo")).containsExactly(row("r", "v3 re-inserted by cr", 0L, null));

    cr.exec("DELETE FROM todo WHERE id = 'r'; INSERT INTO todo VALUES ('r', 'v4 same side, cr', 1, NULL)");
    exchange();
    assertThat(assertSameRows(db, "todo")).containsExactly(row("r", "v4 same side, cr", 1L, null));

    sql(db, "DELETE FROM todo WHERE id = 'r'", "INSERT INTO todo VALUES ('r', 'v5 same side, cfost', 0, 'n')");
    exchange();
    assertThat(assertSameRows(db, "todo")).containsExactly(row("r", "v5 same side, cfost", 0L, "n"));

    // deleted, then re-inserted on both sides at once: the same life (cl), so CFOST's later clocks win
    cr.exec("DELETE FROM todo WHERE id = 'r'");
    exchange();
    now.addAndGet(5);
    cr.exec("INSERT INTO todo VALUES ('r', 'cr again', 1, 'cr')");
    sql(db, "INSERT INTO todo VALUES ('r', 'cfost again', 0, NULL)");
    exchange();
    assertThat(assertSameRows(db, "todo")).containsExactly(row("r", "cfost again", 0L, null));
    // lives: 1 insert, 2 delete, 3, 4, 5, 6 + 7 (cr), 9 (cfost folds delete + insert), 10, 11
    assertThat(cell(cr.changes(0), "todo", List.of("r"), "title").cl()).isEqualTo(11);
    assertThat(cell(allChanges(db, 100), "todo", List.of("r"), "title").cl()).isEqualTo(11);
  }

  @Test
  void compositeAndKeyOnlyPrimaryKeysConvergeAndPackLikeCrSqlite() {
    createOnBoth("CREATE TABLE cp(k1 INTEGER NOT NULL, k2 TEXT NOT NULL, v TEXT, n REAL, PRIMARY KEY (k1, k2))", "cp");
    createOnBoth("CREATE TABLE tags(item TEXT NOT NULL, tag BLOB NOT NULL, PRIMARY KEY (item, tag))", "tags");
    String insert = "INSERT INTO cp VALUES (?, ?, ?, ?)";
    cr.exec(insert, 0L, "", "zero", 0.5);
    cr.exec(insert, -1L, "a", "minus one", null);
    cr.exec(insert, 255L, "ü", "one byte", 1.0);
    cr.exec(insert, Long.MAX_VALUE, "z", "max", null);
    cfExec(db, insert, 256L, "", "two bytes", 2.0);
    cfExec(db, insert, Long.MIN_VALUE, "a", "min", null);
    cfExec(db, insert, 65536L, "ü", "three bytes", null);
    cfExec(db, insert, -1L, "b", "minus one, b", -1.5);
    cr.exec("INSERT INTO tags VALUES ('milk', x'01'), ('milk', x''), ('eggs', x'02')");
    sql(db, "INSERT INTO tags VALUES ('eggs', x'01'), ('milk', x'ff'), ('bread', x'')");
    exchange();
    cr.exec("UPDATE cp SET v = 'edited by cr' WHERE k1 = 256 AND k2 = ''; DELETE FROM cp WHERE k1 = 65536;"
        + " DELETE FROM tags WHERE item = 'eggs'");
    sql(db, "UPDATE cp SET n = 2.5 WHERE k1 = 0", "DELETE FROM cp WHERE k1 = -1 AND k2 = 'a'",
        "DELETE FROM tags WHERE tag = x''", "INSERT INTO tags VALUES ('eggs', x'03')");
    exchange();
    assertThat(assertSameRows(db, "cp")).containsExactly(
        row(Long.MIN_VALUE, "a", "min", null),
        row(-1L, "b", "minus one, b", -1.5),
        row(0L, "", "zero", 2.5),
        row(255L, "ü", "one byte", 1.0),
        row(256L, "", "edited by cr", 2.0),
        row(Long.MAX_VALUE, "z", "max", null));
    assertThat(assertSameRows(db, "tags")).containsExactly(
        row("eggs", hex("03")), row("milk", hex("01")), row("milk", hex("ff")));
    assertThat(packedKeys(allChanges(db, 100)))
        .as("the packed pk of every row, deleted ones included, as CFOST and cr-sqlite write them")
        .isEqualTo(packedKeys(cr.changes(0)));
  }

  @Test
  void changesRelayedFromCrSqliteThroughOneCfostReplicaToAnotherArriveIntact() {
    try (Cfost b = open(dir.resolve("b.db"), now::get)) {
      createOnBoth(TASK_LIST_DDL, "todo");
      sql(b, TASK_LIST_DDL);
      b.replicate("todo");
      byte[] crSite = cr.siteId();
      cr.exec("INSERT INTO todo VALUES ('a', 'apples', 0, NULL), ('b', 'bread', 1, 'rye'), ('c', 'cheese', 0, '')");
      long seen = crToCfost(db, 0);
      pull(b, db, 2);
      assertThat(assertSameRows(b, "todo")).containsExactly(
          row("a", "apples", 0L, null), row("b", "bread", 1L, "rye"), row("c", "cheese", 0L, ""));
      assertThat(allChanges(b, 100)).as("relayed changes keep cr-sqlite's site id")
          .isNotEmpty().allMatch(c -> Arrays.equals(c.siteId(), crSite));

      cr.exec("UPDATE todo SET done = 1 WHERE id = 'a'; DELETE FROM todo WHERE id = 'b';"
          + " INSERT INTO todo VALUES ('d', 'dates', 0, NULL)");
      seen = crToCfost(db, seen);
      pull(b, db, 2);
      assertThat(assertSameRows(b, "todo")).containsExactly(
          row("a", "apples", 1L, null), row("c", "cheese", 0L, ""), row("d", "dates", 0L, null));

      // and back: B -> A -> cr-sqlite, A's cursor on B and cr-sqlite's db_version as the cursors
      now.addAndGet(5);
      sql(b, "UPDATE todo SET note = 'from b' WHERE id = 'c'", "INSERT INTO todo VALUES ('e', 'eggs', 0, NULL)",
          "DELETE FROM todo WHERE id = 'd'");
      pull(db, b, 2);
      cfostToCr(db);
      List<String> expected = List.of(
          row("a", "apples", 1L, null), row("c", "cheese", 0L, "from b"), row("e", "eggs", 0L, null));
      assertThat(assertSameRows(b, "todo")).containsExactlyElementsOf(expected);
      assertThat(assertSameRows(db, "todo")).containsExactlyElementsOf(expected);
      assertThat(crToCfost(db, seen)).as("cr-sqlite recorded the relayed changes").isGreaterThan(seen);
    }
  }

  @Test
  void incrementalExchangeWithCursorsConvergesEveryRoundAndResentBatchesAreHarmless() {
    long seed = Long.getLong("cfost.interop.seed", 20261122L);
    Random rnd = new Random(seed);
    createOnBoth("CREATE TABLE items(id TEXT PRIMARY KEY NOT NULL, name TEXT, qty INTEGER, price REAL, data BLOB)",
        "items");
    byte[] crSite = cr.siteId();
    long crSeen = db.peerCursor(crSite).complete(); // cr-sqlite side: db_version > last seen
    Cursor toCr = Cursor.START; // CFOST side: the ChangeBatch cursor
    List<Change> previousFromCr = List.of();
    List<List<Change>> sentToCr = new ArrayList<>();
    int[] ops = new int[6]; // inserts, updates, deletes on cr-sqlite, then on CFOST
    for (int round = 1; round <= 8; round++) {
      String at = "seed " + seed + ", round " + round;
      randomWrites(rnd, true, ops);
      randomWrites(rnd, false, ops);
      now.addAndGet(1 + rnd.nextInt(3));

      // both sides' new changes are read before either merges (see exchange())
      List<Change> fromCr = cr.changes(crSeen);
      List<List<Change>> fromCfost = new ArrayList<>();
      ChangeBatch batch;
      do {
        batch = db.changes(toCr, 3);
        if (!batch.changes().isEmpty()) {
          fromCfost.add(batch.changes());
        }
        toCr = batch.next();
      } while (!batch.caughtUp());
      if (!fromCr.isEmpty()) {
        db.merge(fromCr);
      }
      crSeen = Math.max(crSeen, fromCr.stream().mapToLong(Change::dbVersion).max().orElse(0));
      db.savePeerCursor(crSite, Cursor.since(crSeen));
      for (List<Change> b : fromCfost) {
        cr.merge(b);
      }
      sentToCr.addAll(fromCfost);
      List<String> rows = assertSameRows(db, "items", at);
      Cursor end = Cursor.since(db.dbVersion());

      // duplicates: this round's and the previous round's changes again, every batch ever sent again
      List<Change> again = new ArrayList<>(previousFromCr);
      again.addAll(fromCr);
      if (!again.isEmpty()) {
        assertThat(db.merge(again).applied()).as("%s: re-sent cr-sqlite changes applied", at).isZero();
      }
      for (List<Change> sent : sentToCr) {
        cr.merge(sent);
      }
      assertThat(db.changes(end, 100).changes()).as("%s: new CFOST changes made by duplicates", at).isEmpty();
      assertThat(assertSameRows(db, "items", at + ", after duplicates")).containsExactlyElementsOf(rows);
      previousFromCr = fromCr;
    }
    assertThat(Arrays.stream(ops).min().getAsInt())
        .as("fewest of inserts, updates, deletes per side %s (seed %s)", Arrays.toString(ops), seed)
        .isGreaterThanOrEqualTo(4);
    assertThat(db.peerCursor(crSite)).isEqualTo(Cursor.since(crSeen));
    // and everything again from the start, both ways
    List<String> rows = assertSameRows(db, "items");
    assertThat(rows).isNotEmpty();
    assertThat(db.merge(cr.changes(0)).applied()).as("seed %s: full re-send applied", seed).isZero();
    cfostToCr(db);
    assertThat(assertSameRows(db, "items")).containsExactlyElementsOf(rows);
  }

  // ---- writes ----

  private void createOnBoth(String ddl, String table) {
    cr.exec(ddl);
    cr.exec("SELECT crsql_as_crr(?)", table);
    sql(db, ddl);
    db.replicate(table);
  }

  /** Six random inserts, updates or deletes on one side; counts them in {@code ops}. */
  private void randomWrites(Random rnd, boolean onCr, int[] ops) {
    int side = onCr ? 0 : 3;
    Set<String> present = new HashSet<>();
    List<List<Object>> ids = onCr ? cr.exec("SELECT id FROM items") : cfostRows(db, "SELECT id FROM items");
    ids.forEach(r -> present.add((String) r.get(0)));
    String[] names = {"apple", "Äpfel", "りんご", "", "🍎"};
    for (int k = 0; k < 6; k++) {
      String id = "i" + rnd.nextInt(12);
      Object name = rnd.nextInt(5) == 0 ? null : names[rnd.nextInt(names.length)] + rnd.nextInt(100);
      Object qty = rnd.nextInt(5) == 0 ? null : rnd.nextBoolean() ? (long) rnd.nextInt(10) : rnd.nextLong();
      Object price = rnd.nextInt(5) == 0 ? null : rnd.nextDouble() * 100;
      byte[] data = new byte[rnd.nextInt(5)];
      rnd.nextBytes(data);
      if (!present.contains(id)) {
        write(onCr, "INSERT INTO items VALUES (?, ?, ?, ?, ?)", id, name, qty, price, data);
        present.add(id);
        ops[side]++;
      } else if (rnd.nextInt(4) == 0) {
        write(onCr, "DELETE FROM items WHERE id = ?", id);
        present.remove(id);
        ops[side + 2]++;
      } else {
        String[] cols = {"name", "qty", "price", "data"};
        int c = rnd.nextInt(cols.length);
        Object[] values = {name, qty, price, data};
        write(onCr, "UPDATE items SET " + cols[c] + " = ? WHERE id = ?", values[c], id);
        ops[side + 1]++;
      }
    }
  }

  private void write(boolean onCr, String sql, Object... params) {
    if (onCr) {
      cr.exec(sql, params);
    } else {
      cfExec(db, sql, params);
    }
  }

  /** Runs one statement through a plain JDBC connection, binding each value with its storage class. */
  private static void cfExec(Cfost d, String sql, Object... params) {
    try (Connection c = d.connect(); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        Object v = params[i];
        if (v == null) {
          ps.setNull(i + 1, Types.NULL);
        } else if (v instanceof Long) {
          ps.setLong(i + 1, (Long) v);
        } else if (v instanceof Double) {
          ps.setDouble(i + 1, (Double) v);
        } else if (v instanceof String) {
          ps.setString(i + 1, (String) v);
        } else {
          ps.setBytes(i + 1, (byte[]) v);
        }
      }
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new AssertionError(sql, e);
    }
  }

  // ---- exchange ----

  /**
   * Everything from the start, both ways at once: both sides' changes are read before either merges, so
   * each side applies the merge rule to the other's original changes on its own (as two peers syncing
   * concurrently do), and a difference between their rules shows as different tables.
   */
  private void exchange() {
    List<Change> fromCr = cr.changes(0);
    List<Change> fromCfost = allChanges(db, 5);
    if (!fromCr.isEmpty()) {
      db.merge(fromCr);
    }
    if (!fromCfost.isEmpty()) {
      cr.merge(fromCfost);
    }
  }

  /** Merges cr-sqlite's changes with a db_version above {@code since}; returns the highest one seen. */
  private long crToCfost(Cfost to, long since) {
    List<Change> changes = cr.changes(since);
    if (!changes.isEmpty()) {
      to.merge(changes);
    }
    return Math.max(since, changes.stream().mapToLong(Change::dbVersion).max().orElse(0));
  }

  /** Merges all of {@code from}'s changes into cr-sqlite, read in batches of 5. */
  private void cfostToCr(Cfost from) {
    List<Change> all = allChanges(from, 5);
    if (!all.isEmpty()) {
      cr.merge(all);
    }
  }

  private static Change cell(List<Change> changes, String table, List<Object> key, String cid) {
    byte[] pk = PackedKey.pack(key);
    return changes.stream()
        .filter(c -> c.table().equals(table) && Arrays.equals(c.pk(), pk) && c.cid().equals(cid))
        .reduce((first, later) -> later)
        .orElseThrow(() -> new AssertionError("no change of " + table + key + "." + cid + " in " + changes));
  }

  private static Map<String, Set<String>> packedKeys(List<Change> changes) {
    return changes.stream().collect(Collectors.groupingBy(Change::table, TreeMap::new,
        Collectors.mapping(c -> HEX.formatHex(c.pk()), Collectors.toCollection(TreeSet::new))));
  }

  // ---- comparing tables ----

  /**
   * Asserts that {@code table} holds the same rows in {@code d} and in cr-sqlite, compared as
   * {@code value/typeof} cells ordered by primary key; returns CFOST's rows.
   */
  private List<String> assertSameRows(Cfost d, String table) {
    return assertSameRows(d, table, "");
  }

  private List<String> assertSameRows(Cfost d, String table, String context) {
    String query = dumpQuery(d, table);
    List<String> mine = render(cfostRows(d, query));
    List<String> theirs = render(cr.exec(query));
    assertThat(mine).as("%srows of %s in CFOST %s (actual) and cr-sqlite (expected): %s",
        context.isEmpty() ? "" : context + ": ", table, d.path().getFileName(), query)
        .containsExactlyElementsOf(theirs);
    return mine;
  }

  private static String dumpQuery(Cfost d, String table) {
    StringBuilder select = new StringBuilder();
    Map<Integer, String> keys = new TreeMap<>();
    for (List<Object> col : cfostRows(d, "SELECT name, pk FROM pragma_table_info('" + table + "') ORDER BY cid")) {
      String name = "\"" + col.get(0) + "\"";
      select.append(select.length() == 0 ? "" : ", ").append(name).append(", typeof(").append(name).append(')');
      if ((Long) col.get(1) > 0) {
        keys.put(((Long) col.get(1)).intValue(), name);
      }
    }
    return "SELECT " + select + " FROM \"" + table + "\" ORDER BY " + String.join(", ", keys.values());
  }

  private static List<List<Object>> cfostRows(Cfost d, String query) {
    List<List<Object>> rows = new ArrayList<>();
    try (Connection c = d.connect(); PreparedStatement ps = c.prepareStatement(query); ResultSet rs = ps.executeQuery()) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<Object> row = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
          Object v = rs.getObject(i);
          row.add(v instanceof Integer ? Long.valueOf((Integer) v) : v);
        }
        rows.add(row);
      }
    } catch (SQLException e) {
      throw new AssertionError(query, e);
    }
    return rows;
  }

  /** Rows of (value, typeof) pairs as {@code repr/typeof | ...}. */
  private static List<String> render(List<List<Object>> rows) {
    List<String> out = new ArrayList<>();
    for (List<Object> r : rows) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < r.size(); i += 2) {
        sb.append(i == 0 ? "" : " | ").append(repr(r.get(i))).append('/').append(r.get(i + 1));
      }
      out.add(sb.toString());
    }
    return out;
  }

  /** The expected dump row of these values, each with the storage class its Java type stands for. */
  private static String row(Object... values) {
    StringBuilder sb = new StringBuilder();
    for (Object v : values) {
      sb.append(sb.length() == 0 ? "" : " | ").append(repr(v)).append('/')
          .append(Values.typeName(v).toLowerCase(Locale.ROOT));
    }
    return sb.toString();
  }

  /** Distinct for every value and storage class: a real always shows '.', 'E' or Infinity. */
  private static String repr(Object v) {
    if (v instanceof byte[]) {
      return "x'" + HEX.formatHex((byte[]) v) + "'";
    } else if (v instanceof String) {
      return CrSqliteDriver.valueJson(v);
    }
    return v == null ? "NULL" : v.toString();
  }

  private static byte[] hex(String hex) {
    return HEX.parseHex(hex);
  }
}
