package dev.cfost.internal;

import dev.cfost.ClockDriftException;
import dev.cfost.WallClock;

/**
 * A hybrid logical clock.
 *
 * <p>Design note. This is the HLC of Kulkarni, Demirbas, Madappa, Avva and Leone, "Logical Physical
 * Clocks and Consistent Snapshots in Globally Distributed Databases" (2014). A timestamp is one
 * {@code long}: the logical time {@code l} in milliseconds in the high 48 bits and the counter
 * {@code c} in the low 16, so timestamps compare as plain numbers and fit cr-sqlite's 64-bit
 * {@code col_version}.
 *
 * <ul>
 *   <li>Local event or send: {@code l' = max(l, pt)}; {@code c' = (l' == l) ? c + 1 : 0}.
 *   <li>Receive of a remote timestamp {@code m}: {@code l' = max(l, m.l, pt)}; {@code c'} is
 *       {@code max(c, m.c) + 1}, {@code c + 1}, {@code m.c + 1} or 0 as {@code l'} equals both, only
 *       {@code l}, only {@code m.l} or neither.
 *   <li>Counter overflow: when {@code c'} would pass 65535, {@code l'} advances by 1 ms and {@code c'}
 *       is 0. The clock stays strictly increasing; its logical time then runs ahead of the wall clock,
 *       by 1 ms per 65536 events in one millisecond.
 *   <li>Bounded drift: a remote timestamp whose {@code l} is more than {@code maxDriftMillis} ahead of
 *       the local wall clock is refused with {@link ClockDriftException} and never adopted.
 *   <li>Never backwards: the engine persists {@link #last()} in the same transaction as the changes
 *       stamped with it and restarts the clock from it ({@link #HybridClock(WallClock, long, long)}),
 *       so a restart or a wall clock that steps back cannot produce a smaller timestamp.
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class HybridClock {
  static final int COUNTER_BITS = 16;
  static final long MAX_COUNTER = (1L << COUNTER_BITS) - 1;

  private final WallClock wall;
  private final long maxDriftMillis;
  private long last; // guarded by this

  /**
   * @param wall the physical clock
   * @param maxDriftMillis how far ahead of {@code wall} a remote clock may be
   * @param persisted the last timestamp this replica ever issued or adopted (0 for a new replica)
   */
  public HybridClock(WallClock wall, long maxDriftMillis, long persisted) {
    if (maxDriftMillis < 0) {
      throw new IllegalArgumentException("maxDriftMillis must be >= 0: " + maxDriftMillis);
    }
    if (persisted < 0) {
      throw new IllegalArgumentException("persisted clock must be >= 0: " + persisted);
    }
    this.wall = wall;
    this.maxDriftMillis = maxDriftMillis;
    this.last = persisted;
  }

  /** The logical milliseconds of a timestamp. */
  public static long millis(long timestamp) {
    return timestamp >>> COUNTER_BITS;
  }

  /** The counter of a timestamp. */
  public static int counter(long timestamp) {
    return (int) (timestamp & MAX_COUNTER);
  }

  /** Packs logical milliseconds and a counter into a timestamp. */
  public static long timestamp(long millis, long counter) {
    if (millis < 0 || millis >= (1L << (63 - COUNTER_BITS))) {
      throw new IllegalArgumentException("millis out of range: " + millis);
    }
    if (counter < 0 || counter > MAX_COUNTER) {
      throw new IllegalArgumentException("counter out of range: " + counter);
    }
    return (millis << COUNTER_BITS) | counter;
  }

  /** The largest timestamp issued or adopted so far. */
  public synchronized long last() {
    return last;
  }

  /** Issues a timestamp for a local event; strictly greater than every earlier one. */
  public synchronized long now() {
    long pt = Math.max(0, wall.millis());
    long l = millis(last);
    if (pt > l) {
      last = timestamp(pt, 0);
    } else {
      last = next(l, counter(last) + 1L);
    }
    return last;
  }

  /**
   * Adopts a timestamp this replica itself issued or adopted (persisted by another engine on the same
   * file): no drift check, no counter step; the clock only moves forward.
   */
  public synchronized void adopt(long own) {
    if (own > last) {
      last = own;
    }
  }

  /**
   * Checks a remote timestamp against the maximum drift without adopting it.
   *
   * @throws ClockDriftException if it is too far ahead
   */
  public void checkDrift(long remote) {
    long pt = wall.millis();
    long rl = millis(remote);
    if (rl - pt > maxDriftMillis) {
      throw new ClockDriftException(rl, pt, maxDriftMillis);
    }
  }

  /**
   * Receives a remote timestamp: afterwards every local timestamp is greater than it.
   *
   * @throws ClockDriftException if it is further ahead than the maximum drift; nothing is adopted
   */
  public synchronized long receive(long remote) {
    if (remote < 0) {
      throw new IllegalArgumentException("negative timestamp: " + remote);
    }
    checkDrift(remote);
    long pt = Math.max(0, wall.millis());
    long l = millis(last);
    long ml = millis(remote);
    long nl = Math.max(Math.max(l, ml), pt);
    long c;
    if (nl == l && nl == ml) {
      c = Math.max(counter(last), counter(remote)) + 1L;
    } else if (nl == l) {
      c = counter(last) + 1L;
    } else if (nl == ml) {
      c = counter(remote) + 1L;
    } else {
      c = 0;
    }
    last = next(nl, c);
    return last;
  }

  private static long next(long l, long c) {
    return c > MAX_COUNTER ? timestamp(l + 1, 0) : timestamp(l, c);
  }
}
