package dev.cfost.server.internal;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code /ws} documents of the PostgreSQL store ({@link PostgresDocuments}), shared by every server
 * process on it. An update committed by another process arrives as one notification on
 * {@link CommitChannel#DOCUMENTS} (on the store's listening connection), naming the user, the document and
 * the version; if the user has connections here, one thread re-reads that version from the tables and
 * pushes it. The notifications wait for that thread in a bounded queue ({@value #MAX_WAITING}); when it is
 * full an update is not pushed (logged), and clients read the document again with {@code get_document}.
 */
final class PostgresDocumentBackend implements DocumentBackend {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresDocumentBackend.class);
  /** Remote updates waiting to be re-read and pushed. */
  static final int MAX_WAITING = 10_000;

  private final PostgresPool pool;
  private final String origin;
  private final Clock clock;
  private final List<CommitChannel.DocumentListener> listeners;
  private final ThreadPoolExecutor pusher = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
      new ArrayBlockingQueue<>(MAX_WAITING), r -> {
        Thread t = new Thread(r, "cfost-documents-push");
        t.setDaemon(true);
        return t;
      });
  private volatile CommitChannel.DocumentListener listener;

  /**
   * @param origin this process's id in notifications; written as the device of its revisions
   * @param listeners the store's document listeners, called by its {@link CommitChannel}
   */
  PostgresDocumentBackend(PostgresPool pool, String origin, Clock clock,
      List<CommitChannel.DocumentListener> listeners) {
    this.pool = pool;
    this.origin = origin;
    this.clock = clock;
    this.listeners = listeners;
  }

  @Override
  public Opened open(String user) {
    // Nothing is held per account: every call takes a pooled connection.
    return Opened.of(new PostgresDocuments(pool, user, origin, clock), () -> { });
  }

  @Override
  public synchronized void pushRemoteUpdates(Predicate<String> here, Consumer<Committed> push) {
    if (listener != null) {
      throw new IllegalStateException("the remote updates of this store are pushed to one consumer already");
    }
    listener = (user, document, version) -> {
      if (!here.test(user)) {
        return;
      }
      try {
        pusher.execute(() -> reread(user, document, version, push));
      } catch (RejectedExecutionException e) {
        LogEvent.warn(LOG, "document_push_dropped").with("user", user).with("document", document)
            .with("version", version).log();
      }
    };
    listeners.add(listener);
  }

  private void reread(String user, String document, long version, Consumer<Committed> push) {
    try {
      Committed c = new PostgresDocuments(pool, user, origin, clock).committed(document, version);
      if (c != null) {
        push.accept(c);
      }
    } catch (RuntimeException e) {
      LogEvent.warn(LOG, "document_push_failed").with("user", user).with("document", document)
          .with("error", e.toString()).log();
    }
  }

  @Override
  public synchronized void close() {
    if (listener != null) {
      listeners.remove(listener);
      listener = null;
    }
    pusher.shutdownNow();
  }
}
