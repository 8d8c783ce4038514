package dev.cfost.identity.internal;

import dev.cfost.identity.Device;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
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
 * cells arrive in more than one batch) counts as a device not known yet. Whether each device authorizes
 * is decided once, when the snapshot is made (it re-derives the id from the key). Immutable.
 */
final class SiteDirectory {
  private final Map<String, Device> byId = new HashMap<>();
  private final Map<ByteBuffer, Device> bySite = new HashMap<>();
  private final Set<ByteBuffer> contested = new HashSet<>();
  private final Set<Device> authorized = new HashSet<>();

  private SiteDirectory(String userId, List<Device> devices) {
    for (Device d : devices) {
      if (d.userId().isEmpty() || d.publicKey().length == 0) {
        continue; // the rest of the row is still on its way
      }
      byId.put(d.id().toString(), d);
      if (SqlDevices.authorizes(d, userId)) {
        authorized.add(d);
      }
      d.siteId().ifPresent(site -> {
        ByteBuffer key = ByteBuffer.wrap(site.clone());
        if (bySite.putIfAbsent(key, d) != null) {
          contested.add(key);
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

  /**
   * What the checks of a change need of its site: whether it is contested, its device (null: none) and
   * whether that device authorizes. {@code last} is returned again for the same site: a batch's changes
   * come in runs of one site, so this looks a site up once per run.
   */
  Site site(byte[] siteId, Site last) {
    if (last != null && Arrays.equals(last.id, siteId)) {
      return last;
    }
    ByteBuffer key = ByteBuffer.wrap(siteId);
    Device owner = bySite.get(key);
    return new Site(siteId, contested.contains(key), owner, owner != null && authorized.contains(owner));
  }

  /** A site as {@link #site} found it. */
  record Site(byte[] id, boolean contested, Device owner, boolean ownerAuthorized) {}

  /** The device with this id, or null: {@link #device} without the Optional, for per-change loops. */
  Device deviceOrNull(String id) {
    return byId.get(id);
  }

  /** The user's, not revoked, and stored with the key its id is derived from ({@link SqlDevices#authorizes}). */
  boolean isAuthorized(Device d) {
    return authorized.contains(d);
  }
}
