package dev.cfost.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.List;
import java.util.Map;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * Heap use during a phase: the peak used heap (the sum of the heap pools' peaks, which is what the JVM
 * needed at most, garbage included) and the largest heap still in use right after a collection (the
 * live data, which is what must stay bounded).
 *
 * <p>GC notifications arrive on a JMX thread, hence the volatile fields.
 */
final class HeapWatch {
  private final List<MemoryPoolMXBean> pools;
  private volatile long maxAfterGc;
  private volatile long collections;

  HeapWatch() {
    pools = ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP).toList();
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      ((NotificationEmitter) gc).addNotificationListener((n, handback) -> {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
          return;
        }
        GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
        long used = 0;
        for (Map.Entry<String, MemoryUsage> e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
          if (isHeapPool(e.getKey())) {
            used += e.getValue().getUsed();
          }
        }
        synchronized (this) {
          maxAfterGc = Math.max(maxAfterGc, used);
          collections++;
        }
      }, null, null);
    }
  }

  private boolean isHeapPool(String name) {
    for (MemoryPoolMXBean p : pools) {
      if (p.getName().equals(name)) {
        return true;
      }
    }
    return false;
  }

  /** Starts a new phase. */
  synchronized void reset() {
    for (MemoryPoolMXBean p : pools) {
      p.resetPeakUsage();
    }
    maxAfterGc = 0;
    collections = 0;
  }

  /** The sum of the heap pools' peak use since {@link #reset}. */
  long peakUsed() {
    long sum = 0;
    for (MemoryPoolMXBean p : pools) {
      sum += p.getPeakUsage().getUsed();
    }
    return sum;
  }

  /** The largest heap in use right after a collection since {@link #reset}; 0 if none ran. */
  long maxLiveAfterGc() {
    return maxAfterGc;
  }

  long collections() {
    return collections;
  }
}
