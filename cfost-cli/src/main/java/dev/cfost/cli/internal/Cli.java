package dev.cfost.cli.internal;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** Builds the picocli command tree and runs it with the process's streams. */
public final class Cli {
  private Cli() {}

  /** Runs the command line {@code args} and returns the exit code: 0 ok, 1 failed, 2 usage error. */
  public static int run(String[] args) {
    // UTF-8 whatever the platform default: JSON Lines and table text must not depend on the locale.
    PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8)));
    PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
    try {
      int code = commandLine(out, err).execute(args);
      out.flush();
      if (out.checkError() && code == 0) {
        // Typically a closed pipe (cfost export | head); the output is incomplete, so say so in the code.
        err.println("cfost: could not write all output to stdout");
        return 1;
      }
      return code;
    } finally {
      out.flush();
      err.flush();
    }
  }

  static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    Errors errors = new Errors();
    CommandLine cl = new CommandLine(new CfostCommand())
        .setOut(out)
        .setErr(err)
        .setExecutionExceptionHandler(errors)
        .setParameterExceptionHandler(errors);
    // SQL such as "-- a comment\nSELECT 1" starts with a dash but is not an option.
    cl.getSubcommands().get("sql").setUnmatchedOptionsArePositionalParams(true);
    return cl;
  }
}
