package dev.cfost.net.internal;

import dev.cfost.Registration;
import dev.cfost.net.PeerListener;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Hands peer events to listeners on the listener executor, never on a network thread. Thread-safe. */
final class PeerEvents {
  private static final Logger log = LoggerFactory.getLogger(PeerEvents.class);

  private final CopyOnWriteArrayList<PeerListener> listeners = new CopyOnWriteArrayList<>();
  private final Executor executor;

  PeerEvents(Executor executor) {
    this.executor = executor;
  }

  Registration add(PeerListener l) {
    listeners.add(l);
    return () -> listeners.remove(l);
  }

  private void fire(Consumer<PeerListener> call) {
    for (PeerListener l : listeners) {
      try {
        executor.execute(() -> {
          try {
            call.accept(l);
          } catch (RuntimeException e) {
            log.error("peer listener {} failed", l, e);
          }
        });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // The peer is stopping and its listener thread is gone: the sessions' last events have nobody to go to.
        log.debug("peer event dropped: the listener executor is shut down");
      } catch (RuntimeException e) {
        log.error("could not hand a peer event to the listener executor", e);
      }
    }
  }

  void connect(String peer, String transport) {
    fire(l -> l.onConnect(peer, transport));
  }

  void disconnect(String peer, String reason) {
    fire(l -> l.onDisconnect(peer, reason));
  }

  void syncStarted(String peer) {
    fire(l -> l.onSyncStarted(peer));
  }

  void eose(String peer) {
    fire(l -> l.onEose(peer));
  }

  void change(String peer, Set<String> tables) {
    fire(l -> l.onChange(peer, tables));
  }

  void outdated(String peer, int remote, int local) {
    fire(l -> l.onOutdated(peer, remote, local));
  }

  void error(String peer, Throwable e) {
    fire(l -> l.onError(peer, e));
  }
}
