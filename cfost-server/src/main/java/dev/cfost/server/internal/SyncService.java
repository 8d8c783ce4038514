package dev.cfost.server.internal;

import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.Registration;
import dev.cfost.Seal;
import dev.cfost.identity.internal.DigestKey;
import dev.cfost.net.SyncException;
import dev.cfost.net.SyncMessage;
import dev.cfost.InvalidChangeException;
import dev.cfost.server.ServerDevice;
import dev.cfost.server.ServerStore;
import dev.cfost.server.ApplyResult;
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
import java.util.concurrent.atomic.AtomicInteger;
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
  /** The most sync sessions one process holds. */
  static final int MAX_SESSIONS = dev.cfost.server.ServerConfig.MAX_SESSIONS;
  /** A session that heard nothing for this long is closed; devices ping every 10 s. */
  static final long SILENCE_NANOS = TimeUnit.SECONDS.toNanos(35);
  private static final Logger LOG = LoggerFactory.getLogger(SyncService.class);

  final ServerStore store;
  final DeviceList devices;
  final ServerMetrics metrics;
  final ExecutorService executor;
  /** The most sessions one user holds in this process (docs/SERVER.md); /ws connections apart alike. */
  final int sessionsPerUser;
  private final ScheduledExecutorService timer;
  private final Map<String, Set<SyncSession>> sessions = new ConcurrentHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger open = new AtomicInteger();
  private final Map<String, AtomicInteger> openByUser = new ConcurrentHashMap<>();
  private volatile boolean stopping;
  private final Registration commits;
  /** Bumped after each commit to a database (by user and database), before its sessions are woken. */
  private final Map<String, AtomicLong> generations = new ConcurrentHashMap<>();
  /** The small pages read at the head of each database's stream in its current generation, shared by its sessions. */
  private final Map<String, LivePages> livePages = new ConcurrentHashMap<>();
  /** Each user's revoked devices, for what the server relays; dropped when the device list changes. */
  private final Map<String, Set<String>> revokedByUser = new ConcurrentHashMap<>();

  /**
   * A page of a database's stream as read in one generation, with the stream's head then. A shared page
   * also keeps its {@code changes} message as sent to a session caught up at its position (every such
   * session gets the same bytes), encoded by the first session that sends it.
   */
  static final class Page {
    private final long generation;
    private final long position;
    private final StoredChanges changes;
    private final long head;
    private volatile EncodedMessage encoded;

    Page(long generation, long position, StoredChanges changes, long head) {
      this.generation = generation;
      this.position = position;
      this.changes = changes;
      this.head = head;
    }

    long generation() {
      return generation;
    }

    long position() {
      return position;
    }

    StoredChanges changes() {
      return changes;
    }

    long head() {
      return head;
    }

    /**
     * The encoding of {@code m}, the whole page as one batch from a session at its position: the same
     * message for every such session, so encoded once (two sessions racing may both encode it, the same).
     */
    EncodedMessage encoded(SyncMessage.Changes m) {
      EncodedMessage e = encoded;
      if (e == null) {
        e = new EncodedMessage(SyncMessage.encode(m));
        encoded = e;
      }
      return e;
    }
  }

  /** The shared pages of one database in one generation, by position: at most {@link #SHARED_PAGES}. */
  private record LivePages(long generation, List<Page> pages) {
    Page at(long position) {
      for (Page p : pages) {
        if (p.position() == position) {
          return p;
        }
      }
      return null;
    }

    /**
     * Whether a page of this generation read the head at {@code position}: nothing was after it then, and
     * a commit since would have moved the generation on.
     */
    boolean headAt(long position) {
      for (Page p : pages) {
        if (p.head() == position) {
          return true;
        }
      }
      return false;
    }

    LivePages with(Page p) {
      List<Page> more = new java.util.ArrayList<>(pages.size() + 1);
      more.add(p);
      for (Page old : pages) {
        if (more.size() < SHARED_PAGES && old.position() != p.position()) {
          more.add(old);
        }
      }
      return new LivePages(generation, List.copyOf(more));
    }
  }

  /** Pages of at most this many changes at the head of the stream are shared (a live commit's). */
  static final int SHARED_PAGE_CHANGES = 256;
  /**
   * Shared pages kept per database: the live commit's, and the empty one after it (where sessions that
   * had nothing to send in the commit, its origin's, read on); a few more for sessions a commit behind.
   */
  static final int SHARED_PAGES = 4;

  /**
   * The sync service of a server over {@code store}, streaming on {@code threads} threads, holding at most
   * {@code sessionsPerUser} sessions of one user.
   */
  public static SyncService create(ServerStore store, ServerMetrics metrics, int threads, int sessionsPerUser) {
    return new SyncService(store, metrics, threads, sessionsPerUser);
  }

  SyncService(ServerStore store, ServerMetrics metrics, int threads, int sessionsPerUser) {
    this.sessionsPerUser = sessionsPerUser;
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
    timer.scheduleWithFixedDelay(this::cutRevoked, 30, 30, TimeUnit.SECONDS);
    // Commits of this process and, with a shared store, of the others: wake that database's sessions.
    this.commits = store.onCommit(this::committed);
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

  /**
   * Adds a session; an older session of the same device and database is ended ({@code duplicate_session}):
   * a device that reconnects before the server noticed its old connection died keeps the new one.
   */
  void register(SyncSession s) {
    Set<SyncSession> set = sessions.computeIfAbsent(key(s.userId, s.databaseId), k -> ConcurrentHashMap.newKeySet());
    for (SyncSession old : set) {
      if (old.deviceId.equals(s.deviceId)) {
        old.fail("duplicate_session", "a newer session of device " + s.deviceId + " replaced this one");
      }
    }
    if (set.add(s)) {
      open.incrementAndGet();
      openByUser.computeIfAbsent(s.userId, k -> new AtomicInteger()).incrementAndGet();
    }
    metrics.connectionOpened(s.out.transport());
  }

  /**
   * Why a new session of {@code deviceId} on {@code databaseId} cannot open now (the process or the user
   * holds the most sessions), or null. A session that will replace one of the same device and database
   * (a reconnect the server has not noticed yet, see {@link #register}) adds none, and always opens.
   */
  String full(String userId, String deviceId, String databaseId) {
    Set<SyncSession> same = sessions.get(key(userId, databaseId));
    if (same != null && same.stream().anyMatch(s -> s.deviceId.equals(deviceId))) {
      return null;
    }
    if (open.get() >= MAX_SESSIONS) {
      return "this server process holds " + MAX_SESSIONS + " sync sessions, its most";
    }
    AtomicInteger mine = openByUser.get(userId);
    if (mine != null && mine.get() >= sessionsPerUser) {
      return "this user has " + sessionsPerUser + " sync sessions on this server process, the most";
    }
    return null;
  }

  /** Whether the server is stopping: sessions take no more batches. */
  boolean stopping() {
    return stopping;
  }

  void unregister(SyncSession s) {
    String key = key(s.userId, s.databaseId);
    Set<SyncSession> set = sessions.get(key);
    if (set != null && set.remove(s)) {
      open.decrementAndGet();
      AtomicInteger mine = openByUser.get(s.userId);
      if (mine != null) {
        mine.decrementAndGet(); // the entry stays: at most one small counter per user who ever connected
      }
      metrics.connectionClosed(s.out.transport(), s.closeReason());
    }
    if (set == null || set.isEmpty()) {
      livePages.remove(key);
    }
  }

  /**
   * The stream of a database after {@code position}: one page of at most {@link SyncSession#BATCH_CHANGES}
   * changes and the head. After a commit every session of the database that is caught up reads from the
   * same position; the small pages at the head of the stream are kept until the next commit and served to
   * all of them, so that a commit fanned out to a thousand devices is read from the store once rather
   * than a thousand times (each a transaction on the user's file, one at a time), and a read at the head
   * a page of this generation saw is answered without the store. Larger pages (a device catching up) are
   * not kept: the heap holds at most {@link #SHARED_PAGES} small pages per database with sessions.
   */
  Page page(String userId, String databaseId, long position) {
    String key = key(userId, databaseId);
    long generation = generations.computeIfAbsent(key, k -> new AtomicLong()).get();
    LivePages live = livePages.get(key);
    if (live != null && live.generation() == generation) {
      Page p = live.at(position);
      if (p != null) {
        return p;
      }
      if (live.headAt(position)) {
        p = new Page(generation, position, StoredChanges.none(position, true), position);
        share(key, p);
        return p;
      }
    }
    StoredChanges changes = relayable(userId, databaseId,
        store.changesAfter(userId, databaseId, position, SyncSession.BATCH_CHANGES));
    Page p = new Page(generation, position, changes, store.head(userId, databaseId));
    if (changes.caughtUp() && changes.changes().size() <= SHARED_PAGE_CHANGES) {
      share(key, p); // read in 'generation': a commit since has bumped it, and the page is not served
    }
    return p;
  }

  /** Keeps {@code p} for the other sessions of its database, while it has sessions and no newer commit. */
  private void share(String key, Page p) {
    Set<SyncSession> open = sessions.get(key);
    if (open == null || open.isEmpty()) {
      return;
    }
    livePages.compute(key, (k, old) -> {
      if (old == null || old.generation() < p.generation()) {
        return new LivePages(p.generation(), List.of(p));
      }
      return old.generation() == p.generation() ? old.with(p) : old;
    });
  }

  /**
   * What of a page the server may relay, by the rule devices relay by (docs/PROTOCOL.md, "Seals"): a
   * change no seal covers (a sentinel the store made for a new life begun by a cell change, signed by
   * nobody), one only revoked devices sealed, and one of a site bound to a revoked device are left out,
   * with the seals that cover nothing left; devices would refuse the whole batch for any of them. The
   * page's position is kept, so the stream moves past them.
   */
  private StoredChanges relayable(String userId, String databaseId, StoredChanges page) {
    if (page.changes().isEmpty()) {
      return page;
    }
    Set<String> revoked = revoked(userId);
    Map<String, String> sites = devices.sites(userId, databaseId);
    // Each change goes with the seal the store keeps with it (CellMerge: the one that covered it when it was
    // merged), found by the page's index instead of by digest, which cost a BLAKE2b per change sent.
    List<Change> kept = new java.util.ArrayList<>(page.changes().size());
    List<Integer> keptSeal = new java.util.ArrayList<>(page.changes().size());
    List<Seal> seals = new java.util.ArrayList<>(page.seals().size());
    int[] renumbered = new int[page.seals().size()];
    java.util.Arrays.fill(renumbered, -1);
    Map<DigestKey, List<Integer>> covering = null;
    byte[] site = null;
    String owner = null;
    for (int i = 0; i < page.changes().size(); i++) {
      Change c = page.changes().get(i);
      int s = page.sealOf().get(i);
      if (!java.util.Arrays.equals(c.siteId(), site)) { // a page's changes come from few sites, in runs
        site = c.siteId();
        owner = sites.get(dev.cfost.Values.hex(site));
      }
      if (s < 0 || (owner != null && revoked.contains(owner))) {
        continue;
      }
      List<Integer> with = List.of(s);
      String by = page.seals().get(s).deviceId();
      if (revoked.contains(by) || (owner != null && !owner.equals(by))) {
        // The stored seal is only the first that covered the change (CellMerge): another seal of the page
        // may cover it too, by its site's device or by one not revoked. Only here is the digest computed.
        if (covering == null) {
          covering = covering(page.seals());
        }
        String ownerOf = owner;
        with = covering.getOrDefault(DigestKey.of(dev.cfost.identity.ChangeSeals.digest(c)), List.of())
            .stream().filter(x -> !revoked.contains(page.seals().get(x).deviceId())).toList();
        if (with.isEmpty()
            || (owner != null && with.stream().noneMatch(x -> ownerOf.equals(page.seals().get(x).deviceId())))) {
          continue;
        }
      }
      for (int x : with) {
        if (renumbered[x] < 0) {
          renumbered[x] = seals.size();
          seals.add(page.seals().get(x));
        }
      }
      kept.add(c);
      keptSeal.add(renumbered[with.get(0)]);
    }
    if (kept.size() == page.changes().size() && seals.size() == page.seals().size()) {
      return page;
    }
    return new StoredChanges(kept, seals, keptSeal, page.position(), page.caughtUp());
  }

  /** The indexes of the seals covering each digest. */
  private static Map<DigestKey, List<Integer>> covering(List<Seal> seals) {
    Map<DigestKey, List<Integer>> out = new HashMap<>();
    for (int i = 0; i < seals.size(); i++) {
      for (byte[] d : seals.get(i).digests()) {
        out.computeIfAbsent(DigestKey.of(d), k -> new java.util.ArrayList<>(1)).add(i);
      }
    }
    return out;
  }

  /** The user's revoked devices, kept until the device list changes (here, or seen every 30 s). */
  private Set<String> revoked(String userId) {
    return revokedByUser.computeIfAbsent(userId, u -> {
      Set<String> out = new java.util.HashSet<>();
      for (ServerDevice d : store.devices(u)) {
        if (d.revoked()) {
          out.add(d.deviceId());
        }
      }
      return Set.copyOf(out);
    });
  }

  /** How many sessions are open. */
  int openSessions() {
    return open.get();
  }

  /**
   * Checks and merges a batch of device {@code deviceId} that continues the device's stream at
   * {@code from}, saving {@code cursor} with it, then wakes the database's other sessions and follows the
   * device list if the batch wrote it.
   *
   * @return what the store did; {@link ApplyResult#held} not null: the cursor the server holds, which {@code from}
   *     does not continue (a duplicate, or a batch after a lost one): nothing was merged and the device resumes
   *     from it (the positions are then -1 where the batch was refused before the store read them)
   * @throws SyncException refusing the batch (nothing of it stored)
   */
  ApplyResult receive(String user, String db, String deviceId, List<Change> changes, List<Seal> seals, Cursor from,
      Cursor cursor) {
    ServerDevice self = store.device(deviceId).orElse(null);
    if (self == null || self.revoked() || !self.userId().equals(user)) {
      throw new SyncException("unauthorized", "device " + deviceId + " is revoked");
    }
    long start = System.nanoTime();
    inFlight.incrementAndGet();
    ApplyResult result;
    try {
      // A batch that does not continue the held cursor is answered at once, before its seals are checked; the
      // store checks again in the batch's transaction, which decides (two sessions of one device, on two
      // processes, may both pass this first look).
      Cursor held = store.receivedCursor(user, db, deviceId);
      if (!held.equals(from)) {
        return new ApplyResult(0, -1, -1, held);
      }
      result = merge(user, db, changes, seals, deviceId, from, cursor);
      if (!result.stored()) {
        return result;
      }
    } finally {
      inFlight.decrementAndGet();
    }
    if (!changes.isEmpty()) { // an empty batch (a device's own merges skipped) only moves its cursor
      metrics.recordMerge(java.time.Duration.ofNanos(System.nanoTime() - start));
    }
    metrics.batchIn();
    metrics.changesIn(changes.size());
    if (DeviceList.touches(changes)) {
      for (String revoked : devices.follow(user, db).newlyRevoked()) {
        cut(user, revoked);
      }
      revokedByUser.remove(user);
    }
    return result; // the store's commit listener wakes the database's sessions
  }

  /**
   * Checks the batch's seals against the user's devices, then stores it with the device's cursor if the store
   * still holds {@code from} for the device.
   */
  private ApplyResult merge(String user, String db, List<Change> changes, List<Seal> seals, String deviceId, Cursor from,
      Cursor cursor) {
    Map<String, ServerDevice> known = new HashMap<>();
    for (ServerDevice d : store.devices(user)) {
      known.put(d.deviceId(), d);
    }
    String identityUser = store.identityUser(user).orElseThrow(() ->
        new SyncException("unauthorized", "the account is bound to no identity user"));
    List<byte[]> digests = SealCheck.verify(db, changes, seals, known, devices.sites(user, db), identityUser,
        id -> store.device(id).filter(d -> !d.userId().equals(user)).isPresent());
    // A device this batch revokes is cut off before the batch is stored, so no session sends it anything
    // after (the commit wakes every session at once; the device list is followed just after).
    for (String revoked : DeviceList.revokedBy(changes)) {
      ServerDevice d = known.get(revoked);
      if (d != null) {
        store.putDevice(user, revoked, d.publicKey(), true); // its tokens stop working before the batch lands
        revokedByUser.remove(user);
        cut(user, revoked);
      }
    }
    try {
      return store.applyBatch(user, db, changes, seals, deviceId, from, cursor, digests);
    } catch (InvalidChangeException | IllegalArgumentException e) {
      throw new SyncException("invalid_change", e.getMessage());
    }
  }

  /** Wakes every session of the database: there is something new to stream. */
  void committed(String userId, String databaseId) {
    generations.computeIfAbsent(key(userId, databaseId), k -> new AtomicLong()).incrementAndGet();
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

  /**
   * Ends the sessions of devices revoked meanwhile by another server process sharing the store (this
   * process cuts its own at once, {@link #receive}): every 30 s, one read of each connected user's devices.
   */
  private void cutRevoked() {
    revokedByUser.clear(); // revocations recorded by other processes sharing the store
    try {
      Map<String, Set<String>> connected = new HashMap<>();
      for (Set<SyncSession> set : sessions.values()) {
        for (SyncSession s : set) {
          connected.computeIfAbsent(s.userId, k -> new java.util.HashSet<>()).add(s.deviceId);
        }
      }
      for (Map.Entry<String, Set<String>> e : connected.entrySet()) {
        for (ServerDevice d : store.devices(e.getKey())) {
          if (d.revoked() && e.getValue().contains(d.deviceId())) {
            cut(e.getKey(), d.deviceId());
          }
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("event=revocation_check_failed", e);
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

  /**
   * Closes every session with {@code code} and {@code reason} (the server is stopping), each once the
   * frame it is handling is done (a batch being merged is committed and acknowledged), waiting 5 s at most
   * in all.
   */
  public void closeAll(String code, String reason) {
    stopping = true;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    for (Set<SyncSession> set : sessions.values()) {
      set.forEach(SyncSession::refuseFrames); // none starts a merge while others are waited for
    }
    for (Set<SyncSession> set : sessions.values()) {
      for (SyncSession s : set) {
        s.stop(code, reason, deadline);
      }
    }
  }

  @Override
  public void close() {
    commits.close();
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
