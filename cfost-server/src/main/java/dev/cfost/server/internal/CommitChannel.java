package dev.cfost.server.internal;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens on {@link PostgresDatabases#CHANNEL} for the commits of every process sharing the PostgreSQL
 * store and calls the store's commit listeners. One daemon thread owns one connection of its own (not the
 * pool's: it waits in {@code getNotifications} for as long as the store is open); if the connection
 * drops it reconnects with backoff (0.1 s doubling to 5 s), and then calls the listeners for every
 * database whose head moved since shortly before the connection was last known alive, so that a
 * notification lost meanwhile delays a reader and never loses a change. This process's own commits are
 * called at once by the store; their notifications (which name this origin) are skipped here.
 *
 * <p>The same connection listens on {@link #DOCUMENTS} for the {@code /ws} document updates of other
 * processes ({@link PostgresDocumentBackend}), one notification per committed update naming the user, the
 * document and its version; after a reconnect the revisions written meanwhile are called the same way.
 *
 * <p>Only the thread touches the connection; listeners run on it and must not block.
 */
final class CommitChannel implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CommitChannel.class);
  private static final int POLL_MILLIS = 250;
  /** How often the otherwise silent connection is checked with a query (a half-open TCP never fails a poll). */
  private static final long PROBE_NANOS = 10_000_000_000L;
  private static final long MAX_BACKOFF_MILLIS = 5_000;
  /** The listening connection's {@code application_name} in {@code pg_stat_activity}. */
  static final String APPLICATION_NAME = "cfost-server-listen";
  /** The channel of document updates: payload {@code USER DOCUMENT VERSION ORIGIN}. */
  static final String DOCUMENTS = "cfost_documents";
  /** The most document revisions a catch-up after a reconnect calls listeners for. */
  static final int MAX_DOCUMENT_CATCH_UP = 10_000;

  /** Hears a document update committed by another process. */
  interface DocumentListener {
    void updated(String user, String document, long version);
  }

  private final PostgresPool pool;
  private final String origin;
  private final List<BiConsumer<String, String>> listeners;
  private final List<DocumentListener> documentListeners;
  private final Thread thread;
  private volatile boolean closed;
  /** Whether a LISTEN is in place now (for tests and /ready). */
  private volatile boolean listening;

  CommitChannel(PostgresPool pool, String origin, List<BiConsumer<String, String>> listeners,
      List<DocumentListener> documentListeners) {
    this.pool = pool;
    this.origin = origin;
    this.listeners = listeners;
    this.documentListeners = documentListeners;
    this.thread = new Thread(this::run, "cfost-store-listen");
    thread.setDaemon(true);
  }

  static CommitChannel start(PostgresPool pool, String origin,
      CopyOnWriteArrayList<BiConsumer<String, String>> listeners,
      CopyOnWriteArrayList<DocumentListener> documentListeners) {
    CommitChannel channel = new CommitChannel(pool, origin, listeners, documentListeners);
    channel.thread.start();
    return channel;
  }

  boolean listening() {
    return listening;
  }

  private void run() {
    long backoff = 100;
    long lastAlive = 0; // System.nanoTime() when the connection was last known to work; 0: never connected
    while (!closed) {
      Properties props = new Properties();
      props.putAll(pool.credentials);
      props.setProperty("ApplicationName", APPLICATION_NAME);
      try (Connection c = DriverManager.getConnection(pool.url, props)) {
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN " + PostgresDatabases.CHANNEL);
          s.execute("LISTEN " + DOCUMENTS);
        }
        listening = true;
        if (lastAlive != 0) {
          int woken = catchUp(c, (System.nanoTime() - lastAlive) / 1_000_000_000.0 + 60);
          LOG.info("listening for commits again; woke the listeners of {} databases changed meanwhile", woken);
        }
        backoff = 100;
        lastAlive = System.nanoTime();
        long lastProbe = lastAlive;
        PGConnection pg = c.unwrap(PGConnection.class);
        while (!closed) {
          PGNotification[] received = pg.getNotifications(POLL_MILLIS);
          // Alive only when proven: by a notification, or by a probe answered (a half-open connection
          // answers nothing, so the catch-up after it covers the whole silence).
          if (received != null && received.length > 0) {
            lastAlive = System.nanoTime();
          }
          if (System.nanoTime() - lastProbe > PROBE_NANOS) {
            try (Statement s = c.createStatement()) {
              s.setQueryTimeout(10);
              s.execute("SELECT 1");
            }
            lastProbe = System.nanoTime();
            lastAlive = lastProbe;
          }
          if (received != null) {
            for (PGNotification n : received) {
              if (DOCUMENTS.equals(n.getName())) {
                dispatchDocument(n.getParameter());
              } else {
                dispatch(n.getParameter());
              }
            }
          }
        }
      } catch (SQLException | RuntimeException e) {
        listening = false;
        if (closed) {
          break;
        }
        LOG.warn("the PostgreSQL connection listening for commits failed ({}); reconnecting in {} ms", e.getMessage(),
            backoff);
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          break;
        }
        backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
      }
    }
    listening = false;
  }

  /** Calls the listeners for each database whose head moved in the last {@code seconds}; returns how many. */
  private int catchUp(Connection c, double seconds) throws SQLException {
    int n = 0;
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT user_id, name FROM dbs WHERE changed_at > now() - make_interval(secs => ?)")) {
      ps.setDouble(1, seconds);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          call(rs.getString(1), rs.getString(2));
          n++;
        }
      }
    }
    // Revisions are written with the process's origin as their device: this process's own are skipped.
    // Beyond the bound the newest are kept (a push only moves a document forward), then called oldest first.
    List<Missed> missed = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT user_id, doc_id, version FROM document_revisions"
        + " WHERE at > now() - make_interval(secs => ?) AND device <> ? ORDER BY id DESC LIMIT "
        + MAX_DOCUMENT_CATCH_UP)) {
      ps.setDouble(1, seconds);
      ps.setString(2, origin);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          missed.add(new Missed(rs.getString(1), rs.getString(2), rs.getLong(3)));
        }
      }
    }
    for (int i = missed.size() - 1; i >= 0; i--) {
      callDocument(missed.get(i).user(), missed.get(i).document(), missed.get(i).version());
    }
    return n;
  }

  /** A document revision another process wrote while this one was not listening. */
  private record Missed(String user, String document, long version) {}

  private void dispatchDocument(String payload) {
    String[] parts = payload.split(" ");
    long version = parts.length == 4 ? parseVersion(parts[2]) : -1;
    if (version < 1) {
      LOG.warn("ignoring a notification on {} that is not 'USER DOCUMENT VERSION ORIGIN': {}", DOCUMENTS,
          WireChecks.printable(payload));
      return;
    }
    if (!parts[3].equals(origin)) {
      callDocument(parts[0], parts[1], version);
    }
  }

  private static long parseVersion(String text) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private void callDocument(String user, String document, long version) {
    for (DocumentListener l : documentListeners) {
      try {
        l.updated(user, document, version);
      } catch (RuntimeException e) {
        LOG.error("a document listener failed", e);
      }
    }
  }

  private void dispatch(String payload) {
    String[] parts = payload.split(" ");
    if (parts.length != 3) {
      LOG.warn("ignoring a notification on {} that is not 'USER DATABASE ORIGIN': {}", PostgresDatabases.CHANNEL,
          WireChecks.printable(payload));
      return;
    }
    if (!parts[2].equals(origin)) {
      call(parts[0], parts[1]);
    }
  }

  private void call(String user, String database) {
    for (BiConsumer<String, String> l : listeners) {
      try {
        l.accept(user, database);
      } catch (RuntimeException e) {
        LOG.error("a commit listener failed", e);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
