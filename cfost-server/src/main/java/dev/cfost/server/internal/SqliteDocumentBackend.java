package dev.cfost.server.internal;

import dev.cfost.Cfost;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The {@code /ws} documents of the SQLite store: one Cfost database file per account,
 * {@code DATA/documents/<user>.db} (owner-only), used through {@link Cfost#documents}. One process holds
 * the data directory, so no update comes from elsewhere.
 */
final class SqliteDocumentBackend implements DocumentBackend {
  private static final Pattern FILE_SAFE = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  private final Path dir;

  SqliteDocumentBackend(Path dir) {
    this.dir = dir;
  }

  @Override
  public Opened open(String user) {
    if (!FILE_SAFE.matcher(user).matches()) {
      throw new DocumentMessages.Refused("documents_unavailable", "this account's id cannot name a file");
    }
    Cfost db = openFile(user);
    return Opened.of(db.documents(user), db::close);
  }

  private Cfost openFile(String user) {
    try {
      Files.createDirectories(dir);
      try {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system: its defaults apply, as for the server's other files
      }
      Path file = dir.resolve(user + ".db");
      try {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (FileAlreadyExistsException e) {
        // an earlier connection made it
      } catch (UnsupportedOperationException e) {
        Files.createFile(file);
      }
      return Cfost.open(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the documents of '" + user + "' under " + dir, e);
    }
  }

  @Override
  public void pushRemoteUpdates(Predicate<String> here, Consumer<Committed> push) {
    // one process holds the files: every update is this process's own, pushed by its connection
  }

  @Override
  public void close() {
    // the files are closed with their accounts
  }
}
