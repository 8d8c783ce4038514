package dev.cfost.identity.internal;

import dev.cfost.Values;
import dev.cfost.identity.Device;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A snapshot of the device list as seals are checked against it: devices by id, and which device each
 * site id is bound to. A site that two device rows claim (replicas that bound it concurrently, or a
 * forged row) belongs to neither: its changes cannot be proved. A row without its user or key yet (its
 * cells arrive in more than one batch) counts as a device not known yet. Immutable.
 */
final class SiteDirectory {
  private final String userId;
  private final Map<String, Device> byId = new HashMap<>();
  private final Map<String, Device> bySite = new HashMap<>();
  private final Set<String> contested = new HashSet<>();

  private SiteDirectory(String userId, List<Device> devices) {
    this.userId = userId;
    for (Device d : devices) {
      if (d.userId().isEmpty() || d.publicKey().length == 0) {
        continue; // the rest of the row is still on its way
      }
      byId.put(d.id().toString(), d);
      d.siteId().ifPresent(site -> {
        String hex = Values.hex(site);
        if (bySite.putIfAbsent(hex, d) != null) {
          contested.add(hex);
        }
      });
    }
    contested.forEach(bySite::remove);
  }

  static SiteDirectory load(Connection c, String userId) throws SQLException {
    return new SiteDirectory(userId, SqlDevices.all(c));
  }

  /** The device with this id (as text from the network), if known. */
  Optional<Device> device(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  /** The device {@code site} is bound to, if exactly one is. */
  Optional<Device> owner(byte[] site) {
    return Optional.ofNullable(bySite.get(Values.hex(site)));
  }

  boolean isContested(byte[] site) {
    return contested.contains(Values.hex(site));
  }

  boolean isAuthorized(Device d) {
    return SqlDevices.authorizes(d, userId);
  }
}
