package dev.cfost.cli.internal;

import dev.cfost.net.PeerOptions;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code --catch-up-ms}: how long a catch-up merge may hold the database (PeerOptions.catchUpTransaction). */
final class CatchUpOption {
  static final long DEFAULT_MILLIS = 2_000;

  @Option(names = "--catch-up-ms", paramLabel = "MS", defaultValue = "2000",
      description = {"While catching up with a peer, merge its batches in transactions of up to this many"
          + " milliseconds (default: ${DEFAULT-VALUE}). Longer is faster for large syncs; writes of other"
          + " programs to the database wait for each transaction. 0 commits every batch on its own."})
  long millis = DEFAULT_MILLIS;

  @Spec(Spec.Target.MIXEE) CommandSpec command;

  /** Refuses a bad value before anything starts. */
  void check() {
    if (millis < 0) {
      throw new ParameterException(command.commandLine(), "--catch-up-ms must be 0 or more: " + millis);
    }
  }

  PeerOptions.Builder applyTo(PeerOptions.Builder options) {
    check();
    return options.catchUpTransaction(millis, Integer.MAX_VALUE);
  }
}
