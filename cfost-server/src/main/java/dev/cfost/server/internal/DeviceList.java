package dev.cfost.server.internal;

import dev.cfost.Change;
import dev.cfost.Values;
import dev.cfost.identity.DeviceId;
import dev.cfost.internal.PackedKey;
import dev.cfost.server.ServerDevice;
import dev.cfost.server.ServerStore;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's copy of a user's device list, following the user's replicated one: the rows of
 * {@code identity_devices} and {@code identity_revocations} (cfost-identity's tables) that reached the
 * server in a database of the user, as sealed changes the server checked ({@link SealCheck}). A device
 * row counts when its {@code user_id} is the identity user the account is bound to and its
 * {@code public_key} is the key of its id; it is revoked by a {@code revoked_at} value or a row of
 * {@code identity_revocations}, and a revocation is final (the store keeps it).
 *
 * <p>Also keeps, per database, which site each device is bound to ({@code identity_devices.site_id}),
 * which {@link SealCheck} needs. Thread-safe.
 */
final class DeviceList {
  static final String DEVICES = "identity_devices";
  static final String REVOCATIONS = "identity_revocations";
  private static final int MAX_ROWS = 10_000;
  private static final Logger LOG = LoggerFactory.getLogger(DeviceList.class);

  private final ServerStore store;
  /** (user, database) to site (hex) to device id; loaded on first use, refreshed by {@link #follow}. */
  private final Map<String, Map<String, String>> sites = new ConcurrentHashMap<>();

  DeviceList(ServerStore store) {
    this.store = store;
  }

  static boolean touches(List<Change> batch) {
    for (Change c : batch) {
      if (DEVICES.equals(c.table()) || REVOCATIONS.equals(c.table())) {
        return true;
      }
    }
    return false;
  }

  /** The device each site of the database is bound to, by site id in hex. */
  Map<String, String> sites(String userId, String databaseId) {
    Map<String, String> known = sites.get(key(userId, databaseId));
    return known != null ? known : follow(userId, databaseId).sites;
  }

  /**
   * Reads the database's device rows and brings the store's device list up to date.
   *
   * @return the devices this call found revoked that were not before
   */
  Followed follow(String userId, String databaseId) {
    Optional<String> identityUser = store.identityUser(userId);
    Map<String, Map<String, Change>> rows = rows(store.tableCells(userId, databaseId, DEVICES, MAX_ROWS));
    Set<String> revokedRows = new HashSet<>();
    for (Change c : store.tableCells(userId, databaseId, REVOCATIONS, MAX_ROWS)) {
      if (c.cl() % 2 == 1) {
        text(c.pk()).ifPresent(revokedRows::add);
      }
    }
    Map<String, String> bySite = new HashMap<>();
    Set<String> newlyRevoked = new HashSet<>();
    for (Map.Entry<String, Map<String, Change>> row : rows.entrySet()) {
      Map<String, Change> cells = row.getValue();
      String deviceId = row.getKey();
      Object user = value(cells.get("user_id"));
      Object key = value(cells.get("public_key"));
      if (identityUser.isEmpty() || !identityUser.get().equals(user) || !(key instanceof byte[] raw)) {
        continue;
      }
      DeviceId id;
      try {
        id = DeviceId.parse(deviceId);
        if (!id.equals(DeviceId.of(raw))) {
          continue; // a row whose id is not its key's: a device never writes one
        }
      } catch (RuntimeException e) {
        continue;
      }
      boolean revoked = value(cells.get("revoked_at")) != null || revokedRows.contains(deviceId);
      Optional<ServerDevice> before = store.device(id.toString());
      if (before.isPresent() && !before.get().userId().equals(userId)) {
        LOG.warn("event=device_of_another_account device={} user={} database={}", id, userId, databaseId);
        continue;
      }
      if (before.isEmpty() || (revoked && !before.get().revoked())) {
        store.putDevice(userId, id.toString(), raw, revoked);
        if (revoked) {
          newlyRevoked.add(id.toString());
          LOG.info("event=device_revoked device={} user={} database={}", id, userId, databaseId);
        } else {
          LOG.info("event=device_added device={} user={} database={}", id, userId, databaseId);
        }
      }
      if (value(cells.get("site_id")) instanceof byte[] site) {
        bySite.put(Values.hex(site), id.toString());
      }
    }
    Map<String, String> frozen = Map.copyOf(bySite);
    sites.put(key(userId, databaseId), frozen);
    return new Followed(newlyRevoked, frozen);
  }

  record Followed(Set<String> newlyRevoked, Map<String, String> sites) {}

  /** Cells by row (device id text) and column; rows of a dead life (even causal length) left out. */
  private static Map<String, Map<String, Change>> rows(List<Change> cells) {
    Map<String, Map<String, Change>> rows = new HashMap<>();
    for (Change c : cells) {
      if (c.cl() % 2 == 0) {
        continue;
      }
      Optional<String> id = text(c.pk());
      id.ifPresent(s -> rows.computeIfAbsent(s, k -> new HashMap<>()).put(c.cid(), c));
    }
    return rows;
  }

  static Optional<String> text(byte[] pk) {
    try {
      List<Object> parts = PackedKey.unpack(pk);
      return parts.size() == 1 && parts.get(0) instanceof String s ? Optional.of(s) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static Object value(Change c) {
    return c == null ? null : c.val();
  }

  private static String key(String userId, String databaseId) {
    return userId + "\0" + databaseId;
  }
}
