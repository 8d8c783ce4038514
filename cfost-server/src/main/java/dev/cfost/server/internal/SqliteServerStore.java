package dev.cfost.server.internal;

import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.Registration;
import dev.cfost.Seal;
import dev.cfost.server.ApplyResult;
import dev.cfost.server.ServerStore;
import dev.cfost.server.StoreException;
import dev.cfost.server.StoredChanges;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The embedded {@link ServerStore}: SQLite files under a data directory.
 * <pre>
 *   DIR/lock              held while a store has the directory open (one server process per directory)
 *   DIR/accounts.db       accounts, refresh and access tokens, devices
 *   DIR/users/USER.db     one file per user: the cells, positions, seals and cursors of all its databases
 * </pre>
 * One file per user, not per database and not one for all: a user's data is separate on disk (nothing
 * in one user's file names another user, so no query can leak across users; a user is backed up, moved
 * or deleted as one file), and users write in parallel (SQLite has one writer per file) while a user's
 * few databases share one file and one connection. At most {@link #MAX_OPEN_USERS} user files are open at
 * once, the least recently used closed first, so memory does not grow with the number of users.
 *
 * <p>Thread-safe: each file has one connection used under its lock ({@link StoreFile}).
 */
public final class SqliteServerStore extends AccountsStore {
  private final List<BiConsumer<String, String>> commitListeners = new CopyOnWriteArrayList<>();
  /** User files kept open; each holds a connection and SQLite's page cache. */
  public static final int MAX_OPEN_USERS = 64;

  private final Path dir;
  private final FileChannel lockChannel;
  private final FileLock lock;
  /** Open user files, least recently used first. Guarded by {@code this}. */
  private final LinkedHashMap<String, UserFile> open = new LinkedHashMap<>(16, 0.75f, true);
  private boolean closed; // guarded by this

  private SqliteServerStore(Path dir, Accounts accounts, FileChannel lockChannel, FileLock lock) {
    super(accounts, true); // the directory's lock: no other process writes its accounts
    this.dir = dir;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /** Opens (creating if needed) the store in {@code dataDir}. */
  public static SqliteServerStore open(Path dataDir, Clock clock) {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(clock, "clock");
    FileChannel channel = null;
    try {
      createOwnerOnly(dataDir);
      createOwnerOnly(dataDir.resolve("users"));
      channel = FileChannel.open(dataDir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        throw new StoreException("the data directory " + dataDir + " is in use by another server store");
      }
      try {
        return new SqliteServerStore(dataDir, Accounts.open(dataDir.resolve("accounts.db"), clock), channel, lock);
      } catch (RuntimeException e) {
        lock.release();
        throw e;
      }
    } catch (IOException e) {
      closeQuietly(channel);
      throw new StoreException("cannot open the data directory " + dataDir + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  /** Creates {@code dir} if missing, readable by its owner only where the file system has POSIX modes. */
  private static void createOwnerOnly(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    Files.createDirectories(dir);
    if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      // Password and token hashes, devices and every user's data: nobody else's to read.
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
  }


  @Override
  public ApplyResult applyBatch(String userId, String databaseId, List<Change> changes, List<Seal> seals,
      String fromDevice, Cursor expectedFrom, Cursor cursor, List<byte[]> digests) {
    String db = WireChecks.databaseId(databaseId);
    if ((fromDevice == null) != (cursor == null) || (fromDevice == null) != (expectedFrom == null)) {
      throw new IllegalArgumentException("fromDevice, expectedFrom and cursor are all given or all null");
    }
    String device = fromDevice == null ? null : WireChecks.deviceId(fromDevice);
    // Copied before the checks, so that the caller's lists cannot change between check and merge.
    List<Change> batch = changes == null ? null : new ArrayList<>(changes);
    List<Seal> sealList = seals == null ? null : new ArrayList<>(seals);
    WireChecks.changes(batch);
    WireChecks.seals(sealList);
    List<byte[]> digestList = WireChecks.digests(digests, batch);
    return withUser(userId, f -> f.apply(db, batch, sealList, digestList, device, expectedFrom, cursor, () -> {
      for (BiConsumer<String, String> l : commitListeners) {
        try {
          l.accept(userId, db);
        } catch (RuntimeException e) {
          org.slf4j.LoggerFactory.getLogger(SqliteServerStore.class).error("a commit listener failed", e);
        }
      }
    }));
  }

  @Override
  public Registration onCommit(BiConsumer<String, String> listener) {
    Objects.requireNonNull(listener, "listener");
    commitListeners.add(listener);
    return () -> commitListeners.remove(listener);
  }

  @Override
  public StoredChanges changesAfter(String userId, String databaseId, long position, int limit) {
    String db = WireChecks.databaseId(databaseId);
    if (position < 0) {
      throw new IllegalArgumentException("a stream position is >= 0, not " + position);
    }
    if (limit < 1 || limit > MAX_BATCH) {
      throw new IllegalArgumentException("limit must be 1 to " + MAX_BATCH + ", not " + limit);
    }
    return withUser(userId, f -> f.changesAfter(db, position, limit));
  }

  @Override
  public long head(String userId, String databaseId) {
    String db = WireChecks.databaseId(databaseId);
    return withUser(userId, f -> f.head(db));
  }

  @Override
  public List<Change> tableCells(String userId, String databaseId, String table, int limit) {
    String db = WireChecks.databaseId(databaseId);
    if (table == null || table.isEmpty() || table.length() > 128) {
      throw new IllegalArgumentException("table name '" + WireChecks.printable(table) + "' is not valid");
    }
    if (limit < 1 || limit > MAX_BATCH) {
      throw new IllegalArgumentException("limit must be 1 to " + MAX_BATCH + ": " + limit);
    }
    return withUser(userId, f -> f.tableCells(db, table, limit));
  }

  @Override
  public List<String> databases(String userId) {
    return withUser(userId, UserFile::databases);
  }

  @Override
  public Cursor receivedCursor(String userId, String databaseId, String deviceId) {
    String db = WireChecks.databaseId(databaseId);
    String device = WireChecks.deviceId(deviceId);
    return withUser(userId, f -> f.receivedCursor(db, device));
  }

  @Override
  public void acknowledge(String userId, String databaseId, String deviceId, long position) {
    String db = WireChecks.databaseId(databaseId);
    String device = WireChecks.deviceId(deviceId);
    if (position < 0) {
      throw new IllegalArgumentException("a stream position is >= 0, not " + position);
    }
    withUser(userId, f -> {
      f.acknowledge(db, device, position);
      return null;
    });
  }

  @Override
  public long acknowledged(String userId, String databaseId, String deviceId) {
    String db = WireChecks.databaseId(databaseId);
    String device = WireChecks.deviceId(deviceId);
    return withUser(userId, f -> f.acknowledged(db, device));
  }

  /**
   * Runs {@code work} on the user's file, opening it if needed. A file closed by eviction between being
   * handed out and used is opened again.
   */
  private <T> T withUser(String userId, Function<UserFile, T> work) {
    WireChecks.userId(userId);
    while (true) {
      UserFile file = userFile(userId);
      try {
        return work.apply(file);
      } catch (StoreFile.Closed e) {
        checkOpen(); // closed with the store: say so; evicted: open it again
      }
    }
  }

  /**
   * A user's file, named by a hash of the user id rather than the id itself: on a file system that
   * ignores case (macOS, Windows) 'alice' and 'ALICE' would otherwise share one file, and some names
   * (CON, NUL) are devices there.
   */
  public static java.nio.file.Path userFilePath(java.nio.file.Path dir, String userId) {
    try {
      byte[] h = java.security.MessageDigest.getInstance("SHA-256").digest(userId.getBytes(
          java.nio.charset.StandardCharsets.UTF_8));
      return dir.resolve("users").resolve(java.util.HexFormat.of().formatHex(h, 0, 16) + ".db");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private synchronized UserFile userFile(String userId) {
    checkOpen();
    UserFile f = open.get(userId);
    if (f != null) {
      return f;
    }
    if (!accounts.exists(userId)) {
      throw new IllegalArgumentException("no account with user id '" + userId + "'");
    }
    f = UserFile.open(userFilePath(dir, userId));
    open.put(userId, f);
    evict(f);
    return f;
  }

  /** Closes the least recently used files beyond the limit but {@code keep}; one in use is skipped. */
  private void evict(UserFile keep) {
    Iterator<Map.Entry<String, UserFile>> it = open.entrySet().iterator();
    while (open.size() > MAX_OPEN_USERS && it.hasNext()) {
      UserFile f = it.next().getValue();
      if (f != keep && f.file.lock.tryLock()) {
        try {
          f.close();
          it.remove();
        } finally {
          f.file.lock.unlock();
        }
      }
    }
  }

  @Override
  protected synchronized void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the server store is closed");
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (UserFile f : open.values()) {
      f.close(); // waits for a transaction in progress (the file's lock)
    }
    open.clear();
    accounts.close();
    try {
      lock.release();
    } catch (IOException ignored) {
      // closing the channel releases it too
    }
    closeQuietly(lockChannel);
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing more to do
      }
    }
  }
}
