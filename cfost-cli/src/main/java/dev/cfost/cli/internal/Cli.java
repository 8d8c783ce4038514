package dev.cfost.cli.internal;

import java.io.BufferedWriter;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.UsageMessageSpec;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.RunLast;
import picocli.CommandLine.UnmatchedArgumentException;

/** Builds the picocli command tree and runs it with the process's streams. */
public final class Cli {
  private Cli() {}

  /** Runs the command line {@code args} and returns the exit code: 0 ok, 1 failed, 2 usage error. */
  public static int run(String[] args) {
    return run(args, System.in, System.out, System.err, System.getenv());
  }

  /**
   * Runs {@code args} as {@link #run(String[])} does, with these streams and environment variables
   * instead of the process's own: tests run commands in their own JVM through it. Only {@code CFOST_DB}
   * is read from {@code env}; commands that start servers or daemons read the process's variables.
   */
  public static int run(String[] args, InputStream stdin, OutputStream stdout, OutputStream stderr,
      Map<String, String> env) {
    // UTF-8 whatever the platform default: JSON Lines and table text must not depend on the locale.
    PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8)));
    PrintWriter err = new PrintWriter(new OutputStreamWriter(stderr, StandardCharsets.UTF_8), true);
    try {
      int code = commandLine(new CfostCommand(stdin, env), out, err).execute(args);
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

  static CommandLine commandLine(CfostCommand root, PrintWriter out, PrintWriter err) {
    Errors errors = new Errors();
    CommandLine cl = new CommandLine(root)
        .setOut(out)
        .setErr(err)
        .setExecutionExceptionHandler(errors)
        .setParameterExceptionHandler(errors);
    // SQL such as "-- a comment\nSELECT 1" starts with a dash but is not an option.
    cl.getSubcommands().get("sql").setUnmatchedOptionsArePositionalParams(true);
    cl.getSubcommands().get("help").getCommandSpec().usageMessage().footer("  cfost help sync");
    exampleHeadings(cl);
    cl.setExecutionStrategy(Cli::refuseUnmatchedThenRun);
    return cl;
  }

  /**
   * Picocli leaves unmatched arguments unchecked when help is asked for: {@code cfost nosuch --help}
   * printed the top-level help and exited 0. An unknown command is a usage error with or without it.
   */
  private static int refuseUnmatchedThenRun(ParseResult parsed) {
    for (ParseResult p = parsed; p != null; p = p.subcommand()) {
      if (!p.unmatched().isEmpty()) {
        throw new UnmatchedArgumentException(p.commandSpec().commandLine(), p.unmatched());
      }
    }
    return new RunLast().execute(parsed);
  }

  /** Every command's help ends with its examples (the footer), under one heading. */
  private static void exampleHeadings(CommandLine cl) {
    UsageMessageSpec usage = cl.getCommandSpec().usageMessage();
    if (usage.footer().length > 0) {
      usage.footerHeading(usage.footer().length == 1 ? "%nExample:%n" : "%nExamples:%n");
    }
    cl.getSubcommands().values().forEach(Cli::exampleHeadings);
  }
}
