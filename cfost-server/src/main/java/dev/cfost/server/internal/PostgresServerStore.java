package dev.cfost.server.internal;

import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.Registration;
import dev.cfost.Seal;
import dev.cfost.server.ApplyResult;
import dev.cfost.server.ServerStore;
import dev.cfost.server.StoreException;
import dev.cfost.server.StoredChanges;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import org.slf4j.LoggerFactory;

/**
 * The {@link ServerStore} in PostgreSQL, which several server processes share: each holds a bounded pool
 * ({@link PostgresPool}) and one listening connection ({@link CommitChannel}). The tables
 * ({@link PostgresSchema}) hold what SQLite's files hold; accounts, tokens and devices go through the
 * same {@link Accounts}, and batches through the same {@link CellMerge} rule, over {@link PostgresCells}.
 *
 * <p>Across processes: the batches of one database are serialized by the lock of its {@code dbs} row,
 * which also keeps positions in commit order ({@link PostgresDatabases}); every batch that moves a head
 * sends one notification, which wakes the other processes' listeners. The {@code /ws} documents live in
 * the same database ({@link #documents()}), and their notifications come through the same listening
 * connection.
 *
 * <p>Thread-safe. Operations on different databases run in parallel, up to the pool's size.
 */
public final class PostgresServerStore extends AccountsStore {
  /** Connections of the pool when none is asked for. */
  public static final int DEFAULT_POOL_SIZE = 10;
  /** Known user ids; accounts are never deleted, so a user once found stays. Bounded by clearing. */
  private static final int MAX_KNOWN_USERS = 100_000;

  private final PostgresPool pool;
  private final PostgresDatabases databases;
  private final CopyOnWriteArrayList<BiConsumer<String, String>> commitListeners = new CopyOnWriteArrayList<>();
  private final CopyOnWriteArrayList<CommitChannel.DocumentListener> documentListeners = new CopyOnWriteArrayList<>();
  private final CommitChannel channel;
  private final PostgresDocumentBackend documents;
  private final Set<String> knownUsers = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private PostgresServerStore(PostgresPool pool, Clock clock) {
    super(Accounts.over(pool, clock), false); // other server processes write the same devices
    this.pool = pool;
    byte[] id = new byte[6];
    new SecureRandom().nextBytes(id);
    String origin = HexFormat.of().formatHex(id); // names this store's notifications, which it skips
    this.databases = new PostgresDatabases(pool, origin);
    this.channel = CommitChannel.start(pool, origin, commitListeners, documentListeners);
    this.documents = new PostgresDocumentBackend(pool, origin, clock, documentListeners);
  }

  /** The {@code /ws} documents kept in this store's PostgreSQL, shared by every process on it. */
  DocumentBackend documents() {
    return documents;
  }

