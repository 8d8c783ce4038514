package dev.cfost;

/**
 * Learns, after each commit, which replicated tables and rows changed.
 *
 * <p>Called on the executor given at registration (by default a single daemon thread per engine), never
 * on the thread that wrote or merged. Events arrive in commit order. An exception thrown by a listener
 * is logged and does not stop later events.
 */
@FunctionalInterface
public interface ChangeListener {
  void onChange(ChangeEvent event);
}
