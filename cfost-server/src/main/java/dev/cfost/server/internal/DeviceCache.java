package dev.cfost.server.internal;

import dev.cfost.server.ServerDevice;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The devices a store read, kept until the store writes a device: for a store whose device table only
 * this process writes (SQLite: one process holds the directory), so that each batch's checks do not read
 * the user's whole device list again. A read that a write overtook (it began before the write committed)
 * is returned but not kept, so nothing older than the last write is ever served. Thread-safe.
 */
final class DeviceCache {
  private final Map<String, List<ServerDevice>> byUser = new HashMap<>(); // guarded by this
  private final Map<String, Optional<ServerDevice>> byId = new HashMap<>(); // guarded by this
  private long writes; // guarded by this

  List<ServerDevice> devices(String userId, Function<String, List<ServerDevice>> read) {
    return get(byUser, userId, u -> List.copyOf(read.apply(u))); // handed to every caller: immutable
  }

  Optional<ServerDevice> device(String deviceId, Function<String, Optional<ServerDevice>> read) {
    return get(byId, deviceId, read);
  }

  /** Call after a write to the devices has committed. */
  synchronized void written() {
    writes++;
    byUser.clear();
    byId.clear();
  }

  private <T> T get(Map<String, T> kept, String key, Function<String, T> read) {
    long before;
    synchronized (this) {
      T hit = kept.get(key);
      if (hit != null) {
        return hit;
      }
      before = writes;
    }
    T value = read.apply(key); // outside the lock: a read does not wait for another's
    synchronized (this) {
      if (writes == before) {
        kept.put(key, value);
      }
    }
    return value;
  }
}
