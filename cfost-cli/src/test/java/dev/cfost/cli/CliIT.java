package dev.cfost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every command: stdout, stderr and exit codes. Most tests run the commands in this JVM through the entry
 * point that {@code main} calls; at least one test per command family runs the shaded jar as child
 * processes ({@link #inChildProcesses}), as a user's shell would, for what only a process shows: the
 * exit status, the streams at the file-descriptor level, JVM options, stdin from a pipe.
 */
class CliIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TASK_LIST_DDL = "CREATE TABLE todo(id TEXT PRIMARY KEY NOT NULL, title TEXT, done INTEGER DEFAULT 0)";

  @TempDir Path dir;
  CfostProcess cfost;
  String a;
  String b;

  @BeforeEach
  void paths() {
    cfost = CfostProcess.inThisJvm(dir);
    a = dir.resolve("a.db").toString();
    b = dir.resolve("b.db").toString();
  }

  /**
   * From here on, this test runs each command as a child process of the shaded jar. Called after the setup
   * where only the commands under test need a process: a child JVM costs about a second each.
   */
  private void inChildProcesses() {
    cfost = new CfostProcess(dir);
  }

  /** From here on, commands run in this JVM again: for read-backs after the commands under test. */
  private void inThisJvm() {
    cfost = CfostProcess.inThisJvm(dir);
  }

  /** A database with a replicated todo table and {@code rows} rows in it. */
  private void replicaWithTodos(String db, String... rows) {
    cfost.run("--db", db, "init").ok();
    cfost.run("--db", db, "sql", TASK_LIST_DDL).ok();
    assertThat(cfost.run("--db", db, "replicate", "todo").ok()).isEqualTo("replicated todo\n");
    for (String row : rows) {
      cfost.run("--db", db, "sql", "INSERT INTO todo VALUES " + row).ok();
    }
  }

  private JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }

  private String todos(String db) {
    return cfost.run("--db", db, "sql", "--json", "SELECT * FROM todo ORDER BY id").ok();
  }

  // ---- init, --db, CFOST_DB ----

  @Test
  void initPrintsTheSiteIdAndOpeningAgainKeepsIt() {
    inChildProcesses();
    String first = cfost.run("--db", a, "init").ok();
    assertThat(first).matches("site id [0-9a-f]{32}\ndatabase default\n");
    assertThat(cfost.run("--db", a, "init").ok()).isEqualTo(first);
    assertThat(cfost.run("--db", b, "init").ok()).isNotEqualTo(first);
  }

  @Test
  void initSetsTheDatabaseIdOnceAndRefusesAnotherLater() {
    String first = cfost.run("--db", a, "init", "--database", "notes-2").ok();
    assertThat(first).matches("site id [0-9a-f]{32}\ndatabase notes-2\n");
    assertThat(cfost.run("--db", a, "init").ok()).isEqualTo(first);
    assertThat(cfost.run("--db", a, "init", "--database", "notes-2").ok()).isEqualTo(first);
    assertThat(cfost.run("--db", a, "init", "--database", "other").fails(1))
        .contains("already has the database id 'notes-2'", "'other'");
    assertThat(json(cfost.run("--db", a, "status", "--json").ok()).get("database_id").asText()).isEqualTo("notes-2");
    cfost.run("--db", b, "init").ok();
    assertThat(cfost.run("--db", b, "init", "--database", "notes-2").fails(1)).contains("'default'");
  }

  @Test
  void anInvalidDatabaseIdIsAUsageErrorAndLeavesNoDatabase() {
    assertThat(cfost.run("--db", a, "init", "--database", "has space").fails(2)).contains("invalid database id 'has space'");
    assertThat(Path.of(a)).doesNotExist();
    assertThat(Path.of(a + "-wal")).doesNotExist();
  }

  @Test
  void initMakesTheDeviceTlsIdentityBesideTheDatabaseOnce() throws IOException {
    cfost.run("--db", a, "init").ok();
    Path identity = Path.of(a + ".tls.p12");
    assertThat(identity).isRegularFile();
    byte[] first = Files.readAllBytes(identity);
    cfost.run("--db", a, "init").ok();
    assertThat(Files.readAllBytes(identity)).isEqualTo(first);
  }

  @Test
  void initCreatesTheParentFolders() {
    String nested = dir.resolve("x/y/z.db").toString();
    cfost.run("init", "--db", nested).ok();
    assertThat(Path.of(nested)).isRegularFile();
  }

  @Test
  void dbIsAcceptedBeforeAndAfterTheSubcommand() {
    String before = cfost.run("--db", a, "init").ok();
    assertThat(cfost.run("init", "--db", a).ok()).isEqualTo(before);
    assertThat(cfost.run("status", "--db=" + a, "--json").ok()).contains(before.substring(8, 40));
  }

  @Test
  void theCfostDbVariableChoosesTheDatabaseAndDbOverridesIt() {
    inChildProcesses();
    String viaEnv = cfost.env("CFOST_DB", a).run("init").ok();
    assertThat(Path.of(a)).isRegularFile();
    assertThat(cfost.run("--db", a, "init").ok()).isEqualTo(viaEnv);
    assertThat(cfost.run("--db", b, "init").ok()).isNotEqualTo(viaEnv);
    assertThat(json(cfost.run("status", "--json").ok()).get("path").asText()).isEqualTo(a);
  }

  @Test
  void withoutDbOrCfostDbTheDatabaseIsInTheHomeFolder() {
    inChildProcesses();
    Path home = dir.resolve("home");
    cfost.jvmArg("-Duser.home=" + home).run("init").ok();
    assertThat(home.resolve(".cfost/cfost.db")).isRegularFile();
  }

  @Test
  void commandsOtherThanInitRefuseAMissingDatabaseAndCreateNothing() {
    String line = cfost.run("--db", a, "status").fails(1);
    assertThat(line).contains("no database at " + a).contains("cfost init");
    assertThat(Path.of(a)).doesNotExist();
  }

  @Test
  void commandsThatPrintDataPrintJsonWithJson() {
    JsonNode init = json(cfost.run("--db", a, "init", "--json", "--database", "notes").ok());
    assertThat(init.get("site_id").asText()).matches("[0-9a-f]{32}");
    assertThat(init.get("database_id").asText()).isEqualTo("notes");
    assertThat(json(cfost.run("--db", a, "sync-key", "--json").ok()).get("sync_key").asText()).matches("[0-9a-f]{64}");
    cfost.run("--db", a, "sql", TASK_LIST_DDL).ok();
    assertThat(cfost.run("--db", a, "replicate", "--json", "todo").ok()).isEqualTo("{\"table\":\"todo\",\"already\":false}\n");
    assertThat(cfost.run("--db", a, "replicate", "todo", "--json").ok()).isEqualTo("{\"table\":\"todo\",\"already\":true}\n");
    cfost.run("--db", a, "sql", "INSERT INTO todo VALUES ('t1', 'milk', 0)").ok();
    String bundle = cfost.run("--db", a, "export").ok();
    int n = (int) bundle.lines().count();
    cfost.run("--db", b, "init", "--database", "notes").ok();
    assertThat(cfost.stdin(bundle).run("--db", b, "import", "--json", "-").ok())
        .isEqualTo("{\"applied\":" + n + ",\"received\":" + n + "}\n");
  }

  // ---- sql ----

  @Test
  void sqlPrintsAQueryAsAnAlignedTable() {
    replicaWithTodos(a, "('t1', 'milk', 0)", "('t22', NULL, 1)");
    String out = cfost.run("--db", a, "sql", "SELECT id, title, done, x'00ff' AS b FROM todo ORDER BY id").ok();
    assertThat(out).isEqualTo(""
        + "id   title  done  b\n"
        + "---  -----  ----  -------\n"
        + "t1   milk   0     x'00ff'\n"
        + "t22  NULL   1     x'00ff'\n");
  }

  @Test
  void sqlJsonKeepsIntegersRealsTextBlobsAndNullApart() {
    cfost.run("--db", a, "init").ok();
    String out = cfost.run("--db", a, "sql", "--json",
        "SELECT 9007199254740993 AS i, 1.0 AS r, 2.5 AS r2, '1' AS t, x'cafe' AS b, NULL AS n").ok();
    assertThat(out).isEqualTo("[{\"i\":9007199254740993,\"r\":1.0,\"r2\":2.5,\"t\":\"1\",\"b\":{\"blob\":\"cafe\"},\"n\":null}]\n");
    JsonNode row = json(out).get(0);
    assertThat(row.get("i").isIntegralNumber()).isTrue();
    assertThat(row.get("i").longValue()).isEqualTo(9007199254740993L); // above 2^53, exact
    assertThat(row.get("r").isFloatingPointNumber()).isTrue();
    assertThat(row.get("t").isTextual()).isTrue();
    assertThat(row.get("b").get("blob").asText()).isEqualTo("cafe");
    assertThat(row.get("n").isNull()).isTrue();
  }

  @Test
  void sqlReportsHowManyRowsChanged() {
    replicaWithTodos(a);
    assertThat(cfost.run("--db", a, "sql", "INSERT INTO todo(id) VALUES ('t1'), ('t2'), ('t3')").ok())
        .isEqualTo("3 rows changed\n");
    assertThat(cfost.run("--db", a, "sql", "--json", "UPDATE todo SET done = 1 WHERE id <> 't2'").ok())
        .isEqualTo("{\"changes\":2}\n");
    assertThat(cfost.run("--db", a, "sql", "CREATE TABLE other(x)").ok()).isEqualTo("0 rows changed\n");
  }

  @Test
  void sqlRunsSeveralStatementsInOrderAndPrintsTheLastQuery() {
    replicaWithTodos(a);
    String out = cfost.run("--db", a, "sql", "--json",
        "INSERT INTO todo VALUES ('t1', 'a;b', 0); UPDATE todo SET done = 1; SELECT id, title, done FROM todo").ok();
    assertThat(out).isEqualTo("[{\"id\":\"t1\",\"title\":\"a;b\",\"done\":1}]\n");
  }

  @Test
  void aFailingStatementInAScriptLeavesNothingChanged() {
    replicaWithTodos(a, "('t1', 'milk', 0)");
    String line = cfost.run("--db", a, "sql", "DELETE FROM todo; INSERT INTO nosuch VALUES (1)").fails(1);
    assertThat(line).contains("statement 2").contains("no such table: nosuch").contains("nothing was changed");
    assertThat(todos(a)).contains("\"t1\"");
  }

  @Test
  void aScriptMayManageItsOwnTransactionButNotLeaveOneOpen() {
    replicaWithTodos(a);
    assertThat(cfost.run("--db", a, "sql", "BEGIN; INSERT INTO todo(id) VALUES ('t1'); COMMIT").ok())
        .isEqualTo("1 rows changed\n");
    String line = cfost.run("--db", a, "sql", "BEGIN; INSERT INTO todo(id) VALUES ('t2')").fails(1);
    assertThat(line).contains("did not end it").contains("rolled back");
    assertThat(todos(a)).contains("\"t1\"").doesNotContain("\"t2\"");
  }

  @Test
  void anSqlErrorIsOneLineWithoutAStackTraceUnlessVerbose() {
    cfost.run("--db", a, "init").ok();
    inChildProcesses();
    assertThat(cfost.run("--db", a, "sql", "SELEC 1").fails(1)).isEqualTo("cfost: near \"SELEC\": syntax error");
    CfostProcess.Result verbose = cfost.run("--db", a, "--verbose", "sql", "SELEC 1");
    assertThat(verbose.code()).isEqualTo(1);
    assertThat(verbose.err()).startsWith("cfost: near \"SELEC\": syntax error\n").contains("\tat ");
  }

  @Test
  void writesMadeBySqlAreCapturedBeforeTheCommandExits() {
    replicaWithTodos(a);
    long before = json(cfost.run("--db", a, "status", "--json").ok()).get("db_version").asLong();
    cfost.run("--db", a, "sql", "INSERT INTO todo(id) VALUES ('t9')").ok();
    String exported = cfost.run("--db", a, "export", "--since", Long.toString(before)).ok();
    assertThat(exported).contains("\"pk\":\"010b027439\"");
  }

  // ---- replicate ----

  @Test
  void replicatePrintsOneLinePerTable() {
    cfost.run("--db", a, "init").ok();
    cfost.run("--db", a, "sql", TASK_LIST_DDL + "; CREATE TABLE tag(name TEXT PRIMARY KEY NOT NULL)").ok();
    assertThat(cfost.run("--db", a, "replicate", "todo", "tag").ok()).isEqualTo("replicated todo\nreplicated tag\n");
    assertThat(cfost.run("--db", a, "replicate", "tag").ok()).isEqualTo("already replicated tag\n");
  }

  @Test
  void aTableWithoutAPrimaryKeyIsRefusedInOneLine() {
    cfost.run("--db", a, "init").ok();
    cfost.run("--db", a, "sql", "CREATE TABLE notes(body TEXT)").ok();
    inChildProcesses();
    String line = cfost.run("--db", a, "replicate", "notes").fails(1);
    assertThat(line).startsWith("cfost: table 'notes' has no primary key");
    inThisJvm();
    assertThat(json(cfost.run("--db", a, "status", "--json").ok()).get("tables")).isEmpty();
  }

  // ---- export and import ----

  @Test
  void exportAndImportMakeTwoDatabasesEqualAndReimportingAppliesNothing() throws IOException {
    replicaWithTodos(a, "('t1', 'milk', 0)", "('t2', 'eggs', 1)", "('t3', NULL, 2)");
    cfost.run("--db", b, "init").ok(); // no table: the bundle carries its definition (schema sync)
    CfostProcess.Result exported = cfost.run("--db", a, "export");
    String bundle = exported.ok();
    List<String> lines = bundle.lines().toList();
    assertThat(lines).isNotEmpty();
    for (String line : lines) {
      assertThat(json(line).get("table").asText()).isIn("todo", "cfost_schema"); // stdout is pure JSON Lines
    }
    assertThat(lines).anyMatch(l -> json(l).get("table").asText().equals("todo"));
    Path file = dir.resolve("bundle.jsonl");
    CfostProcess.Result toFile = cfost.run("--db", a, "export", "--out", file.toString());
    assertThat(toFile.code()).isZero();
    assertThat(toFile.out()).isEmpty();
    assertThat(toFile.err()).startsWith("exported " + lines.size() + " changes");
    assertThat(Files.readString(file)).isEqualTo(bundle);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.filter(p -> p.getFileName().toString().endsWith(".tmp"))).isEmpty();
    }

    assertThat(cfost.run("--db", b, "import", file.toString()).ok())
        .isEqualTo("applied " + lines.size() + " of " + lines.size() + " changes\n");
    assertThat(todos(b)).isEqualTo(todos(a)).contains("\"t3\"");
    assertThat(cfost.run("--db", b, "import", file.toString()).ok())
        .isEqualTo("applied 0 of " + lines.size() + " changes\n");
    assertThat(todos(b)).isEqualTo(todos(a));
  }

  /** {@code cfost import <(zcat bundle.gz)}: a pipe is read once, so the progress must not count it first. */
  @Test
  void importReadsANamedPipeWhole() throws Exception {
    replicaWithTodos(a, "('t1', 'milk', 0)");
    cfost.run("--db", b, "init").ok();
    String bundle = cfost.run("--db", a, "export").ok();
    int n = (int) bundle.lines().count();
    Path fifo = dir.resolve("bundle.fifo");
    assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
    Thread writer = new Thread(() -> {
      try {
        Files.writeString(fifo, bundle);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    writer.setDaemon(true);
    writer.start();

    String out = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30),
        () -> cfost.run("--db", b, "import", fifo.toString()).ok());

    assertThat(out).isEqualTo("applied " + n + " of " + n + " changes\n");
    assertThat(todos(b)).isEqualTo(todos(a));
  }

  @Test
  void importReadsStdinWhenTheFileIsADash() {
    replicaWithTodos(a, "('t1', 'milk', 0)");
    cfost.run("--db", b, "init").ok();
    inChildProcesses(); // export to a real process's stdout, the bundle through a real process's stdin
    String bundle = cfost.run("--db", a, "export").ok();
    int n = (int) bundle.lines().count();
    assertThat(cfost.stdin(bundle).run("--db", b, "import", "-").ok()).isEqualTo("applied " + n + " of " + n + " changes\n");
    inThisJvm();
    assertThat(todos(b)).isEqualTo(todos(a));
  }

  @Test
  void exportSinceLeavesOutWhatWasAlreadySent() {
    replicaWithTodos(a, "('t1', 'milk', 0)");
    long version = json(cfost.run("--db", a, "status", "--json").ok()).get("db_version").asLong();
    cfost.run("--db", a, "sql", "UPDATE todo SET done = 1").ok();
    List<String> later = cfost.run("--db", a, "export", "--since", Long.toString(version)).ok().lines().toList();
    assertThat(later).hasSize(1);
    assertThat(json(later.get(0)).get("cid").asText()).isEqualTo("done");
    assertThat(cfost.run("--db", a, "export", "--since", "999").ok()).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "unknown table  | \"table\":\"todo\" | \"table\":\"nosuch\" | line 3: unknown table 'nosuch'",
      "unknown column | \"cid\":\"title\"  | \"cid\":\"color\"    | line 3: table 'todo' column 'color' does not exist",
      "bad hex        | \"pk\":\"010b      | \"pk\":\"zz        | line 3: field 'pk' is not hex",
      "malformed JSON | \"cl\":            | \"cl\"             | line 3: not valid JSON"})
  void anImportWithABadThirdLineNamesItAndChangesNothing(String what, String find, String replace, String message)
      throws IOException {
    replicaWithTodos(a, "('t1', 'milk', 0)", "('t2', 'eggs', 1)", "('t3', 'jam', 0)");
    replicaWithTodos(b, "('t9', 'own row', 0)");
    List<String> lines = new ArrayList<>(cfost.run("--db", a, "export").ok().lines().toList());
    // The third change of todo; the table's definition (cfost_schema) comes before its rows.
    int at = -1;
    for (int i = 0, seen = 0; i < lines.size() && at < 0; i++) {
      if (json(lines.get(i)).get("table").asText().equals("todo") && ++seen == 3) {
        at = i;
      }
    }
    assertThat(at).isPositive();
    assertThat(lines.get(at)).contains(find.strip());
    lines.set(at, lines.get(at).replaceFirst(java.util.regex.Pattern.quote(find.strip()), replace.strip()));
    message = message.strip().replace("line 3:", "line " + (at + 1) + ":");
    Path file = dir.resolve("bad.jsonl");
    Files.write(file, lines);
    String statusBefore = cfost.run("--db", b, "status", "--json").ok();
    String rowsBefore = todos(b);

    String line = cfost.run("--db", b, "import", file.toString()).fails(1);
    assertThat(line).startsWith("cfost: " + message.strip());

    assertThat(cfost.run("--db", b, "status", "--json").ok()).isEqualTo(statusBefore);
    assertThat(todos(b)).isEqualTo(rowsBefore);
  }

  @Test
  void blankLinesCountInTheLineNumberOfAnError() throws IOException {
    replicaWithTodos(b);
    Path file = dir.resolve("blank.jsonl");
    Files.writeString(file, "\n\n   \n{\"table\":\n");
    assertThat(cfost.run("--db", b, "import", file.toString()).fails(1)).startsWith("cfost: line 4: not valid JSON");
  }

  @Test
  void importingAMissingFileFails() {
    replicaWithTodos(b);
    assertThat(cfost.run("--db", b, "import", dir.resolve("nope.jsonl").toString()).fails(1))
        .isEqualTo("cfost: no such file: " + dir.resolve("nope.jsonl"));
  }

  @Test
  void aFailedExportLeavesNoFileBehind() throws IOException {
    cfost.run("--db", a, "init").ok();
    Path folder = dir.resolve("missing-folder");
    assertThat(cfost.run("--db", a, "export", "--out", folder.resolve("x.jsonl").toString()).fails(1))
        .contains("there is no folder " + folder);
    assertThat(folder).doesNotExist();
  }

  // ---- status ----

  @Test
  void statusJsonDescribesTheReplica() {
    String site = cfost.run("--db", a, "init").ok().substring(8, 40);
    replicaWithTodos(a, "('t1', 'milk', 0)", "('t2', 'eggs', 1)");
    cfost.run("--db", a, "sql", "PRAGMA user_version = 7").ok();
    JsonNode s = json(cfost.run("--db", a, "status", "--json").ok());
    assertThat(s.get("site_id").asText()).isEqualTo(site);
    assertThat(s.get("path").asText()).isEqualTo(a);
    assertThat(s.get("db_version").isIntegralNumber()).isTrue();
    assertThat(s.get("db_version").asLong()).isPositive();
    assertThat(s.get("schema_version").asInt()).isEqualTo(7);
    assertThat(s.get("tables")).hasSize(1);
    assertThat(s.get("tables").get(0).get("name").asText()).isEqualTo("todo");
    assertThat(s.get("tables").get(0).get("rows").asLong()).isEqualTo(2);
    assertThat(s.get("held_changes").asLong()).isZero();
    assertThat(s.get("deferred_changes").asLong()).isZero();

    String text = cfost.run("--db", a, "status").ok();
    assertThat(text).contains("site id         " + site + "\n", "schema version  7\n", "table todo      2 rows\n",
        "held changes    0\n", "deferred        0 changes waiting, 0 set aside\n");
  }

  /** A table's name is part of its label: a long one ran into the count ("table identity_devices0 rows"). */
  @Test
  void statusKeepsLongTableNamesApartFromTheirCounts() {
    cfost.run("--db", a, "init").ok();
    cfost.run("--db", a, "sql", "CREATE TABLE identity_devices(id TEXT PRIMARY KEY NOT NULL)").ok();
    cfost.run("--db", a, "sql", "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL)").ok();
    cfost.run("--db", a, "replicate", "identity_devices", "t").ok();
    List<String> lines = cfost.run("--db", a, "status").ok().lines().toList();
    assertThat(lines).contains("table identity_devices  0 rows", "table t                 0 rows",
        "database id             default");
  }

  /** Issue 10, item 8: held and deferred changes are bounded per peer, and status shows them so. */
  @Test
  void statusCountsHeldAndDeferredChangesByPeer() {
    replicaWithTodos(a);
    String peerA = "0a0b0c0d0e0f00112233445566778899";
    String peerB = "f1f2f3f4000000000000000000000000";
    long later = 4_102_444_800_000L; // 2100: not expired when status opens the database
    String change = "'{\"table\":\"future\",\"pk\":\"01090a\",\"cid\":\"x\",\"val\":1,\"col_version\":1,"
        + "\"db_version\":1,\"site_id\":\"" + peerA + "\",\"cl\":1,\"seq\":0}'"; // for a table not known here
    cfost.run("--db", a, "sql",
        "INSERT INTO cfost_deferred(tbl, change, peer, at, failed) VALUES ('future', " + change + ", x'" + peerA
            + "', " + later + ", NULL), ('future', " + change + ", x'" + peerA + "', " + later + ", NULL), ('future', "
            + change + ", NULL, " + later + ", NULL), ('gone', '{}', x'" + peerB + "', 0, 'refused by the schema')").ok();
    cfost.run("--db", a, "sql", "CREATE TABLE identity_held(id INTEGER PRIMARY KEY, digest BLOB NOT NULL,"
        + " change TEXT NOT NULL, seal_id INTEGER NOT NULL, received_at INTEGER NOT NULL, peer BLOB)").ok();
    cfost.run("--db", a, "sql", "INSERT INTO identity_held(digest, change, seal_id, received_at, peer) VALUES"
        + " (x'01', '{}', 1, 0, x'" + peerB + "'), (x'02', '{}', 1, 0, x'" + peerB + "'),"
        + " (x'03', '{}', 1, 0, x'" + peerB + "'), (x'04', '{}', 1, 0, x'" + peerA + "')").ok();

    JsonNode s = json(cfost.run("--db", a, "status", "--json").ok());
    assertThat(s.get("held_changes").asLong()).isEqualTo(4);
    assertThat(s.get("deferred_changes").asLong()).isEqualTo(3);
    assertThat(s.get("set_aside_changes").asLong()).isEqualTo(1);
    assertThat(s.get("held_by_peer").toString())
        .isEqualTo("[{\"peer\":\"f1f2f3f4\",\"changes\":3},{\"peer\":\"0a0b0c0d\",\"changes\":1}]");
    assertThat(s.get("deferred_by_peer").toString())
        .isEqualTo("[{\"peer\":\"0a0b0c0d\",\"changes\":2},{\"peer\":null,\"changes\":1}]");

    String text = cfost.run("--db", a, "status").ok();
    assertThat(text).contains("held changes    4 (peer f1f2f3f4: 3, peer 0a0b0c0d: 1)\n",
        "deferred        3 changes waiting (peer 0a0b0c0d: 2, no peer: 1), 1 set aside\n");
  }

  @Test
  void statusSaysThatNoDaemonRunsAndListsThePeers() {
    replicaWithTodos(a);
    inChildProcesses();
    String text = cfost.run("--db", a, "status").ok();
    assertThat(text).contains("database id     default\n", "daemon          not running\n", "peers           none\n");
    cfost.run("--db", a, "peer", "add", "192.0.2.7:7947").ok();
    JsonNode s = json(cfost.run("--db", a, "status", "--json").ok());
    assertThat(s.get("database_id").asText()).isEqualTo("default");
    assertThat(s.get("daemon").get("running").asBoolean()).isFalse();
    assertThat(s.get("daemon").has("pid")).isFalse();
    assertThat(s.get("peers")).hasSize(1);
    assertThat(s.get("peers").get(0).get("address").asText()).isEqualTo("192.0.2.7:7947");
    assertThat(s.get("peers").get(0).get("pending").isNull()).isTrue(); // its site is not known yet
    assertThat(cfost.run("--db", a, "status").ok()).contains("peer            192.0.2.7:7947 (manual), not seen yet\n");
  }

  // ---- peer book ----

  @Test
  void peerAddListAndRemoveKeepTheBook() {
    cfost.run("--db", a, "init").ok();
    assertThat(cfost.run("--db", a, "peer", "list").ok()).startsWith("no peers");
    assertThat(cfost.run("--db", a, "peer", "list", "--json").ok()).isEqualTo("[]\n");
    assertThat(cfost.run("--db", a, "peer", "add", "192.0.2.7:7947").ok()).isEqualTo("added 192.0.2.7:7947\n");
    assertThat(cfost.run("--db", a, "peer", "add", "192.0.2.7:7947").ok()).isEqualTo("already known 192.0.2.7:7947\n");
    assertThat(cfost.run("--db", a, "peer", "add", "[::1]:7000").ok()).isEqualTo("added [::1]:7000\n");
    assertThat(cfost.run("--db", a, "peer", "list").ok()).isEqualTo(""
        + "address         source  site id  last seen  cursor  pending\n"
        + "--------------  ------  -------  ---------  ------  -------\n"
        + "192.0.2.7:7947  manual  -        -          -       -\n"
        + "[::1]:7000      manual  -        -          -       -\n");
    JsonNode list = json(cfost.run("--db", a, "peer", "list", "--json").ok());
    assertThat(list).hasSize(2);
    assertThat(list.get(0).get("address").asText()).isEqualTo("192.0.2.7:7947");
    assertThat(list.get(0).get("source").asText()).isEqualTo("manual");
    assertThat(list.get(0).get("site_id").isNull()).isTrue();
    assertThat(cfost.run("--db", a, "peer", "remove", "192.0.2.7:7947").ok()).isEqualTo("removed 192.0.2.7:7947\n");
    assertThat(cfost.run("--db", a, "peer", "remove", "192.0.2.7:7947").fails(1)).contains("no peer 192.0.2.7:7947");
    assertThat(json(cfost.run("--db", a, "peer", "list", "--json").ok())).hasSize(1);
  }

  @Test
  void malformedAddressesAreUsageErrors() {
    cfost.run("--db", a, "init").ok();
    assertThat(cfost.run("--db", a, "peer", "add", "nohost").fails(2)).contains("not a HOST:PORT address: 'nohost'");
    assertThat(cfost.run("--db", a, "peer", "add", "h:99999").fails(2)).contains("port out of range");
    assertThat(cfost.run("--db", a, "sync", "--peer", "h:0", "--once").fails(2)).contains("port 0");
    assertThat(cfost.run("--db", a, "sync", "--peer", "127.0.0.1:1").fails(2)).contains("--once");
    assertThat(cfost.run("--db", a, "start", "--listen", "x").fails(2)).contains("--listen");
    assertThat(cfost.run("--db", a, "sync", "--peer", "127.0.0.1:1", "--once", "--catch-up-ms", "-1").fails(2))
        .contains("--catch-up-ms must be 0 or more: -1");
  }

  @Test
  void logsWithoutALogFails() {
    cfost.run("--db", a, "init").ok();
    assertThat(cfost.run("--db", a, "logs").fails(1)).contains("no log at " + a + ".log");
  }

  // ---- usage errors, completion (the demo: DemoIT) ----

  @Test
  void theBashCompletionScriptCompletesCommandsAndTheirOptions() throws Exception {
    inChildProcesses();
    String script = cfost.run("completion", "bash").ok();
    assertThat(cfost.run("completion", "zsh").ok()).isEqualTo(script).contains("bashcompinit");
    assertThat(cfost.run("completion", "fish").fails(2)).contains("fish");
    Path file = dir.resolve("cfost-completion.bash");
    Files.writeString(file, script);
    assertThat(complete(file, "cfost", "sta")).isEqualTo("start status");
    assertThat(complete(file, "cfost", "peer", "")).contains("add", "list", "remove");
    assertThat(complete(file, "cfost", "status", "--j")).isEqualTo("--json");
  }

  /** What bash completes for the last of {@code words}, with the script loaded: the candidates, sorted. */
  private static String complete(Path script, String... words) throws Exception {
    StringBuilder array = new StringBuilder();
    for (String w : words) {
      array.append(" '").append(w).append("'");
    }
    String line = String.join(" ", words);
    String program = "source '" + script + "'; COMP_WORDS=(" + array + "); COMP_CWORD=" + (words.length - 1)
        + "; COMP_LINE='" + line + "'; COMP_POINT=" + line.length() + "; _complete_cfost cfost;"
        + " printf '%s\\n' \"${COMPREPLY[@]}\" | sort | tr '\\n' ' '";
    // stderr aside: called outside a real completion, the script's compopt complains, harmlessly.
    Process p = new ProcessBuilder("bash", "-c", program).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("bash: %s", out).isZero();
    return out.strip();
  }

  @Test
  void usageErrorsExitWithTwoAndOneLine() {
    inChildProcesses();
    assertThat(cfost.run().fails(2)).contains("Missing required subcommand");
    assertThat(cfost.run("frobnicate").fails(2)).contains("frobnicate");
    assertThat(cfost.run("nosuch", "--help").fails(2)).contains("'nosuch'"); // printed the help, exit 0
    assertThat(cfost.run("--db", a, "import").fails(2)).contains("FILE");
    assertThat(cfost.run("--db", a, "export", "--since", "x").fails(2)).contains("--since");
    assertThat(Path.of(a)).doesNotExist();
  }

  @Test
  void helpAndVersionGoToStdout() {
    inChildProcesses();
    assertThat(cfost.run("--help").ok()).contains("Usage: cfost", "init", "sql", "export", "import", "demo", "start",
        "stop", "sync", "peer", "logs");
    assertThat(cfost.run("--version").ok()).startsWith("cfost ");
  }
}