  /**
   * Connects, creates or migrates the schema, and starts listening for commits.
   *
   * @param user null for the URL's own ({@code ?user=}) or the driver's default
   * @param password null for the URL's own or none
   * @throws StoreException if PostgreSQL cannot be reached, or its schema is newer or not a CFOST server's
   */
  public static PostgresServerStore open(String jdbcUrl, String user, String password, int poolSize, Clock clock) {
    Objects.requireNonNull(clock, "clock");
    if (poolSize < 1 || poolSize > 1000) {
      throw new IllegalArgumentException("the pool size must be 1 to 1000, not " + poolSize);
    }
    PostgresPool pool = PostgresPool.open(jdbcUrl, user, password, poolSize);
    try {
      pool.tx("creating or migrating the store's schema", c -> {
        PostgresSchema.migrate(c, PostgresSchema.MIGRATIONS);
        return null;
      });
      return new PostgresServerStore(pool, clock);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
  }

  /** Moves every stream head forward to at least the present time in microseconds (after a restore). */
  public static final String STREAMS_FORWARD = "UPDATE dbs SET head = GREATEST(head,"
      + " (extract(epoch FROM clock_timestamp()) * 1000000)::bigint), changed_at = now()";

  /**
   * After a dump was restored into the database at {@code jdbcUrl} (every server process stopped), moves
   * every database's stream head forward to at least PostgreSQL's present time in microseconds, as
   * {@link SqliteBackup#restore} does for SQLite files, in one transaction under the migration lock:
   * {@link #STREAMS_FORWARD}, the statement docs/SERVER.md ("Backup and restore") gives.
   *
   * @return how many databases there are (each moved, or already past the present time)
   * @throws StoreException if PostgreSQL cannot be reached or the database is not a CFOST server's
   */
  public static int moveStreamsForward(String jdbcUrl, String user, String password) {
    try (PostgresPool pool = PostgresPool.open(jdbcUrl, user, password, 1)) {
      return pool.tx("moving the stream heads forward", c -> {
        try (java.sql.Statement s = c.createStatement()) {
          s.execute("SELECT pg_advisory_xact_lock(" + PostgresSchema.MIGRATION_LOCK + ")");
          boolean ours;
          try (java.sql.ResultSet rs = s.executeQuery("SELECT to_regclass('meta') IS NOT NULL")) {
            rs.next();
            ours = rs.getBoolean(1);
          }
          if (ours) {
            try (java.sql.ResultSet rs = s.executeQuery("SELECT value FROM meta WHERE key = 'kind'")) {
              ours = rs.next() && PostgresSchema.KIND.equals(rs.getString(1));
            }
          }
          if (!ours) {
            throw new StoreException("the PostgreSQL database holds no CFOST server store (no meta table of kind "
                + PostgresSchema.KIND + "): restore the dump into it first");
          }
        }
        try (java.sql.Statement s = c.createStatement()) {
          return s.executeUpdate(STREAMS_FORWARD);
        }
      });
    }
  }

  /** Whether the listening connection is up (commits of other processes wake this one's listeners). */
  public boolean listening() {
    return channel.listening();
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
    requireUser(userId);
    PostgresDatabases.Applied done = databases.apply(userId, db, batch, sealList, digestList, device, expectedFrom, cursor);
    if (done.movedHead()) {
      committed(userId, db); // this process's listeners at once; the others' through the notification
    }
    return done.result();
  }

  private void committed(String userId, String db) {
    for (BiConsumer<String, String> l : commitListeners) {
      try {
        l.accept(userId, db);
      } catch (RuntimeException e) {
        LoggerFactory.getLogger(PostgresServerStore.class).error("a commit listener failed", e);
      }
    }
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
    requireUser(userId);
    return databases.changesAfter(userId, db, position, limit);
  }

  @Override
  public long head(String userId, String databaseId) {
    String db = WireChecks.databaseId(databaseId);
    requireUser(userId);
    return databases.head(userId, db);
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
    requireUser(userId);
    return databases.tableCells(userId, db, table, limit);
  }

  @Override
  public List<String> databases(String userId) {
    requireUser(userId);
    return databases.databases(userId);
  }

  @Override
  public Cursor receivedCursor(String userId, String databaseId, String deviceId) {
    String db = WireChecks.databaseId(databaseId);
    String device = WireChecks.deviceId(deviceId);
    requireUser(userId);
    return databases.receivedCursor(userId, db, device);
  }

  @Override
  public void acknowledge(String userId, String databaseId, String deviceId, long position) {
    String db = WireChecks.databaseId(databaseId);
    String device = WireChecks.deviceId(deviceId);
    if (position < 0) {
      throw new IllegalArgumentException("a stream position is >= 0, not " + position);
    }
    requireUser(userId);
    databases.acknowledge(userId, db, device, position);
  }

  @Override
  public long acknowledged(String userId, String databaseId, String deviceId) {
    String db = WireChecks.databaseId(databaseId);
    String device = WireChecks.deviceId(deviceId);
    requireUser(userId);
    return databases.acknowledged(userId, db, device);
  }

  /** Checks the user id and that its account exists (as opening a SQLite user file does). */
  private void requireUser(String userId) {
    WireChecks.userId(userId);
    checkOpen();
    if (knownUsers.contains(userId)) {
      return;
    }
    if (!accounts.exists(userId)) {
      throw new IllegalArgumentException("no account with user id '" + userId + "'");
    }
    if (knownUsers.size() >= MAX_KNOWN_USERS) {
      knownUsers.clear();
    }
    knownUsers.add(userId);
  }

  @Override
  protected void checkOpen() {
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
    documents.close(); // stops pushing document updates (the /ws endpoint closed it already, if it ran)
    channel.close();
    pool.close(); // waits for transactions in progress
  }
}
