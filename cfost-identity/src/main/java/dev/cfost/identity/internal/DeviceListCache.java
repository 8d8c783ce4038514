package dev.cfost.identity.internal;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The device list as seals are checked against it ({@link SiteDirectory}), read again only when it may
 * have changed: triggers on {@code identity_devices} and {@code identity_revocations} count every write
 * to them, whoever makes it (a merge, a local revocation, another process), in the same transaction
 * ({@link IdentitySchema#listStamp}). Each use reads that count first, so a change committed before a
 * batch's check is always seen by it, as when the whole list was read for every batch. Without its
 * triggers (a schema someone altered) nothing is kept and every use reads the list. Thread-safe.
 */
final class DeviceListCache {
  private record Kept(IdentitySchema.ListStamp stamp, SiteDirectory sites) {}

  private final String userId;
  private volatile Kept kept;

  DeviceListCache(String userId) {
    this.userId = userId;
  }

  /** The current device list, read through {@code c}. */
  SiteDirectory current(Connection c) throws SQLException {
    IdentitySchema.ListStamp stamp = IdentitySchema.listStamp(c); // before the list: a later write only makes it newer
    Kept k = kept;
    if (k != null && stamp != null && k.stamp().equals(stamp)) {
      return k.sites();
    }
    SiteDirectory sites = SiteDirectory.load(c, userId);
    kept = stamp == null ? null : new Kept(stamp, sites);
    return sites;
  }
}
