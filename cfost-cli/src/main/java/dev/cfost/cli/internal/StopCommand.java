package dev.cfost.cli.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code cfost stop}: asks the database's sync daemon to stop (SIGTERM) and waits until it has. */
@Command(name = "stop", mixinStandardHelpOptions = true,
    footer = "  cfost --db laptop.db stop",
    description = "Stop the sync daemon of the database: SIGTERM, then wait up to 10 s for it to exit.")
final class StopCommand implements Callable<Integer> {
  static final long WAIT_SECONDS = 10;

  @ParentCommand CfostCommand cfost;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException, InterruptedException {
    Path path = cfost.dbPath();
    OptionalLong pid = PidFile.running(path);
    if (pid.isEmpty()) {
      boolean stale = PidFile.removeStale(path);
      throw new CliException("no daemon runs for " + path + (stale ? " (removed a stale pid file)" : ""));
    }
    ProcessHandle daemon = ProcessHandle.of(pid.getAsLong()).orElse(null);
    if (daemon != null) {
      if (!daemon.destroy()) {
        throw new CliException("cannot signal the daemon (pid " + pid.getAsLong() + ")");
      }
      try {
        daemon.onExit().get(WAIT_SECONDS, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        throw new CliException("the daemon (pid " + pid.getAsLong() + ") did not stop within " + WAIT_SECONDS
            + " s; 'kill -9 " + pid.getAsLong() + "' ends it at once");
      } catch (ExecutionException e) {
        throw new CliException("waiting for the daemon (pid " + pid.getAsLong() + ") failed: " + Errors.describe(e));
      }
    }
    PidFile.removeStale(path); // normally gone already: the daemon deletes it as it stops
    spec.commandLine().getOut().println("stopped");
    return 0;
  }
}
