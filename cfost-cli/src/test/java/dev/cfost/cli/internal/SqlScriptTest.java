package dev.cfost.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SqlScriptTest {

  private static List<String> sqls(String script) {
    return SqlScript.split(script).stream().map(SqlScript.Statement::sql).toList();
  }

  @Test
  void statementsSplitAtSemicolonsAndBlankPiecesAreDropped() {
    assertThat(sqls(" SELECT 1 ;;\n INSERT INTO t VALUES (2);  ")).containsExactly("SELECT 1", "INSERT INTO t VALUES (2)");
  }

  @Test
  void semicolonsInsideStringsQuotedNamesAndCommentsDoNotSplit() {
    String script = "INSERT INTO \"a;b\" VALUES ('x;''y'); SELECT [c;d], `e;f` -- g;h\n FROM t /* i;j */; SELECT 2";
    assertThat(sqls(script)).containsExactly("INSERT INTO \"a;b\" VALUES ('x;''y')",
        "SELECT [c;d], `e;f` -- g;h\n FROM t /* i;j */", "SELECT 2");
  }

  @Test
  void aTriggerBodyStaysInOneStatementUpToItsEnd() {
    String trigger = "CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = 1; DELETE FROM u; END";
    assertThat(sqls(trigger + "; SELECT 1")).containsExactly(trigger, "SELECT 1");
  }

  @Test
  void aScriptOfOnlyCommentsHasNoStatements() {
    assertThat(SqlScript.split("-- nothing\n/* at all */ ;")).isEmpty();
  }

  @Test
  void onlyStatementsThatWriteRowsReportAnUpdateCount() {
    List<SqlScript.Statement> s = SqlScript.split(
        "insert into t values (1); WITH x AS (SELECT 1) DELETE FROM t; CREATE TABLE u(a); /* c */ replace into t values (2)");
    assertThat(s).extracting(SqlScript.Statement::keyword).containsExactly("INSERT", "WITH", "CREATE", "REPLACE");
    assertThat(s).extracting(SqlScript.Statement::changesRows).containsExactly(true, true, false, true);
  }

  @Test
  void scriptsThatManageTransactionsAreRecognised() {
    assertThat(SqlScript.split("begin; insert into t values (1); commit"))
        .extracting(SqlScript.Statement::managesTransaction).containsExactly(true, false, true);
    assertThat(SqlScript.split("VACUUM").get(0).managesTransaction()).isTrue();
  }
}
