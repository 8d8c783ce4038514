package dev.cfost.cli.internal;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.sql.SQLException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Turns every failure into one line on stderr starting {@code cfost: } and an exit code: 1 when the
 * operation failed, 2 when the command line was wrong. The stack trace is printed only with
 * {@code --verbose}.
 */
final class Errors implements IExecutionExceptionHandler, IParameterExceptionHandler {
  private static final Pattern SQLITE_MESSAGE = Pattern.compile("\\[SQLITE_\\w+\\][^(]*\\((.+)\\)", Pattern.DOTALL);

  @Override
  public int handleExecutionException(Exception e, CommandLine cmd, ParseResult parsed) {
    // What the command printed before it failed comes first: on a terminal, stdout is buffered and stderr
    // is not, and an error such as device join's "approve the response printed above" must follow it.
    cmd.getOut().flush();
    PrintWriter err = cmd.getErr();
    err.println("cfost: " + oneLine(describe(e)));
    Object root = cmd.getCommandSpec().root().userObject();
    if (root instanceof CfostCommand && ((CfostCommand) root).verbose) {
      e.printStackTrace(err);
    }
    err.flush();
    return 1;
  }

  @Override
  public int handleParseException(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println("cfost: " + oneLine(usageMessage(e)) + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
    err.flush();
    return cmd.getCommandSpec().exitCodeOnInvalidInput();
  }

  /** Picocli's message, or for a word where a command was expected: "unknown command 'x'", with close matches. */
  static String usageMessage(ParameterException e) {
    if (e instanceof UnmatchedArgumentException u && !u.isUnknownOption()
        && !e.getCommandLine().getSubcommands().isEmpty() && !u.getUnmatched().isEmpty()) {
      List<String> close = u.getSuggestions();
      return "unknown command '" + u.getUnmatched().get(0) + "'"
          + (close.isEmpty() ? "" : "; did you mean " + String.join(" or ", close) + "?");
    }
    return e.getMessage();
  }

  /** The message a user needs, without Java class names where a plain phrase says it better. */
  static String describe(Throwable e) {
    if (e instanceof UncheckedIOException && e.getCause() != null) {
      return describe(e.getCause());
    }
    if (e instanceof CharacterCodingException) {
      return "the text is not valid UTF-8";
    }
    if (e instanceof NoSuchFileException) {
      return "no such file: " + ((NoSuchFileException) e).getFile();
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied: " + ((AccessDeniedException) e).getFile();
    }
    if (e instanceof FileSystemException) {
      FileSystemException f = (FileSystemException) e;
      return f.getFile() + ": " + (f.getReason() != null ? f.getReason() : f.getClass().getSimpleName());
    }
    if (e instanceof SQLException) {
      return sqlite((SQLException) e);
    }
    String message = e.getMessage();
    if (message == null || message.isBlank()) {
      return e.getClass().getSimpleName();
    }
    return e instanceof IOException ? "I/O error: " + message : message;
  }

  /**
   * SQLite's own words for an error: the driver's message {@code [SQLITE_ERROR] SQL error or missing
   * database (no such table: x)} wraps them in a generic text that says less.
   */
  static String sqlite(SQLException e) {
    String m = e.getMessage() == null ? "" : e.getMessage().strip();
    Matcher match = SQLITE_MESSAGE.matcher(m);
    return match.matches() ? match.group(1) : m.isEmpty() ? e.getClass().getSimpleName() : m;
  }

  /** One printable line: line breaks become spaces, other control characters are escaped ({@link Printable}). */
  static String oneLine(String s) {
    return Printable.of(s.strip().replaceAll("\\s*[\\r\\n]+\\s*", " "));
  }
}
