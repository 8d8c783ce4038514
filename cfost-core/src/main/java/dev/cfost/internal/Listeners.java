package dev.cfost.internal;

import dev.cfost.ChangeEvent;
import dev.cfost.ChangeListener;
import dev.cfost.Registration;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers {@link ChangeEvent}s to listeners on their executors: for a direct one (a sync peer's), on the
 * committing thread, under the engine's lock.
 *
 * <p>Thread-safe: registrations are a copy-on-write list; {@link #publish} is called by whichever
 * engine thread committed, in commit order, while it still holds the write lock.
 */
final class Listeners implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Listeners.class);

  private final CopyOnWriteArrayList<Entry> entries = new CopyOnWriteArrayList<>();
  private final ExecutorService own;
  private final Executor defaultExecutor;

  Listeners(Executor configured) {
    if (configured == null) {
      own = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "cfost-listeners");
        t.setDaemon(true);
        return t;
      });
      defaultExecutor = own;
    } else {
      own = null;
      defaultExecutor = configured;
    }
  }

  Registration add(Executor executor, ChangeListener listener) {
    Entry e = new Entry(executor == null ? defaultExecutor : executor, listener);
    entries.add(e);
    return () -> entries.remove(e);
  }

  void publish(ChangeEvent event) {
    for (Entry e : entries) {
      try {
        e.executor.execute(() -> {
          try {
            e.listener.onChange(event);
          } catch (RuntimeException ex) {
            log.error("change listener {} failed", e.listener, ex);
          }
        });
      } catch (RuntimeException ex) {
        log.error("could not hand a change event to the executor of listener {}", e.listener, ex);
      }
    }
  }

  @Override
  public void close() {
    if (own != null) {
      own.shutdown();
      try {
        own.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private record Entry(Executor executor, ChangeListener listener) {}
}
