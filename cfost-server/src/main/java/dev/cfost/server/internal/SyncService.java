package dev.cfost.server.internal;

import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.Seal;
import dev.cfost.net.SyncException;
import dev.cfost.InvalidChangeException;
import dev.cfost.server.ServerDevice;
import dev.cfost.server.ServerStore;
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
    Set<SyncSession> set = sessions.get(key(s.userId, s.databaseId));
    if (set != null && set.remove(s)) {
      metrics.connectionClosed(s.out.transport(), "closed");
    }
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
