package dev.cfost.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

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
}
