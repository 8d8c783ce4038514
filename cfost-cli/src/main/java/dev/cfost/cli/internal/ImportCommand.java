package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import dev.cfost.MergeResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.UncheckedIOException;
import java.util.stream.Stream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code cfost import}: applies a JSON Lines bundle made by {@code cfost export}, all or nothing. */
@Command(name = "import", mixinStandardHelpOptions = true,
    footer = "  cfost --db desktop.db import /media/usb/changes.jsonl",
    description = {"Apply a bundle made by 'cfost export': all of it, or none if any line is refused.",
        "Importing a bundle again applies nothing new."})
final class ImportCommand implements Callable<Integer> {
  @ParentCommand CfostCommand cfost;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "FILE", description = "The bundle, or - to read it from stdin.")
  String file;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    MergeResult result;
    // Open the database first: a missing database is the error to report, not a missing stdin.
    try (Cfost db = cfost.open(false); BufferedReader in = reader();
        Progress progress = Progress.of("import", "changes", json, spec.commandLine().getErr())) {
      progress.total(lines());
      result = ChangeImport.merge(db, in, progress::done);
      progress.finish();
    }
    spec.commandLine().getOut().println(json
        ? "{\"applied\":" + result.applied() + ",\"received\":" + result.received() + "}"
        : "applied " + result.applied() + " of " + result.received() + " changes");
    return 0;
  }

  /**
   * The changes in the file, one per non-blank line, for the progress; -1 for stdin or a pipe
   * ({@code import <(zcat ...)}), which are read only once: counting would leave nothing to import.
   */
  private long lines() throws IOException {
    if (file.equals("-") || !Files.isRegularFile(Path.of(file))) {
      return -1;
    }
    try (Stream<String> lines = Files.lines(Path.of(file), StandardCharsets.UTF_8)) {
      return lines.filter(l -> !l.isBlank()).count();
    } catch (UncheckedIOException e) {
      return -1; // not UTF-8: the import itself says which line, and fails
    }
  }

  private BufferedReader reader() throws IOException {
    if (file.equals("-")) {
      // newDecoder() reports malformed input instead of replacing it with U+FFFD.
      return new BufferedReader(new InputStreamReader(cfost.stdin(), StandardCharsets.UTF_8.newDecoder()));
    }
    return Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8);
  }
}
