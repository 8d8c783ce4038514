package dev.cfost.net;

import dev.cfost.net.internal.MemoryTransport;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * An in-process network for tests and simulation, with seeded fault injection: latency, lost frames
 * (a lost frame breaks its connection, as on a real stream), duplicated and reordered frames, and
 * partitions between nodes. Every node's transport comes from {@link #transport(String)}.
 *
 * <p>Thread-safe. Frames are delivered by one scheduler thread ({@code cfost-memnet}).
 */
public final class MemoryNetwork implements AutoCloseable {
  private final Random random;
  private final ScheduledExecutorService clock;
  private final Map<String, MemoryTransport> nodes = new ConcurrentHashMap<>();
  private final Set<Set<String>> cut = ConcurrentHashMap.newKeySet();
  private volatile long minLatencyMillis;
  private volatile long maxLatencyMillis;
  private volatile double lossRate;
  private volatile double duplicateRate;
  private volatile double reorderRate;

  public MemoryNetwork(long seed) {
    this.random = new Random(seed);
    this.clock = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "cfost-memnet");
      t.setDaemon(true);
      return t;
    });
  }

  /** Each frame takes between {@code min} and {@code max} ms; order is kept unless reordering is on. */
  public MemoryNetwork latency(long minMillis, long maxMillis) {
    this.minLatencyMillis = minMillis;
    this.maxLatencyMillis = Math.max(minMillis, maxMillis);
    return this;
  }

  /** The probability that a frame is lost, which breaks its connection. */
  public MemoryNetwork loss(double rate) {
    this.lossRate = rate;
    return this;
  }

  /** The probability that a frame is delivered twice. */
  public MemoryNetwork duplicates(double rate) {
    this.duplicateRate = rate;
    return this;
  }

  /** The probability that a frame is held back behind later ones. */
  public MemoryNetwork reordering(double rate) {
    this.reorderRate = rate;
    return this;
  }

  /** Cuts {@code a} off from {@code b}: their connections break and new ones fail until {@link #heal}. */
  public void partition(String a, String b) {
    cut.add(Set.of(a, b));
    MemoryTransport ta = nodes.get(a);
    if (ta != null) {
      ta.breakConnectionsTo(b);
    }
  }

  /** Removes every partition. */
  public void heal() {
    cut.clear();
  }

  /** The transport of node {@code name}; its address is {@code name:0}. */
  public Transport transport(String name) {
    return nodes.computeIfAbsent(name, n -> new MemoryTransport(this, n));
  }

  // ---- for the transport ----

  /** Whether {@code a} and {@code b} can talk. */
  public boolean reachable(String a, String b) {
    return !cut.contains(Set.of(a, b));
  }

  public MemoryTransport node(String name) {
    return nodes.get(name);
  }

  public Set<String> nodeNames() {
    return new HashSet<>(nodes.keySet());
  }

  public ScheduledExecutorService clock() {
    return clock;
  }

  /** Draws the fate of one frame: null if lost, else its delays (two when duplicated). */
  public synchronized long[] fate() {
    if (random.nextDouble() < lossRate) {
      return null;
    }
    long delay = minLatencyMillis + (maxLatencyMillis > minLatencyMillis
        ? (long) (random.nextDouble() * (maxLatencyMillis - minLatencyMillis)) : 0);
    if (random.nextDouble() < reorderRate) {
      delay += 1 + random.nextInt(20);
      return random.nextDouble() < duplicateRate ? new long[] {delay, delay + 1, -1} : new long[] {delay, -1};
    }
    return random.nextDouble() < duplicateRate ? new long[] {delay, delay + 1} : new long[] {delay};
  }

  @Override
  public void close() {
    clock.shutdownNow();
  }
}
