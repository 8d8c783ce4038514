package dev.cfost.identity.internal;

import static dev.cfost.identity.internal.IdentitySchema.DEVICES;
import static dev.cfost.identity.internal.IdentitySchema.REVOCATIONS;
import static dev.cfost.identity.internal.IdentitySchema.USERS;

import dev.cfost.Cfost;
import dev.cfost.WallClock;
import dev.cfost.identity.Device;
import dev.cfost.identity.DeviceId;
import dev.cfost.identity.Devices;
import dev.cfost.identity.IdentityException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import dev.cfost.Values;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@link Devices} over the replicated {@code identity_devices} table. Thread-safe, immutable.
 *
 * <p>The static methods take the caller's connection, so pairing can add a device and consume its nonce
 * in one transaction.
 */
public final class SqlDevices implements Devices {
  private static final Pattern NAME = Pattern.compile("[^\\p{Cntrl}]{1,64}");

  private final Db db;
  private final WallClock clock;

  private SqlDevices(Cfost db, WallClock clock) {
    this.db = new Db(db);
    this.clock = clock;
  }

  public static Devices open(Cfost db, WallClock clock) {
    Objects.requireNonNull(db, "db");
    Objects.requireNonNull(clock, "clock");
    IdentitySchema.users(db);
    IdentitySchema.devices(db);
    return new SqlDevices(db, clock);
  }

  @Override
  public Device add(String userId, byte[] publicKey, String name, DeviceId authorizedBy) {
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(publicKey, "publicKey");
    DeviceId id = DeviceId.of(publicKey);
    String checkedName = name(name);
    long now = clock.millis();
    return db.write(c -> {
      if (!userExists(c, userId)) {
        throw new IdentityException("no user with id '" + userId + "'");
      }
      Optional<Device> existing = find(c, id);
      if (existing.isPresent()) {
        Device d = existing.get();
        throw new IdentityException(d.isRevoked()
            ? "device " + id + " was revoked; a revoked key cannot be added again, pair with a new key"
            : "device " + id + " is already registered to user '" + d.userId() + "'");
      }
      insert(c, userId, id, publicKey, checkedName, now, authorizedBy, null);
      return find(c, id).orElseThrow();
    });
  }

  @Override
  public void bindSite(DeviceId id, byte[] siteId) {
    Objects.requireNonNull(id, "id");
    checkSite(siteId);
    db.write(c -> {
      Device d = find(c, id).orElseThrow(() -> new IdentityException("no device " + id));
      if (d.siteId().isPresent()) {
        if (!Arrays.equals(d.siteId().get(), siteId)) {
          throw new IdentityException("device " + id + " is bound to site " + Values.hex(d.siteId().get())
              + ", not " + Values.hex(siteId) + "; a device keeps the site of the database it was made for");
        }
        return null;
      }
      requireFreeSite(c, siteId, id);
      try (PreparedStatement ps = c.prepareStatement("UPDATE " + DEVICES + " SET site_id = ? WHERE device_id = ?")) {
        ps.setBytes(1, siteId);
        ps.setString(2, id.toString());
        ps.executeUpdate();
      }
      return null;
    });
  }

  static void checkSite(byte[] siteId) {
    if (siteId == null || siteId.length != 16) {
      throw new IdentityException("a site id has 16 bytes, not " + (siteId == null ? "null" : siteId.length));
    }
  }

