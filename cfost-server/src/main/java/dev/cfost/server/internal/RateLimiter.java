package dev.cfost.server.internal;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts events (refused logins, registrations) per key in a sliding window: once a key has {@code limit}
 * events within {@code window}, {@link #retryAfter} says how long until the oldest leaves the window.
 * Memory is bounded: at most {@code limit} times per key and {@link #MAX_KEYS} keys; past that, expired
 * keys are swept, and if none expired the oldest half is forgotten (logged). Thread-safe (one lock).
 */
final class RateLimiter {
  static final int MAX_KEYS = 100_000;
  private static final Logger LOG = LoggerFactory.getLogger(RateLimiter.class);

  private final String what;
  private final int limit;
  private final long windowMillis;
  private final Clock clock;
  /** Guarded by this. Insertion order approximates age, for the rare eviction. */
  private final Map<String, ArrayDeque<Long>> events = new LinkedHashMap<>();

  RateLimiter(String what, int limit, Duration window, Clock clock) {
    this.what = what;
    this.limit = limit;
    this.windowMillis = window.toMillis();
    this.clock = clock;
  }

  /** How long {@code key} must wait, or {@link Duration#ZERO} if it may go on. */
  synchronized Duration retryAfter(String key) {
    long now = clock.millis();
    ArrayDeque<Long> q = events.get(key);
    if (q == null) {
      return Duration.ZERO;
    }
    prune(q, now);
    if (q.isEmpty()) {
      events.remove(key);
      return Duration.ZERO;
    }
    if (q.size() < limit) {
      return Duration.ZERO;
    }
    return Duration.ofMillis(Math.max(1, q.peekFirst() + windowMillis - now));
  }

  /** Records one event of {@code key}. */
  synchronized void record(String key) {
    long now = clock.millis();
    ArrayDeque<Long> q = events.get(key);
    if (q == null) {
      if (events.size() >= MAX_KEYS) {
        evict(now);
      }
      q = new ArrayDeque<>();
      events.put(key, q);
    }
    prune(q, now);
    q.addLast(now);
    while (q.size() > limit) {
      q.removeFirst();
    }
  }

  /** Forgets {@code key}'s events (a successful login clears its account's refusals). */
  synchronized void clear(String key) {
    events.remove(key);
  }

  private void prune(ArrayDeque<Long> q, long now) {
    while (!q.isEmpty() && q.peekFirst() + windowMillis <= now) {
      q.removeFirst();
    }
  }

  private void evict(long now) {
    events.values().removeIf(q -> {
      prune(q, now);
      return q.isEmpty();
    });
    if (events.size() >= MAX_KEYS) {
      LOG.warn("{}: more than {} keys within the window; forgetting the oldest half", what, MAX_KEYS);
      Iterator<String> it = events.keySet().iterator();
      for (int i = 0; i < MAX_KEYS / 2 && it.hasNext(); i++) {
        it.next();
        it.remove();
      }
    }
  }
}
