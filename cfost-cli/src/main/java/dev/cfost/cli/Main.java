package dev.cfost.cli;

import dev.cfost.cli.internal.Cli;

/**
 * The entry point of the {@code cfost} command line.
 *
 * <p>Stdout carries only the output of the command; errors are one line on stderr starting
 * {@code cfost: }. The exit code is 0 on success, 1 when the operation failed and 2 for a usage error.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(Cli.run(args));
  }
}