  /** Refuses a site that a device other than {@code device} is bound to: a site has one device. */
  static void requireFreeSite(Connection c, byte[] siteId, DeviceId device) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT device_id FROM " + DEVICES + " WHERE site_id = ?"
        + " AND device_id <> ?")) {
      ps.setBytes(1, siteId);
      ps.setString(2, device.toString());
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          throw new IdentityException("site " + Values.hex(siteId) + " belongs to device " + rs.getString(1)
              + "; a site id belongs to one device only");
        }
      }
    }
  }

  @Override
  public List<Device> list(String userId) {
    Objects.requireNonNull(userId, "userId");
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE d.user_id = ? ORDER BY d.added_at, d.device_id")) {
        ps.setString(1, userId);
        return devices(ps);
      }
    });
  }

  @Override
  public Optional<Device> find(DeviceId id) {
    Objects.requireNonNull(id, "id");
    return db.read(c -> find(c, id));
  }

  @Override
  public void rename(DeviceId id, String name) {
    Objects.requireNonNull(id, "id");
    String checked = name(name);
    db.write(c -> {
      try (PreparedStatement ps = c.prepareStatement("UPDATE " + DEVICES + " SET name = ? WHERE device_id = ?")) {
        ps.setString(1, checked);
        ps.setString(2, id.toString());
        if (ps.executeUpdate() == 0) {
          throw new IdentityException("no device " + id);
        }
      }
      return null;
    });
  }

  @Override
  public void revoke(DeviceId id) {
    Objects.requireNonNull(id, "id");
    long now = clock.millis();
    db.write(c -> {
      if (find(c, id).isEmpty()) {
        throw new IdentityException("no device " + id);
      }
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE " + DEVICES + " SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL")) {
        ps.setLong(1, now);
        ps.setString(2, id.toString());
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT OR IGNORE INTO " + REVOCATIONS + "(device_id, revoked_at) VALUES (?, ?)")) {
        ps.setString(1, id.toString());
        ps.setLong(2, now);
        ps.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public boolean isAuthorized(DeviceId deviceId, String userId) {
    if (deviceId == null || userId == null) {
      return false;
    }
    return db.read(c -> isAuthorized(c, deviceId, userId));
  }

  static boolean isAuthorized(Connection c, DeviceId deviceId, String userId) throws SQLException {
    Optional<Device> d;
    try {
      d = find(c, deviceId);
    } catch (IdentityException unreadable) {
      return false; // a damaged row authorizes nothing
    }
    return d.isPresent() && authorizes(d.get(), userId);
  }

  /** The user's, not revoked, and stored with the key its id is derived from. */
  static boolean authorizes(Device d, String userId) {
    // The key check guards against a row whose key was edited: the id must still name the stored key.
    return d.userId().equals(userId) && !d.isRevoked() && d.id().matches(d.publicKey());
  }

  static boolean userExists(Connection c, String userId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM " + USERS + " WHERE user_id = ?")) {
      ps.setString(1, userId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  static void insert(Connection c, String userId, DeviceId id, byte[] publicKey, String name, long now,
      DeviceId authorizedBy, byte[] siteId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + DEVICES + "(device_id, user_id,"
        + " public_key, name, added_at, revoked_at, authorized_by, site_id) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)")) {
      ps.setString(1, id.toString());
      ps.setString(2, userId);
      ps.setBytes(3, publicKey);
      ps.setString(4, name);
      ps.setLong(5, now);
      if (authorizedBy == null) {
        ps.setNull(6, Types.VARCHAR);
      } else {
        ps.setString(6, authorizedBy.toString());
      }
      ps.setBytes(7, siteId);
      ps.executeUpdate();
    }
  }

  /** A device name: 1 to 64 characters, no control characters (it is shown in terminals). */
  static String name(String name) {
    String n = name == null ? "" : name.strip();
    if (!NAME.matcher(n).matches()) {
      throw new IdentityException("device name '" + name + "' is not valid: use 1 to 64 characters"
          + " without control characters");
    }
    return n;
  }

  // A revocation record revokes whatever identity_devices.revoked_at says (see IdentitySchema.devices).
  private static final String SELECT = "SELECT d.device_id, d.user_id, d.public_key, d.name, d.added_at,"
      + " CASE WHEN r.device_id IS NULL THEN d.revoked_at ELSE COALESCE(r.revoked_at, d.revoked_at, 0) END,"
      + " d.authorized_by, d.site_id FROM " + DEVICES + " d LEFT JOIN " + REVOCATIONS + " r ON r.device_id = d.device_id";

  static Optional<Device> find(Connection c, DeviceId id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE d.device_id = ?")) {
      ps.setString(1, id.toString());
      return devices(ps).stream().findFirst();
    }
  }

  /** Every readable device row, of every user: what seals are checked against. */
  static List<Device> all(Connection c) throws SQLException {
    List<Device> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(SELECT); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        try {
          out.add(device(rs));
        } catch (IdentityException unreadable) {
          // a damaged row authorizes nothing and binds no site
        }
      }
    }
    return out;
  }

  private static List<Device> devices(PreparedStatement ps) throws SQLException {
    List<Device> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(device(rs));
      }
    }
    return out;
  }

  private static Device device(ResultSet rs) throws SQLException {
    String id = rs.getString(1);
    try {
      byte[] key = rs.getBytes(3);
      long added = rs.getLong(5);
      long revoked = rs.getLong(6);
      boolean notRevoked = rs.wasNull();
      String by = rs.getString(7);
      String user = rs.getString(2);
      return new Device(DeviceId.parse(id), user == null ? "" : user, key == null ? new byte[0] : key,
          rs.getString(4), Instant.ofEpochMilli(added), notRevoked ? null : Instant.ofEpochMilli(revoked),
          by == null ? null : DeviceId.parse(by), rs.getBytes(8));
    } catch (IllegalArgumentException e) {
      throw new IdentityException("the stored row of device '" + id + "' cannot be read: " + e.getMessage(), e);
    }
  }
}
