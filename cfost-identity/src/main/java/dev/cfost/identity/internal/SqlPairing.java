package dev.cfost.identity.internal;

import static dev.cfost.identity.internal.IdentitySchema.CHALLENGES;

import dev.cfost.Cfost;
import dev.cfost.WallClock;
import dev.cfost.identity.Device;
import dev.cfost.identity.DeviceId;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.IdentityException;
import dev.cfost.identity.Pairing;
import dev.cfost.identity.PairingChallenge;
import dev.cfost.identity.PairingException;
import dev.cfost.identity.PairingException.Reason;
import dev.cfost.identity.PairingResponse;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link Pairing} with issued challenges in the local table {@code identity_pairing_challenges}.
 * Thread-safe, immutable: every check and the addition happen in one {@code BEGIN IMMEDIATE}
 * transaction, so two concurrent approvals of one nonce cannot both succeed.
 */
public final class SqlPairing implements Pairing {
  // Challenges are forgotten a day after they expire; a replay after that is refused as unknown.
  private static final long FORGET_AFTER_MILLIS = 24L * 60 * 60 * 1000;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Cfost cfost;
  private final Db db;
  private final DeviceKeys keys;
  private final WallClock clock;

  private SqlPairing(Cfost db, DeviceKeys keys, WallClock clock) {
    this.cfost = db;
    this.db = new Db(db);
    this.keys = keys;
    this.clock = clock;
  }

  public static Pairing open(Cfost db, DeviceKeys keys, WallClock clock) {
    Objects.requireNonNull(db, "db");
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(clock, "clock");
    IdentitySchema.users(db);
    IdentitySchema.devices(db);
    IdentitySchema.challenges(db);
    return new SqlPairing(db, keys, clock);
  }

