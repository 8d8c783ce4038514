package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import dev.cfost.Change;
import dev.cfost.ChangeBatch;
import dev.cfost.ChangeJson;
import dev.cfost.Cursor;
import java.io.IOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/** Writes a replica's changes as JSON Lines, one {@link ChangeJson} object per line, batch by batch. */
final class ChangeExport {
  /** Changes read per batch: bounds memory whatever the size of the database. */
  static final int BATCH = 1000;

  private ChangeExport() {}

  /**
   * How much an export wrote.
   *
   * @param changes the number of changes (lines)
   * @param maxDbVersion the highest db_version among them, or the starting one if there were none: the
   *     {@code --since} of the next incremental export
   */
  record Summary(long changes, long maxDbVersion) {}

  /** Writes every change with a db_version greater than {@code since} to {@code out}. */
  static Summary write(Cfost db, long since, Writer out) throws IOException {
    Cursor cursor = Cursor.since(since);
    long count = 0;
    long max = since;
    while (true) {
      ChangeBatch batch = db.changes(cursor, BATCH);
      for (Change c : batch.changes()) {
        out.write(ChangeJson.write(c));
        out.write('\n');
        count++;
        max = Math.max(max, c.dbVersion());
      }
      cursor = batch.next();
      if (batch.caughtUp()) {
        out.flush();
        return new Summary(count, max);
      }
    }
  }

  /**
   * Writes the export to {@code file} through a temporary file in the same folder, synced and then
   * renamed over it, so that a failed or interrupted export leaves no partial bundle behind.
   */
  static Summary writeFile(Cfost db, long since, Path file) throws IOException {
    Path target = file.toAbsolutePath();
    if (Files.isDirectory(target)) {
      throw new CliException("cannot export to " + target + ": it is a folder");
    }
    if (!Files.isDirectory(target.getParent())) {
      throw new CliException("cannot export to " + target + ": there is no folder " + target.getParent());
    }
    // Not Files.createTempFile: its owner-only mode would stay on the bundle, which is meant to travel.
    Path tmp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
    boolean moved = false;
    try {
      Summary summary;
      try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        summary = write(db, since, w);
      }
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      moved = true;
      return summary;
    } finally {
      if (!moved) {
        Files.deleteIfExists(tmp);
      }
    }
  }
}
