package dev.cfost.net.internal;

import dev.cfost.Cfost;
import dev.cfost.ChangeEvent;
import dev.cfost.ChangeFilter;
import dev.cfost.Registration;
import dev.cfost.Values;
import dev.cfost.net.Connection;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.PeerBook;
import dev.cfost.net.PeerListener;
import dev.cfost.net.PeerOptions;
import dev.cfost.net.SyncProgress;
import dev.cfost.net.Topic;
import dev.cfost.net.Transport;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machinery behind {@code Peer}: sessions by peer, connectors that keep wanted peers connected with
 * exponential backoff and jitter, discovery, keep-alive, and waking senders on local commits.
 *
 * <p>Threads: one scheduler thread ({@code cfost-peer}) runs connectors, discovery and keep-alive; each
 * session has a reader and a sender thread; listeners run on the listener executor. {@link #sessions}
 * and {@link #connectors} are concurrent maps; a session registers itself under its peer's site id.
 */
public final class PeerEngine {
  private static final Logger log = LoggerFactory.getLogger(PeerEngine.class);

  private static final int DIAL_THREADS = 4;
  /** Announced addresses are dialled on a pool of their own, this many at once: anyone on the LAN adds them. */
  private static final int DISCOVERED_DIAL_THREADS = 2;

  final Cfost db;
  final Topic topic;
  final String deviceId;
  public final PeerOptions options;
  final PeerEvents events;
  private final byte[] localSite;
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();
  private final Map<PeerAddress, Connector> connectors = new ConcurrentHashMap<>();
  private final Map<String, long[]> totals = new ConcurrentHashMap<>(); // site -> {sent, received}
  private final ScheduledExecutorService scheduler;
  /** Dials and handshakes, so that a slow or hostile address never holds the scheduler (keep-alive, retries). */
  private final java.util.concurrent.ThreadPoolExecutor dialer;
  /**
   * Dials announced (discovered) addresses, at most {@link #DISCOVERED_DIAL_THREADS} at once, so that up to
   * {@link PeerOptions#maxDiscovered} of them, each able to drip-feed its handshake up to the deadline, never
   * queue a configured peer's dial behind them.
   */
  private final java.util.concurrent.ThreadPoolExecutor discoveredDialer;
  private volatile boolean warnedFull; // discovery thread only; volatile for the log only
  private final ExecutorService ownListenerThread;
  private final AtomicLong pingIds = new AtomicLong();
  /** Accepted sessions that have not passed their hello yet, bounded by options.maxUnauthorized. */
  private final java.util.concurrent.atomic.AtomicInteger unauthorized = new java.util.concurrent.atomic.AtomicInteger();
  private final AtomicLong refusedUnauthorized = new AtomicLong();
  /** A re-check of the sessions' authorization is queued on the scheduler. */
  private final java.util.concurrent.atomic.AtomicBoolean recheckPending = new java.util.concurrent.atomic.AtomicBoolean();
  private final List<PeerAddress> listening = new ArrayList<>();
  private Registration dbListener;
  /** Sessions started and not yet seen ended, registered or not; added and pruned under this. */
  private final java.util.Set<Session> live = ConcurrentHashMap.newKeySet();
  /** How long {@link #stop} waits for session and peer threads before it interrupts them. */
  static final long STOP_WAIT_MILLIS = 5_000;
  /** After the interrupt, how much longer it waits before it gives up on them (and says so in the log). */
  static final long STOP_INTERRUPTED_WAIT_MILLIS = 1_000;
  private volatile boolean stopped;
  /** The peer's pool that runs the current thread, if any: {@link #stop} called on it cannot wait for it. */
  private static final ThreadLocal<ExecutorService> OWN_POOL = new ThreadLocal<>();

  public PeerEngine(Cfost db, PeerOptions options) {
    this.db = db;
    this.options = options;
    this.topic = Topic.of(db.databaseId());
    this.localSite = db.siteId();
    this.deviceId = options.deviceId != null ? options.deviceId : Values.hex(localSite);
    if (options.listenerExecutor == null) {
      ownListenerThread = Executors.newSingleThreadExecutor(r -> daemon(r, "cfost-peer-listeners"));
      this.events = new PeerEvents(ownListenerThread);
    } else {
      ownListenerThread = null;
      this.events = new PeerEvents(options.listenerExecutor);
    }
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> pooled(r, "cfost-peer"));
    this.dialer = new java.util.concurrent.ThreadPoolExecutor(DIAL_THREADS, DIAL_THREADS, 30, TimeUnit.SECONDS,
        new java.util.concurrent.LinkedBlockingQueue<>(), r -> pooled(r, "cfost-peer-dial"));
    dialer.allowCoreThreadTimeOut(true);
    this.discoveredDialer = new java.util.concurrent.ThreadPoolExecutor(DISCOVERED_DIAL_THREADS,
        DISCOVERED_DIAL_THREADS, 30, TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(),
        r -> pooled(r, "cfost-peer-dial-discovered"));
    discoveredDialer.allowCoreThreadTimeOut(true);
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** A thread of one of the peer's pools (named for it), which it knows it runs on. */
  private Thread pooled(Runnable r, String name) {
    return daemon(() -> {
      OWN_POOL.set(name.equals("cfost-peer") ? scheduler : name.equals("cfost-peer-dial") ? dialer : discoveredDialer);
      r.run();
    }, name);
  }

  public Topic topic() {
    return topic;
  }

  /** Starts the transports, announces, and connects to the configured peers. */
  public synchronized List<PeerAddress> start() throws IOException {
    // Runs on the committing thread, so a session can tell its own merge's commit (see SessionMerger#onChanges).
    dbListener = db.addListener(Runnable::run, e -> {
      if (options.authorizer != null && recheckPending.compareAndSet(false, true)) {
        // Not here, on the committing thread under the engine's lock: the authorizer may read the database.
        try {
          scheduler.execute(this::reauthorize);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
          recheckPending.set(false);
        }
      }
      for (Session s : sessions.values()) {
        if (e.origin() == ChangeEvent.Origin.REMOTE && s.isOwnMerge()) {
          // Under the engine's lock, before any read can see it; its merger judges it once the merge returns.
          s.ownMergeCommitted(e.dbVersion());
        } else {
          s.markDirty();
        }
      }
    });
    for (Transport t : options.transports) {
      t.handshakeLimits(options.handshakeTimeoutMillis, options.maxUnauthorized);
      PeerAddress at = t.start(conn -> accept(t, conn));
      if (at != null) {
        listening.add(at);
      }
      if (options.discovery) {
        t.announce(topic);
      }
    }
    for (PeerAddress a : options.peers) {
      addPeer(a);
    }
    if (options.peerBook != null) {
      for (var e : options.peerBook.list()) {
        addPeer(e.address());
      }
    }
    scheduler.scheduleWithFixedDelay(this::keepAlive, options.pingMillis, options.pingMillis, TimeUnit.MILLISECONDS);
    if (options.authorizer != null) {
      scheduler.scheduleWithFixedDelay(this::reauthorize, options.reauthorizeMillis, options.reauthorizeMillis,
          TimeUnit.MILLISECONDS);
    }
    if (options.discovery) {
      scheduler.scheduleWithFixedDelay(this::discover, 0, options.discoveryMillis, TimeUnit.MILLISECONDS);
    }
    return List.copyOf(listening);
  }

  public Registration addListener(PeerListener l) {
    return events.add(l);
  }

  /** Keeps a peer connected from now on. */
  public void addPeer(PeerAddress address) {
    addPeer(address, false);
  }

  private void addPeer(PeerAddress address, boolean discovered) {
    if (listening.contains(address)) {
      return;
    }
    Connector c = new Connector(address, discovered);
    if (connectors.putIfAbsent(address, c) == null) {
      scheduler.execute(c::attempt); // after the put: attempt() checks that it is still wanted
    }
  }

  public void removePeer(PeerAddress address) {
    Connector c = connectors.remove(address);
    if (c != null && c.site != null) {
      Session s = sessions.get(c.site);
      if (s != null && s.outbound) {
        s.close("peer removed");
      }
    }
  }

  public List<SyncProgress> progress() {
    List<SyncProgress> out = new ArrayList<>();
    for (Map.Entry<String, long[]> e : totals.entrySet()) {
      Session s = sessions.get(e.getKey());
      long sent = e.getValue()[0] + (s == null ? 0 : s.sent);
      long received = e.getValue()[1] + (s == null ? 0 : s.received);
      long toReceive = s == null ? -1 : s.peerCaughtUp ? 0 : s.remainingToReceive;
      out.add(new SyncProgress(e.getKey(), s != null && s.isOpen(), sent, received, toReceive,
          s != null && s.peerCaughtUp, s != null && s.delivered()));
    }
    return out;
  }

  ChangeFilter filterFor(byte[] remoteSite) {
    return options.filter.excludingSite(remoteSite);
  }

  private void accept(Transport t, Connection conn) {
    if (stopped) {
      conn.close();
      return;
    }
    if (unauthorized.incrementAndGet() > options.maxUnauthorized) {
      unauthorized.decrementAndGet();
      conn.close();
      if (refusedUnauthorized.getAndIncrement() % 100 == 0) { // one line per 100: a flood must not flood the log
        log.warn("closed a connection from {}: {} connections already wait for their hello ({} closed so far)",
            conn.remote(), options.maxUnauthorized, refusedUnauthorized.get());
      }
      return;
    }
    Session s = new Session(this, conn, false);
    s.countsAsUnauthorized = true;
    start(s);
  }

  /** Starts a session, which must say hello before its deadline; after stop, only closes its connection. */
  private void start(Session s) {
    synchronized (this) { // with stop's flag: a session started here is one that stop waits for
      if (stopped) {
        s.conn.close();
        return;
      }
      live.removeIf(Session::ended);
      live.add(s);
      s.start();
    }
    try {
      scheduler.schedule(s::helloDeadline, options.helloTimeoutMillis, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      s.close("stopped");
    }
  }

  /** An accepted session passed its hello, or ended before: it no longer counts against the cap. */
  void leftUnauthorized() {
    unauthorized.decrementAndGet();
  }

  /**
   * Registers a session after its hello. Of two sessions with one peer, the one opened by the side with
   * the smaller site id is kept (both sides decide alike); a newer one from the same side replaces the
   * old one, which is probably dead.
   */
  synchronized boolean register(Session s) {
    if (stopped) {
      return false;
    }
    Session old = sessions.get(s.remoteSite);
    if (old != null && old.isOpen()) {
      byte[] oldOpener = old.outbound ? localSite : old.remoteSiteBytes;
      byte[] newOpener = s.outbound ? localSite : s.remoteSiteBytes;
      int cmp = Arrays.compareUnsigned(newOpener, oldOpener);
      if (cmp > 0) {
        recordConnectors(s); // its hello proved the address a peer of this database all the same
        return false;
      }
      old.close("replaced by a newer session");
    }
    sessions.put(s.remoteSite, s);
    totals.putIfAbsent(s.remoteSite, new long[2]);
    recordConnectors(s);
    events.connect(s.remoteSite, s.conn.remote());
    return true;
  }

  /** Notes in the connectors and the peer book the addresses that reached {@code s}'s peer. */
  private void recordConnectors(Session s) {
    for (Connector c : connectors.values()) {
      if (c.session == s || c.address.toString().equals(s.conn.remote())) {
        c.site = s.remoteSite;
        c.failures = 0;
        if (options.peerBook != null) {
          try {
            if (c.discovered) {
              options.peerBook.add(c.address, "mdns"); // kept once it proved to be a peer of this database
            }
            options.peerBook.seen(c.address, s.remoteSite, System.currentTimeMillis());
          } catch (RuntimeException e) {
            log.warn("could not record peer {} in the peer table: {}", c.address, e.toString());
          }
        }
      }
    }
  }

  synchronized void unregister(Session s, String reason) {
    if (s.remoteSite != null && sessions.remove(s.remoteSite, s)) {
      long[] t = totals.get(s.remoteSite);
      t[0] += s.sent;
      t[1] += s.received;
      events.disconnect(s.remoteSite, reason);
    }
    if (stopped) {
      return;
    }
    for (Connector c : connectors.values()) {
      boolean mine = c.session == s || (s.remoteSite != null && s.remoteSite.equals(c.site));
      if (mine) {
        if (c.session == s && s.remoteSite != null) {
          c.site = s.remoteSite; // learned even when the session was refused as a duplicate
        }
        c.session = null;
        c.failures++;
        c.scheduleRetry();
      }
    }
  }

  void acked(String site, dev.cfost.Cursor cursor) {
    PeerBook book = options.peerBook != null ? options.peerBook : options.acknowledgements;
    if (book != null) {
      try {
        book.acked(site, cursor, System.currentTimeMillis());
      } catch (RuntimeException e) {
        log.warn("could not record the acknowledgement of {}: {}", site, e.toString());
      }
    }
  }

  void error(String peer, Throwable e) {
    events.error(peer, e);
  }

  private final java.util.concurrent.atomic.AtomicLong refusedBeforeHello = new java.util.concurrent.atomic.AtomicLong();

  /** Listener events allowed for refusals before hello in the current minute; guarded by itself. */
  private final long[] strangerEvents = {0, 0}; // minute, count
  static final int STRANGER_EVENTS_PER_MINUTE = 10;

  /** An accepted connection ended before its hello passed: logged once per 100. */
  void refusedBeforeHello(String remote, String code) {
    long n = refusedBeforeHello.incrementAndGet();
    if (n % 100 == 1) { // one line per 100: a flood must not flood the log
      log.warn("refused a connection from {} before its hello ({}); {} so far", remote, code, n);
    }
  }

  /** Whether a refusal before hello may raise a listener event: {@value #STRANGER_EVENTS_PER_MINUTE} a minute. */
  boolean strangerEventAllowed() {
    long minute = System.nanoTime() / 60_000_000_000L;
    synchronized (strangerEvents) {
      if (strangerEvents[0] != minute) {
        strangerEvents[0] = minute;
        strangerEvents[1] = 0;
      }
      return strangerEvents[1]++ < STRANGER_EVENTS_PER_MINUTE;
    }
  }

  /** Asks the authorizer again about every live session (a device may have been revoked); ends the refused. */
  private void reauthorize() {
    recheckPending.set(false);
    for (Session s : sessions.values()) {
      try {
        s.reauthorize();
      } catch (RuntimeException e) {
        log.error("checking the authorization of {} failed", s.describe(), e);
      }
    }
  }

  private void keepAlive() {
    long id = pingIds.incrementAndGet();
    for (Session s : sessions.values()) {
      s.tick(id);
    }
  }

  /**
   * Connects addresses announced under the topic, at most {@code maxDiscovered} of them, and lets go of
   * those not announced for {@code discoveryExpiryMillis}. An announcement proves nothing (anyone on the
   * LAN can send one): an address reaches the peer book only after a session with it completed its hello.
   */
  private void discover() {
    long now = System.currentTimeMillis();
    java.util.Set<PeerAddress> announced = new java.util.LinkedHashSet<>();
    for (Transport t : options.transports) {
      try {
        announced.addAll(t.lookup(topic));
      } catch (RuntimeException e) {
        log.warn("looking up peers on {} failed", t.name(), e);
      }
    }
    long kept = connectors.values().stream().filter(c -> c.discovered).count();
    for (PeerAddress a : announced) {
      Connector c = connectors.get(a);
      if (c != null) {
        c.lastAnnounced = now;
      } else if (kept < options.maxDiscovered) {
        addPeer(a, true);
        kept++;
      } else if (!warnedFull) {
        warnedFull = true;
        log.warn("more than {} addresses announced under this database's topic; ignoring the others", options.maxDiscovered);
      }
    }
    for (Connector c : connectors.values()) {
      if (c.discovered && now - c.lastAnnounced > options.discoveryExpiryMillis) {
        removePeer(c.address);
        warnedFull = false;
      }
    }
  }

  /** True once {@link #stop} began. */
  boolean isStopped() {
    return stopped;
  }

  /** Stops syncing: closes sessions, transports and threads. */
  public void stop() {
    synchronized (this) {
      if (stopped) {
        return;
      }
      stopped = true;
    }
    if (dbListener != null) {
      dbListener.close();
    }
    boolean callerInterrupted = Thread.currentThread().isInterrupted();
    scheduler.shutdownNow();
    dialer.shutdownNow();
    discoveredDialer.shutdownNow();
    // Called on one of those pools' threads (a listener on a direct executor), shutdownNow interrupted this
    // very thread: that is for its task, not for the wait below, which would otherwise end at once.
    boolean selfInterrupted = !callerInterrupted && OWN_POOL.get() != null && Thread.interrupted();
    for (Session s : live) {
      s.close("stopped");
      s.conn.close(); // at once, not 2 s later: a reader blocked on the connection ends now
    }
    for (Transport t : options.transports) {
      t.close();
    }
    try {
      awaitThreads();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (selfInterrupted) {
      Thread.currentThread().interrupt();
    }
    if (ownListenerThread != null) {
      ownListenerThread.shutdown();
      try {
        ownListenerThread.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Waits for every session's threads and the peer's own (scheduler, dialers), so that none of them calls
   * the database after stop returns (the application closes it next); threads still running after
   * {@link #STOP_WAIT_MILLIS} are interrupted and given {@link #STOP_INTERRUPTED_WAIT_MILLIS} more.
   */
  private void awaitThreads() throws InterruptedException {
    long deadline = System.nanoTime() + STOP_WAIT_MILLIS * 1_000_000L;
    boolean allEnded = awaitThreads(deadline);
    if (!allEnded) {
      List<String> overran = new ArrayList<>();
      for (Session s : live) {
        overran.addAll(s.interruptThreads());
      }
      log.warn("stopping: interrupting threads still running after {} ms: {}", STOP_WAIT_MILLIS, overran);
      if (!awaitThreads(System.nanoTime() + STOP_INTERRUPTED_WAIT_MILLIS * 1_000_000L)) {
        log.error("stopping: session threads still run after their interrupt; they may call the closed database");
      }
    }
    live.removeIf(Session::ended);
  }

  private boolean awaitThreads(long deadlineNanos) throws InterruptedException {
    boolean ended = true;
    for (Session s : live) {
      ended &= s.awaitThreads(deadlineNanos);
    }
    for (ExecutorService e : List.of(scheduler, dialer, discoveredDialer)) {
      if (e == OWN_POOL.get()) {
        continue; // stop runs on it: it ends once stop returns
      }
      long left = Math.max(0, deadlineNanos - System.nanoTime());
      ended &= e.awaitTermination(left, TimeUnit.NANOSECONDS);
    }
    return ended;
  }

  /** Keeps one wanted address connected, retrying with exponential backoff and full jitter. */
  private final class Connector {
    final PeerAddress address;
    final boolean discovered; // announced on the LAN, not configured: bounded and expiring
    volatile long lastAnnounced = System.currentTimeMillis();
    volatile String site; // learned from the first hello
    volatile Session session;
    volatile int failures; // reset by a session that completes its hello

    Connector(PeerAddress address, boolean discovered) {
      this.address = address;
      this.discovered = discovered;
    }

    void attempt() {
      if (stopped || connectors.get(address) != this) {
        return;
      }
      Session existing = site == null ? null : sessions.get(site);
      if (existing != null && existing.isOpen()) {
        failures = 0;
        scheduleRetry(); // check again later: that session may end
        return;
      }
      try {
        (discovered ? discoveredDialer : dialer).execute(this::dial);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // stopping
      }
    }

    /** On the dialer: connect (each transport bounds connect and handshake by a deadline), or retry later. */
    private void dial() {
      if (stopped || connectors.get(address) != this) {
        return;
      }
      for (Transport t : options.transports) {
        try {
          Connection conn = t.connect(address);
          Session s = new Session(PeerEngine.this, conn, true);
          session = s;
          start(s);
          return;
        } catch (IOException e) {
          log.debug("connecting to {} over {} failed: {}", address, t.name(), e.toString());
        }
      }
      failures++;
      scheduleRetry();
    }

    /** Schedules the next attempt: at once-ish after a first failure, then up to the cap, jittered. */
    void scheduleRetry() {
      if (stopped) {
        return;
      }
      long delay;
      if (failures == 0) {
        delay = options.backoffMaxMillis; // connected through another session: look again later
      } else {
        long cap = Math.min(options.backoffMaxMillis, options.backoffBaseMillis << Math.min(20, failures - 1));
        delay = ThreadLocalRandom.current().nextLong(cap / 2, cap + 1);
      }
      try {
        scheduler.schedule(this::attempt, delay, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // stopping
      }
    }
  }
}