  @Override
  public PairingChallenge createChallenge(String userId, List<String> addresses) {
    Objects.requireNonNull(userId, "userId");
    byte[] nonce = new byte[32];
    RANDOM.nextBytes(nonce);
    long now = clock.millis();
    return db.write(c -> {
      if (!SqlDevices.isAuthorized(c, keys.deviceId(), userId)) {
        throw notAuthorized(userId);
      }
      PairingChallenge challenge = PairingChallenge.of(userId, keys.publicKey(), nonce,
          Instant.ofEpochMilli(now + CHALLENGE_LIFETIME.toMillis()), addresses, cfost.databaseId(),
          firstDeviceKey(c, userId));
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + CHALLENGES + " WHERE expires_at < ?")) {
        ps.setLong(1, now - FORGET_AFTER_MILLIS);
        ps.executeUpdate();
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + CHALLENGES
          + "(nonce, challenge, issued_at, expires_at) VALUES (?, ?, ?, ?)")) {
        ps.setBytes(1, nonce);
        ps.setString(2, challenge.encode());
        ps.setLong(3, now);
        ps.setLong(4, challenge.expiresAt().toEpochMilli());
        ps.executeUpdate();
      }
      return challenge;
    });
  }

  /**
   * The key of the user's first device (added by no device), if it is still authorized: a new device
   * anchors its first sync through a server on it (PairingChallenge#serverAnchor). None if the list has
   * no such device, or more than one (nothing to choose between).
   */
  private static byte[] firstDeviceKey(Connection c, String userId) throws SQLException {
    List<Device> roots;
    try {
      roots = SqlDevices.all(c).stream()
          .filter(d -> d.authorizedBy().isEmpty() && SqlDevices.authorizes(d, userId)).toList();
    } catch (IdentityException unreadable) {
      return null; // a damaged row: name no anchor rather than refuse to pair
    }
    return roots.size() == 1 ? roots.get(0).publicKey() : null;
  }

  private record Issued(String challenge, long expiresAt, Long usedAt, String usedBy) {}

  @Override
  public Device approve(PairingResponse response, PairingChallenge challenge) {
    Objects.requireNonNull(response, "response");
    Objects.requireNonNull(challenge, "challenge");
    if (!MessageDigest.isEqual(response.nonce(), challenge.nonce())) {
      throw new PairingException(Reason.NONCE_MISMATCH, "the response from device " + response.deviceId()
          + " answers another challenge: its nonce differs from this challenge's");
    }
    return db.write(c -> {
      long now = clock.millis();
      Optional<Issued> issued = issued(c, challenge.nonce());
      if (issued.isEmpty() || !issued.get().challenge().equals(challenge.encode())) {
        throw new PairingException(Reason.UNKNOWN_CHALLENGE, "this device (" + keys.deviceId()
            + ") did not issue this challenge, or it was altered since, or it expired long ago");
      }
      Issued row = issued.get();
      if (row.usedAt() != null) {
        throw new PairingException(Reason.REPLAYED, "the challenge was already used at "
            + Instant.ofEpochMilli(row.usedAt()) + " to pair device " + row.usedBy()
            + "; each challenge pairs one device once");
      }
      if (now >= row.expiresAt()) {
        throw new PairingException(Reason.EXPIRED, "the challenge expired at "
            + Instant.ofEpochMilli(row.expiresAt()) + ", " + (now - row.expiresAt()) / 1000
            + " s ago; make a new one");
      }
      if (!response.deviceId().matches(response.publicKey())) {
        throw new PairingException(Reason.DEVICE_ID_MISMATCH, "the response claims device id "
            + response.deviceId() + " but its public key has the id "
            + DeviceId.of(response.publicKey()));
      }
      if (!response.isSignedFor(challenge)) {
        throw new PairingException(Reason.BAD_SIGNATURE, "the signature of the response from device "
            + response.deviceId() + " is not valid for this challenge: forged, altered or malformed ("
            + response.signature().length + " bytes)");
      }
      String name;
      try {
        name = SqlDevices.name(response.deviceName());
      } catch (IdentityException e) {
        throw new PairingException(Reason.MALFORMED, e.getMessage());
      }
      if (!SqlDevices.isAuthorized(c, keys.deviceId(), challenge.userId())) {
        throw notAuthorized(challenge.userId());
      }
      Optional<Device> existing = SqlDevices.find(c, response.deviceId());
      if (existing.isPresent()) {
        throw existing.get().isRevoked()
            ? new PairingException(Reason.DEVICE_REVOKED, "device " + response.deviceId()
                + " was revoked; a revoked key cannot be paired again, the device needs a new key")
            : new PairingException(Reason.DEVICE_ALREADY_REGISTERED, "device " + response.deviceId()
                + " is already registered to user '" + existing.get().userId() + "'");
      }
      try {
        SqlDevices.requireFreeSite(c, response.siteId(), response.deviceId());
      } catch (IdentityException e) {
        throw new PairingException(Reason.SITE_TAKEN, "device " + response.deviceId() + " cannot be paired: "
            + e.getMessage());
      }
      SqlDevices.insert(c, challenge.userId(), response.deviceId(), response.publicKey(), name, now,
          keys.deviceId(), response.siteId());
      markUsed(c, challenge.nonce(), now, response.deviceId().toString());
      return SqlDevices.find(c, response.deviceId()).orElseThrow();
    });
  }

  @Override
  public Device approve(PairingResponse response) {
    Objects.requireNonNull(response, "response");
    Optional<Issued> issued = db.read(c -> issued(c, response.nonce()));
    if (issued.isEmpty()) {
      throw new PairingException(Reason.UNKNOWN_CHALLENGE, "this device (" + keys.deviceId()
          + ") issued no challenge that the response from device " + response.deviceId()
          + " answers, or it expired long ago");
    }
    return approve(response, PairingChallenge.decode(issued.get().challenge()));
  }

  private PairingException notAuthorized(String userId) {
    return new PairingException(Reason.AUTHORIZER_NOT_AUTHORIZED, "this device (" + keys.deviceId()
        + ") is not an authorized device of user '" + userId + "'; only such a device can pair new ones");
  }

  private static Optional<Issued> issued(Connection c, byte[] nonce) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT challenge, expires_at, used_at, used_by FROM " + CHALLENGES + " WHERE nonce = ?")) {
      ps.setBytes(1, nonce);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        String challenge = rs.getString(1);
        long expires = rs.getLong(2);
        long used = rs.getLong(3);
        Long usedAt = rs.wasNull() ? null : used;
        return Optional.of(new Issued(challenge, expires, usedAt, rs.getString(4)));
      }
    }
  }

  private static void markUsed(Connection c, byte[] nonce, long now, String deviceId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + CHALLENGES
        + " SET used_at = ?, used_by = ? WHERE nonce = ? AND used_at IS NULL")) {
      ps.setLong(1, now);
      ps.setString(2, deviceId);
      ps.setBytes(3, nonce);
      if (ps.executeUpdate() != 1) {
        // Cannot happen inside BEGIN IMMEDIATE after the check above; refuse rather than pair twice.
        throw new PairingException(Reason.REPLAYED, "the challenge was used meanwhile");
      }
    }
  }
}
