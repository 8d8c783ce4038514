package dev.cfost.server.internal;

import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.Seal;
import dev.cfost.net.SyncException;
import dev.cfost.InvalidChangeException;
import dev.cfost.server.ServerDevice;
import dev.cfost.server.ServerStore;
import dev.cfost.server.StoredChanges;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sync sessions of one server process: who is connected to which user's database, the merge of
 * received batches into the store, and the wake-ups that stream each commit to the other devices.
 *
 * <p>A batch is checked ({@link SealCheck} against the user's device list as the server holds it),
 * merged with the device's cursor in one store transaction, and then every session of that database
 * is woken; a batch that writes the device list makes the server follow it ({@link DeviceList}), and a
 * device found revoked is cut off at once, live sessions included. Thread-safe.
 */
public final class SyncService implements AutoCloseable {
  /** A session that heard nothing for this long is closed; devices ping every 10 s. */
  static final long SILENCE_NANOS = TimeUnit.SECONDS.toNanos(35);
  private static final Logger LOG = LoggerFactory.getLogger(SyncService.class);

  final ServerStore store;
  final DeviceList devices;
  final SyncMetrics metrics;
  final ExecutorService executor;
  private final ScheduledExecutorService timer;
  private final Map<String, Set<SyncSession>> sessions = new ConcurrentHashMap<>();
  private final Map<String, Object> userLocks = new ConcurrentHashMap<>();
  /** Bumped after each commit to a database (by user and database), before its sessions are woken. */
  private final Map<String, AtomicLong> generations = new ConcurrentHashMap<>();
  /** The last small page read at the head of each database's stream, shared by its sessions. */
  private final Map<String, Page> livePages = new ConcurrentHashMap<>();

  /** A page of a database's stream as read in one generation, with the stream's head then. */
  record Page(long generation, long position, StoredChanges changes, long head) {}

  /** Pages of at most this many changes at the head of the stream are shared (a live commit's). */
  static final int SHARED_PAGE_CHANGES = 256;

  /** The sync service of a server over {@code store}, streaming on {@code threads} threads. */
  public static SyncService create(ServerStore store, int threads) {
    return new SyncService(store, SyncMetrics.NONE, threads);
  }

  SyncService(ServerStore store, SyncMetrics metrics, int threads) {
    this.store = store;
    this.devices = new DeviceList(store);
    this.metrics = metrics;
    this.executor = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "cfost-sync");
      t.setDaemon(true);
      return t;
    });
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "cfost-sync-timer");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(this::closeSilent, 5, 5, TimeUnit.SECONDS);
  }

  /** The server's site id in a user's database: stable, and never a device's (a hash of its own). */
  byte[] serverSite(String userId, String databaseId) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(("cfost-server-site-v1\0" + userId + "\0" + databaseId)
          .getBytes(StandardCharsets.UTF_8));
      return Arrays.copyOf(h, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  void register(SyncSession s) {
    sessions.computeIfAbsent(key(s.userId, s.databaseId), k -> ConcurrentHashMap.newKeySet()).add(s);
    metrics.connectionOpened(s.out.transport());
  }

  void unregister(SyncSession s) {
    String key = key(s.userId, s.databaseId);
    Set<SyncSession> set = sessions.get(key);
    if (set != null && set.remove(s)) {
      metrics.connectionClosed(s.out.transport(), "closed");
    }
    if (set == null || set.isEmpty()) {
      livePages.remove(key);
    }
  }

  /**
   * The stream of a database after {@code position}: one page of at most {@link SyncSession#BATCH_CHANGES}
   * changes and the head. After a commit every session of the database that is caught up reads from the
   * same position; a small page at the head of the stream is kept until the next commit and served to
   * all of them, so that a commit fanned out to a thousand devices is read from the store once rather
   * than a thousand times (each a transaction on the user's file, one at a time). Larger pages (a device
   * catching up) are not kept: the heap holds at most one small page per database with sessions.
   */
  Page page(String userId, String databaseId, long position) {
    String key = key(userId, databaseId);
    long generation = generations.computeIfAbsent(key, k -> new AtomicLong()).get();
    Page p = livePages.get(key);
    if (p != null && p.generation() == generation && p.position() == position) {
      return p;
    }
    StoredChanges changes = store.changesAfter(userId, databaseId, position, SyncSession.BATCH_CHANGES);
    p = new Page(generation, position, changes, store.head(userId, databaseId));
    Set<SyncSession> open = sessions.get(key);
    if (changes.caughtUp() && changes.changes().size() <= SHARED_PAGE_CHANGES && open != null && !open.isEmpty()) {
      livePages.put(key, p); // read in 'generation': a commit since has bumped it, and the page is not served
    }
    return p;
  }

  /** How many sessions are open. */
  int openSessions() {
    return sessions.values().stream().mapToInt(Set::size).sum();
  }

  /**
   * Checks and merges a batch of device {@code deviceId}, saving {@code cursor} with it, then wakes the
   * database's other sessions and follows the device list if the batch wrote it.
   *
   * @throws SyncException refusing the batch (nothing of it stored)
   */
  void receive(String user, String db, String deviceId, List<Change> changes, List<Seal> seals, Cursor cursor) {
    ServerDevice self = store.device(deviceId).orElse(null);
    if (self == null || self.revoked() || !self.userId().equals(user)) {
      throw new SyncException("unauthorized", "device " + deviceId + " is revoked");
    }
    long start = System.nanoTime();
    synchronized (userLocks.computeIfAbsent(user + "\0" + db, k -> new Object())) {
      Map<String, ServerDevice> known = new HashMap<>();
      for (ServerDevice d : store.devices(user)) {
        known.put(d.deviceId(), d);
      }
      String identityUser = store.identityUser(user).orElseThrow(() ->
          new SyncException("unauthorized", "the account is bound to no identity user"));
      SealCheck.verify(db, changes, seals, known, devices.sites(user, db), identityUser);
      try {
        store.applyBatch(user, db, changes, seals, deviceId, cursor);
      } catch (InvalidChangeException | IllegalArgumentException e) {
        throw new SyncException("invalid_change", e.getMessage());
      }
    }
    generations.computeIfAbsent(key(user, db), k -> new AtomicLong()).incrementAndGet();
    metrics.recordMerge(System.nanoTime() - start);
    metrics.changesIn(changes.size());
    if (DeviceList.touches(changes)) {
      for (String revoked : devices.follow(user, db).newlyRevoked()) {
        cut(user, revoked);
      }
    }
    committed(user, db);
  }

  /** Wakes every session of the database: there is something new to stream. */
  void committed(String userId, String databaseId) {
    Set<SyncSession> set = sessions.get(key(userId, databaseId));
    if (set != null) {
      for (SyncSession s : set) {
        s.wake();
      }
    }
  }

  /** Ends every session of a device now revoked. */
  void cut(String userId, String deviceId) {
    for (Set<SyncSession> set : sessions.values()) {
      for (SyncSession s : set) {
        if (s.userId.equals(userId) && s.deviceId.equals(deviceId)) {
          s.fail("unauthorized", "device " + deviceId + " is revoked");
        }
      }
    }
  }

  private void closeSilent() {
    long now = System.nanoTime();
    for (Set<SyncSession> set : sessions.values()) {
      for (SyncSession s : set) {
        if (now - s.lastHeard > SILENCE_NANOS) {
          s.fail("timeout", "nothing heard for 35 s");
        }
      }
    }
  }

  /** Closes every session with {@code reason} (the server is stopping). */
  public void closeAll(String code, String reason) {
    for (Set<SyncSession> set : sessions.values()) {
      for (SyncSession s : set) {
        s.out.close(code, reason);
        s.close();
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    executor.shutdown();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String key(String userId, String databaseId) {
    return userId + "\0" + databaseId;
  }
}
