package dev.cfost.cli.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code cfost logs}: prints the log that {@code cfost start --daemon} appends to, {@code <db>.log}. */
@Command(name = "logs", mixinStandardHelpOptions = true,
    footer = "  cfost --db laptop.db logs --follow",
    description = "Print the daemon's log (<db>.log); with --follow, keep printing new lines until interrupted.")
final class LogsCommand implements Callable<Integer> {
  static final long POLL_MILLIS = 200;

  @ParentCommand CfostCommand cfost;
  @Spec CommandSpec spec;

  @Option(names = {"-f", "--follow"}, description = "Keep printing lines as they are written, until interrupted.")
  boolean follow;

  @Override
  public Integer call() throws IOException, InterruptedException {
    Path log = DaemonFiles.log(cfost.dbPath());
    if (!Files.exists(log)) {
      throw new CliException("no log at " + log + "; 'cfost start --daemon' writes one");
    }
    PrintWriter out = spec.commandLine().getOut();
    long offset = 0;
    while (true) {
      long before;
      do { // what is there now, chunk by chunk
        before = offset;
        offset = copy(log, offset, out);
      } while (offset != before);
      out.flush();
      if (!follow) {
        return 0;
      }
      if (out.checkError()) {
        return 1; // stdout closed (cfost logs -f | head): nobody reads any more
      }
      Thread.sleep(POLL_MILLIS);
    }
  }

  /**
   * Prints the whole lines written after {@code offset} and returns the offset after them; a partly
   * written last line waits for the next call. Starts again from the beginning if the file was truncated.
   */
  private long copy(Path log, long offset, PrintWriter out) throws IOException {
    long size;
    try {
      size = Files.size(log);
    } catch (NoSuchFileException e) {
      return 0; // deleted: print the new one from its start when it appears
    }
    if (size < offset) {
      offset = 0;
    }
    if (size == offset) {
      return offset;
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(log)) {
      in.skipNBytes(offset);
      bytes = in.readNBytes((int) Math.min(size - offset, 1 << 20));
    }
    int end = bytes.length;
    while (end > 0 && bytes[end - 1] != '\n') {
      end--;
    }
    if (end == 0) {
      // No newline in a whole chunk: print it anyway rather than stall; otherwise wait for the line's end.
      if (bytes.length < (1 << 20) && follow) {
        return offset;
      }
      end = bytes.length;
    }
    out.print(new String(bytes, 0, end, StandardCharsets.UTF_8));
    return offset + end;
  }
}
