package dev.cfost.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.sql.SQLException;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

class ErrorsTest {

  @Test
  void sqliteErrorsKeepSQLitesOwnWords() {
    assertThat(Errors.describe(new SQLException("[SQLITE_ERROR] SQL error or missing database (no such table: x)")))
        .isEqualTo("no such table: x");
    assertThat(Errors.sqlite(new SQLException(
        "[SQLITE_CONSTRAINT_PRIMARYKEY] A PRIMARY KEY constraint failed (UNIQUE constraint failed: t.id)")))
        .isEqualTo("UNIQUE constraint failed: t.id");
    assertThat(Errors.sqlite(new SQLException("something else"))).isEqualTo("something else");
  }

  @Test
  void fileErrorsNameTheFile() {
    assertThat(Errors.describe(new UncheckedIOException(new NoSuchFileException("b.jsonl")))).isEqualTo("no such file: b.jsonl");
    assertThat(Errors.describe(new IOException("disk full"))).isEqualTo("I/O error: disk full");
  }

  @Test
  void anExceptionWithoutAMessageIsNamedByItsType() {
    assertThat(Errors.describe(new IllegalStateException())).isEqualTo("IllegalStateException");
  }

  @Test
  void messagesAreFoldedOntoOneLine() {
    assertThat(Errors.oneLine(" first\n  second\r\nthird ")).isEqualTo("first second third");
  }

  /** Prints a line, then fails, as device join does when it cannot reach the authorizing device. */
  @Command(name = "fails")
  static final class PrintsThenFails implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      spec.commandLine().getOut().println("cfost device approve RESPONSE");
      throw new CliException("not paired yet: approve the response printed above on the authorizing device");
    }
  }

  @Test
  void whatACommandPrintedComesBeforeItsError() {
    // Both streams to one terminal, written as Cli.run writes them: stdout buffered, stderr not.
    ByteArrayOutputStream terminal = new ByteArrayOutputStream();
    PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(terminal, StandardCharsets.UTF_8)));
    PrintWriter err = new PrintWriter(new OutputStreamWriter(terminal, StandardCharsets.UTF_8), true);
    int code = new CommandLine(new PrintsThenFails()).setOut(out).setErr(err).setExecutionExceptionHandler(new Errors())
        .execute();
    out.flush();
    assertThat(code).isEqualTo(1);
    assertThat(terminal.toString(StandardCharsets.UTF_8)).isEqualTo("cfost device approve RESPONSE" + System.lineSeparator()
        + "cfost: not paired yet: approve the response printed above on the authorizing device" + System.lineSeparator());
  }
}
