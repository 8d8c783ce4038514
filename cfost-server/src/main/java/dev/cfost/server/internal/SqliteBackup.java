package dev.cfost.server.internal;

import dev.cfost.server.StoreException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A copy of the embedded store's files taken while a server may be writing them: each file through
 * SQLite's {@code VACUUM INTO}, which reads one snapshot of the file (WAL lets writers go on meanwhile)
 * and writes it compacted, as a database of its own. Each file's copy is consistent; the files are read
 * one after another, {@code accounts.db} first, so a user's file may hold writes made after the accounts
 * were read (a later device or token is then missing from the copy, never half of one).
 *
 * <p>Uses connections of its own and never takes the directory's lock: it runs beside a server, in
 * another process or the same one.
 */
public final class SqliteBackup {
  /** User files are named by a hash ({@link SqliteServerStore#userFilePath}); anything else is not the store's. */
  private static final Pattern USER_FILE = Pattern.compile("[0-9a-f]{32}\\.db");

  private SqliteBackup() {}

  /**
   * Copies the store in {@code dataDir} to {@code target}, which is created (owner-only) and must not
   * hold anything yet. Each copy is checked ({@code PRAGMA quick_check}) before the next file is read.
   *
   * @return the files written, {@code accounts.db} first
   * @throws IllegalArgumentException if {@code dataDir} holds no store or {@code target} is not empty
   * @throws StoreException if a file cannot be read or written
   */
  public static List<Path> copy(Path dataDir, Path target) {
    Path accounts = dataDir.resolve("accounts.db");
    if (!Files.isRegularFile(accounts)) {
      throw new IllegalArgumentException(dataDir + " holds no server store: it has no accounts.db");
    }
    try {
      if (Files.exists(target) && !isEmptyDirectory(target)) {
        throw new IllegalArgumentException("the backup directory " + target + " is not empty; name a new one");
      }
      if (target.toAbsolutePath().normalize().startsWith(dataDir.toAbsolutePath().normalize())) {
        throw new IllegalArgumentException("the backup directory " + target + " is inside the data directory "
            + dataDir);
      }
      createOwnerOnly(target);
      createOwnerOnly(target.resolve("users"));
      List<Path> written = new ArrayList<>();
      written.add(copyFile(accounts, target.resolve("accounts.db")));
      for (Path user : userFiles(dataDir.resolve("users"))) {
        written.add(copyFile(user, target.resolve("users").resolve(user.getFileName())));
      }
      return written;
    } catch (IOException e) {
      throw new StoreException("cannot back up " + dataDir + " to " + target + ": " + e.getMessage(), e);
    }
  }

  /**
   * Restores a backup made by {@link #copy} into {@code dataDir}, which must be new or empty (the server
   * stopped), and moves every database's stream head forward to at least the present time in
   * microseconds: positions the server hands out after the restore are then above every position it gave
   * out before it (devices hold cursors up to those), as long as it handed out fewer than one per
   * microsecond on average; a device's cursor must never reach over changes it did not get.
   *
   * @return the files written, {@code accounts.db} first
   */
  public static List<Path> restore(Path backup, Path dataDir, long nowMicros) {
    List<Path> written = copy(backup, dataDir);
    for (Path f : written.subList(1, written.size())) {
      try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + f);
          PreparedStatement ps = c.prepareStatement("UPDATE dbs SET head = max(head, ?)")) {
        ps.setLong(1, nowMicros);
        ps.executeUpdate();
      } catch (SQLException e) {
        throw new StoreException("cannot move the stream heads of " + f + " forward: " + e.getMessage(), e);
      }
    }
    return written;
  }

  private static List<Path> userFiles(Path users) throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(users)) {
      return out;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(users)) {
      for (Path f : files) {
        if (USER_FILE.matcher(f.getFileName().toString()).matches() && Files.isRegularFile(f)) {
          out.add(f);
        }
      }
    }
    out.sort(null);
    return out;
  }

  private static Path copyFile(Path from, Path to) throws IOException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + from)) {
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA busy_timeout = 10000"); // a checkpoint in progress holds the file briefly
      }
      try (PreparedStatement ps = c.prepareStatement("VACUUM INTO ?")) {
        ps.setString(1, to.toString());
        ps.execute();
      }
    } catch (SQLException e) {
      throw new StoreException("cannot copy " + from + " to " + to + ": " + e.getMessage(), e);
    }
    if (to.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Files.setPosixFilePermissions(to, PosixFilePermissions.fromString("rw-------"));
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + to);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA quick_check")) {
      String result = rs.next() ? rs.getString(1) : "no answer";
      if (!"ok".equals(result)) {
        throw new StoreException("the copy " + to + " of " + from + " fails its check: " + result);
      }
    } catch (SQLException e) {
      throw new StoreException("cannot check the copy " + to + ": " + e.getMessage(), e);
    }
    return to;
  }

  private static boolean isEmptyDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      return !entries.iterator().hasNext();
    }
  }

  private static void createOwnerOnly(Path dir) throws IOException {
    Files.createDirectories(dir);
    if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
  }
}
