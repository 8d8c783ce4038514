package dev.cfost.server;

import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.Registration;
import dev.cfost.InvalidChangeException;
import dev.cfost.Seal;
import dev.cfost.server.internal.SqliteBackup;
import dev.cfost.server.internal.PostgresServerStore;
import dev.cfost.server.internal.SqliteServerStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * Everything the sync server keeps: accounts, refresh and access tokens and devices; and per user and database id
 * the cells of the replicated tables with their clocks, the stream positions, a cursor per device, and
 * the seals of the changes.
 *
 * <p><b>Cells without a schema.</b> The server never needs the application's schema: it keeps each cell
 * by (user, database, table, packed key, column) with its causal length, col_version, value (one of the
 * five SQLite types, kept exactly: -0.0 stays -0.0) and origin site id, and merges with cfost-core's rule
 * (docs/ARCHITECTURE.md, "The merge rule"): higher causal length first, a higher one starting a new life
 * that forgets the old life's cells (even: deleted); a cell never written in this life loses to any
 * change; then higher col_version; then the greater value in cr-sqlite's order; then the greater site
 * id, whose value is written. So the server holds what a device holding the same changes would hold.
 *
 * <p><b>Stream positions.</b> Every change that wins gets the next position of its database (1, 2, ...,
 * per user and database); an entry (a cell, or a row's sentinel) lives at the position of its latest
 * change. {@link #changesAfter} reads the entries after a position in position order, so one number is a
 * complete cursor: an entry that changes moves past every reader's position. The changes read are
 * cr-sqlite shaped with {@code db_version} = position and {@code seq} = 0, origin site, col_version and
 * cl kept: a receiver's cursor after a page ending at position {@code p} is {@code Cursor.since(p)}
 * ({@code p:p:...}), and {@code cursor.complete()} is the position to read after.
 *
 * <p><b>Seals</b> are kept, not verified: the caller checks them (a device's signature, that the device
 * is the user's and not revoked) before {@link #applyBatch}. Each stored entry keeps the seal that
 * covers its change (the seal whose digests hold the change's {@code ChangeSeals.digest}); a seal is
 * stored once per database and dropped when no entry needs it any more. {@link #changesAfter} returns
 * the seals of the changes it returns, so they go to the receivers as their origin signed them.
 *
 * <p><b>Threading.</b> Implementations are thread-safe. Batches into one database are serialized (SQLite:
 * all operations on one user's file, which has one writer; PostgreSQL: the batches of one database, by
 * every process sharing it); those of different users may run in parallel.
 *
 * <p><b>Errors.</b> Malformed arguments (an id, name or key out of bounds, an unknown user) throw
 * {@link IllegalArgumentException} naming the argument and value; a refused change
 * {@link InvalidChangeException} naming its index and field; failures of the storage itself
 * {@link StoreException}. Whatever throws has changed nothing.
 */
public interface ServerStore extends AutoCloseable {
  /** The most changes one {@link #applyBatch} or {@link #changesAfter} handles. */
  int MAX_BATCH = 100_000;

  /** The embedded store: SQLite files under {@code dataDir} (created if needed), on the system clock. */
  static ServerStore openSqlite(Path dataDir) {
    return SqliteServerStore.open(dataDir, Clock.systemUTC());
  }

  /** The embedded store, with {@code clock} deciding token expiry and creation times. */
  static ServerStore openSqlite(Path dataDir, Clock clock) {
    return SqliteServerStore.open(dataDir, clock);
  }

  /**
   * Copies the embedded store in {@code dataDir} to the new directory {@code to}, consistently, while a
   * server may be using it (SQLite's {@code VACUUM INTO}, one snapshot per file; docs/SERVER.md, "Backup
   * and restore"). The copy is a data directory of its own: {@link #openSqlite} opens it.
   *
   * @return the files written
   * @throws IllegalArgumentException if {@code dataDir} holds no store, or {@code to} exists and is not empty
   * @throws StoreException if a file cannot be read or written
   */
  static List<Path> backupSqlite(Path dataDir, Path to) {
    return SqliteBackup.copy(dataDir, to);
  }

  /**
   * Restores a backup made by {@link #backupSqlite} into {@code dataDir}, which must be new or empty
   * (stop the server first), and moves every database's stream head forward (to the present time in
   * microseconds, if higher), so that devices whose cursors reach past the backup still get everything
   * written after the restore (docs/SERVER.md, "Backup and restore").
   *
   * @return the files written
   * @throws IllegalArgumentException if {@code backup} holds no store, or {@code dataDir} is not empty
   * @throws StoreException if a file cannot be read or written
   */
  static List<Path> restoreSqlite(Path backup, Path dataDir) {
    java.time.Instant now = java.time.Instant.now();
    return SqliteBackup.restore(backup, dataDir, now.getEpochSecond() * 1_000_000L + now.getNano() / 1000);
  }

  /**
   * The step after restoring a dump of the PostgreSQL store ({@code pg_restore}, every server process
   * stopped): moves every database's stream head forward to PostgreSQL's present time in microseconds, if
   * higher, as {@link #restoreSqlite} does, so that devices whose cursors reach past the dump still get
   * everything written after the restore (docs/SERVER.md, "Backup and restore").
   *
   * @param user the user, or null for the URL's
   * @param password the password, or null for the URL's
   * @return how many databases the store holds (each moved, or already past the present time)
   * @throws StoreException if PostgreSQL cannot be reached, or the database holds no server store
   */
  static int restorePostgres(String jdbcUrl, String user, String password) {
    return PostgresServerStore.moveStreamsForward(jdbcUrl, user, password);
  }

  /**
   * The shared store: PostgreSQL at {@code jdbcUrl} ({@code jdbc:postgresql://HOST:PORT/DATABASE}, the user
   * and password in the URL's {@code user} and {@code password} parameters or pgjdbc's defaults), on the
   * system clock, with a pool of {@value PostgresServerStore#DEFAULT_POOL_SIZE} connections. Several server
   * processes may open the same database at once; the store creates and migrates its tables itself.
   *
   * @throws StoreException if PostgreSQL cannot be reached, or holds a newer schema
   */
  static ServerStore openPostgres(String jdbcUrl) {
    return openPostgres(jdbcUrl, null, null, PostgresServerStore.DEFAULT_POOL_SIZE, Clock.systemUTC());
  }

  /**
   * The shared store in PostgreSQL (see {@link #openPostgres(String)}).
   *
   * @param user the user, or null for the URL's
   * @param password the password, or null for the URL's (keep it out of URLs that are logged or shown)
   * @param poolSize the most connections this process holds (1 to 1000), besides one that listens
   * @param clock decides token expiry and creation times
   */
  static ServerStore openPostgres(String jdbcUrl, String user, String password, int poolSize, Clock clock) {
    return PostgresServerStore.open(jdbcUrl, user, password, poolSize, clock);
  }

  // ---- accounts

  /**
   * Makes an account.
   *
   * @param passwordHash an Argon2id PHC string (cfost-identity's {@code PasswordHash}); checked for form
   * @throws AccountExistsException if the user id, the name or the email (without regard to case) is taken
   * @throws IllegalArgumentException if a field is out of bounds (name 1 to 64 characters, email 3 to 254
   *     with an {@code @}, no control characters)
   */
  Account createAccount(String userId, String name, String email, String passwordHash);

  /** The account of {@code userId}, if any. */
  Optional<Account> account(String userId);

  /** The account whose name or email equals {@code login} without regard to case, if any. */
  Optional<Account> accountByLogin(String login);

  // ---- refresh tokens

  /**
   * Issues a refresh token for {@code userId}, valid for {@code ttl}. Only its SHA-256 is stored; the
   * token itself (256 random bits, URL-safe base64) is returned once. Drops the user's expired tokens.
   *
   * @throws IllegalArgumentException if there is no such account or {@code ttl} is not positive
   */
  String issueRefreshToken(String userId, Duration ttl);

  /** The user of {@code token} if it was issued, has not expired and was not revoked. */
  Optional<String> refreshTokenUser(String token);

  /** Revokes one token; returns whether it was valid until now. */
  boolean revokeRefreshToken(String token);

  /** Revokes every token of {@code userId}; returns how many were valid. */
  int revokeRefreshTokens(String userId);

  // ---- access tokens

  /**
   * Issues an access token (the bearer of HTTP requests) for {@code userId}, valid for {@code ttl}: kept
   * like a refresh token (only its SHA-256; 256 random bits returned once), but a token of one kind never
   * verifies as the other. Drops the user's expired tokens.
   *
   * @throws IllegalArgumentException if there is no such account or {@code ttl} is not positive
   */
  String issueAccessToken(String userId, Duration ttl);

  /** The user of access token {@code token} if it was issued, has not expired and was not revoked. */
  Optional<String> accessTokenUser(String token);

  /** Revokes one access token; returns whether it was valid until now. */
  boolean revokeAccessToken(String token);

  /** Revokes every access token of {@code userId}; returns how many were valid. */
  int revokeAccessTokens(String userId);

  // ---- device tokens and the identity user

  /**
   * Issues a device token (the bearer of {@code /v1/sync}) for a device of {@code userId} that proved
   * its key: kept like an access token (SHA-256 only), never valid as another kind.
   *
   * @throws IllegalArgumentException if {@code deviceId} is not a device of {@code userId}, or {@code ttl}
   *     is not positive
   */
  String issueDeviceToken(String userId, String deviceId, Duration ttl);

  /**
   * The device of a device token that was issued, has not expired and was not revoked; the device may
   * have been revoked since (see {@link ServerDevice#revoked}).
   */
  Optional<ServerDevice> deviceTokenDevice(String token);

  /**
   * Binds the account to the cfost-identity user {@code identityUser} (the user of its devices'
   * databases) if it is not bound yet, and returns the binding, which never changes afterwards.
   *
   * @throws IllegalArgumentException for an unknown account or a malformed identity user id
   */
  String bindIdentityUser(String userId, String identityUser);

  /** The identity user the account is bound to, if any. */
  Optional<String> identityUser(String userId);

  // ---- device challenges

  /** The most challenges one user has outstanding: issuing one more drops the user's oldest. */
  int MAX_CHALLENGES_PER_USER = 100;

  /**
   * Issues a challenge that a device of {@code userId} signs to prove its key: 32 random bytes, valid for
   * {@code ttl}, single use. Kept in the store, not in a process, so that with several server processes
   * sharing one store the proof may reach another process than the challenge. Drops expired challenges
   * (everyone's) and, past {@link #MAX_CHALLENGES_PER_USER}, the user's oldest: storage stays bounded.
   *
   * @throws IllegalArgumentException if there is no such account or {@code ttl} is not positive
   */
  byte[] issueChallenge(String userId, Duration ttl);

  /**
   * Uses a challenge: whether it was issued for {@code userId}, has not expired and was not used. Either way
   * it is gone: of two uses at once, from any processes, at most one succeeds.
   */
  boolean useChallenge(String userId, byte[] challenge);

  // ---- devices

  /**
   * Adds or updates a device of {@code userId}, following the user's replicated device list. A revocation
   * is final: a device once revoked stays revoked whatever is put later.
   *
   * @throws IllegalArgumentException if there is no such account, {@code deviceId} is not the id of
   *     {@code publicKey}, or the device belongs to another user
   */
  void putDevice(String userId, String deviceId, byte[] publicKey, boolean revoked);

  /** The device with this id, if known. */
  Optional<ServerDevice> device(String deviceId);

  /** The devices of {@code userId}, revoked ones included, by device id. */
  List<ServerDevice> devices(String userId);

  // ---- cells, stream, seals, cursors

  /**
   * Merges a batch into the user's database {@code databaseId}: all or nothing, idempotent, in any order
   * of delivery. Every change is validated first ({@code table} and {@code cid} 1 to 128 characters,
   * {@code pk} a minimal cr-sqlite packed key without NULL parts, 16-byte site id, cfost-core's bounds on
   * {@code cl} and {@code col_version}, a SQLite value, a NULL sentinel value, sizes bounded); seals
   * are checked for form only (see above). The database is created by its first batch.
   *
   * @throws InvalidChangeException naming the first refused change; nothing is applied
   * @throws IllegalArgumentException for an unknown user, a malformed database id or seal, or more than
   *     {@link #MAX_BATCH} changes
   */
  default ApplyResult applyBatch(String userId, String databaseId, List<Change> changes, List<Seal> seals) {
    return applyBatch(userId, databaseId, changes, seals, null, null, null);
  }

  /**
   * Like {@link #applyBatch(String, String, List, List)}, for a batch of device {@code fromDevice}'s stream
   * that continues the cursor {@code expectedFrom}: a compare-and-set of the device's cursor. In one
   * transaction the store checks that the cursor it holds for the device ({@link #receivedCursor}) is still
   * {@code expectedFrom}, merges the batch and saves {@code cursor} as the device's new one, so that a sync
   * resumes where the last committed batch ended. If the held cursor is another, nothing is stored and the
   * result says so ({@link ApplyResult#stored()} false, {@link ApplyResult#held()} the cursor held): of two
   * batches that continue one cursor, sent through two sessions of one device on two processes sharing the
   * store, exactly one is stored. The three device arguments are all given, or all null for a batch of no
   * device's stream (as the four-argument form).
   *
   * @throws InvalidChangeException naming the first refused change; nothing is applied
   * @throws IllegalArgumentException as the other {@code applyBatch}, or for a malformed device id
   */
  default ApplyResult applyBatch(String userId, String databaseId, List<Change> changes, List<Seal> seals,
      String fromDevice, Cursor expectedFrom, Cursor cursor) {
    return applyBatch(userId, databaseId, changes, seals, fromDevice, expectedFrom, cursor, null);
  }

  /**
   * Like the seven-argument {@code applyBatch}, with each change's digest ({@code ChangeSeals.digest}, in the
   * order of {@code changes}) as the caller computed them checking the batch's seals, so that the store does
   * not compute them again to find each entry's seal; null: the store computes them.
   *
   * @throws IllegalArgumentException as the other {@code applyBatch}, or if {@code digests} does not
   *     have one 32-byte digest per change
   */
  ApplyResult applyBatch(String userId, String databaseId, List<Change> changes, List<Seal> seals,
      String fromDevice, Cursor expectedFrom, Cursor cursor, List<byte[]> digests);

  /**
   * Reads up to {@code limit} changes after {@code position} in stream order, with their seals. A row's
   * sentinel is included as cfost-core's {@code ChangeReader} includes it: for a deleted or resurrected
   * row (causal length above 1), and for a row without cells; a plain insert's cells carry its causal
   * length. A page also ends once its keys and values pass about 8 MiB (it always holds at least one
   * change), so memory is bounded whatever the limit; an unknown database reads as empty.
   *
   * @throws IllegalArgumentException if {@code position < 0} or {@code limit} is not 1 to
   *     {@link #MAX_BATCH}
   */
  StoredChanges changesAfter(String userId, String databaseId, long position, int limit);

  /** The last position handed out in the database's stream; 0 for an empty or unknown database. */
  long head(String userId, String databaseId);

  /**
   * The current cells of one table of a database, sentinels left out, each as a change (its stream
   * position as {@code dbVersion}); at most {@code limit}, in key order. For the small tables the server
   * itself reads (the user's device list).
   */
  List<Change> tableCells(String userId, String databaseId, String table, int limit);

  /** The ids of the user's databases that have received changes, in order. */
  List<String> databases(String userId);

  /** The cursor saved for the stream of {@code deviceId} ({@code Cursor.START} if none). */
  Cursor receivedCursor(String userId, String databaseId, String deviceId);

  /** Records that {@code deviceId} merged and persisted the server's stream up to {@code position}. */
  void acknowledge(String userId, String databaseId, String deviceId, long position);

  /** The position {@code deviceId} last acknowledged in the server's stream (0 if none). */
  long acknowledged(String userId, String databaseId, String deviceId);

  /**
   * Calls {@code listener} with the user id and database id after each committed batch that moved that
   * database's stream head, whichever process committed it (with several server processes sharing one
   * store, the others' batches too). A call may come late or stand for several batches, never early: a
   * reader that is woken re-reads by position, so a lost call delays and never loses. The listener runs on
   * a thread of the store and must not block.
   */
  Registration onCommit(BiConsumer<String, String> listener);

  /** Closes the store's files; later calls throw {@link IllegalStateException}. Idempotent. */
  @Override
  void close();
}
