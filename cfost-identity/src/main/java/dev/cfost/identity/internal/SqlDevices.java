package dev.cfost.identity.internal;

import static dev.cfost.identity.internal.IdentitySchema.DEVICES;
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
import java.util.ArrayList;
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
      insert(c, userId, id, publicKey, checkedName, now, authorizedBy);
      return find(c, id).orElseThrow();
    });
  }

  @Override
  public List<Device> list(String userId) {
    Objects.requireNonNull(userId, "userId");
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE user_id = ? ORDER BY added_at, device_id")) {
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
    // The key check guards against a row whose key was edited: the id must still name the stored key.
    return d.isPresent() && d.get().userId().equals(userId) && !d.get().isRevoked()
        && deviceId.matches(d.get().publicKey());
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
      DeviceId authorizedBy) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + DEVICES + "(device_id, user_id,"
        + " public_key, name, added_at, revoked_at, authorized_by) VALUES (?, ?, ?, ?, ?, NULL, ?)")) {
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

  private static final String SELECT = "SELECT device_id, user_id, public_key, name, added_at, revoked_at,"
      + " authorized_by FROM " + DEVICES;

  static Optional<Device> find(Connection c, DeviceId id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SELECT + " WHERE device_id = ?")) {
      ps.setString(1, id.toString());
      return devices(ps).stream().findFirst();
    }
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
          by == null ? null : DeviceId.parse(by));
    } catch (IllegalArgumentException e) {
      throw new IdentityException("the stored row of device '" + id + "' cannot be read: " + e.getMessage(), e);
    }
  }
}
