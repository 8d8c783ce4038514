package dev.cfost.identity;

import dev.cfost.identity.internal.Wire;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an authorized device shows a new device to pair it: who is pairing (user and authorizing
 * device, with its public key), a one-time 32-byte nonce, when the offer expires, and where the
 * authorizer can be reached.
 *
 * <p>It travels as a copyable string, {@code cfost-pair:} followed by base64url of a compact binary form
 * ({@link #encode()}), or as the QR code of that string ({@link #qrCode()}). Made by
 * {@link Pairing#createChallenge}; the new device reads it with {@link #decode} and answers with
 * {@link PairingResponse#create}. Immutable.
 *
 * <p>When the authorizer is not the user's first device, the challenge also carries the first device's
 * key: a new device that reaches the user's devices only through a sync server anchors its first sync on
 * the first device ({@link #serverAnchor()}), from whose self-sealed row the whole device list is checked.
 */
public final class PairingChallenge {
  /** The prefix of the string form. */
  public static final String PREFIX = "cfost-pair:";
  /** The most addresses a challenge carries, to keep its QR code scannable. */
  public static final int MAX_ADDRESSES = 8;

  private static final int VERSION = 1;
  /** Version 2 adds the database id, so that a device joining offline takes the database it joins. */
  private static final int VERSION_WITH_DATABASE = 2;
  /** Version 3 adds the user's first device's key (the database id may then be empty). */
  private static final int VERSION_WITH_FIRST_DEVICE = 3;
  private static final int MAX_TEXT = 4096;
  private static final Pattern ADDRESS =
      Pattern.compile("(\\[[0-9A-Fa-f:.]{2,45}\\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):([0-9]{1,5})");

  private final String userId;
  private final byte[] authorizerKey;
  private final DeviceId authorizerId;
  private final byte[] nonce;
  private final Instant expiresAt;
  private final List<String> addresses;
  private final String databaseId; // null in a version 1 challenge
  private final byte[] firstDeviceKey; // null unless the authorizer is not the user's first device

  private PairingChallenge(String userId, byte[] authorizerKey, byte[] nonce, Instant expiresAt,
      List<String> addresses, String databaseId, byte[] firstDeviceKey) {
    this.databaseId = databaseId;
    this.firstDeviceKey = firstDeviceKey;
    this.userId = userId;
    this.authorizerKey = authorizerKey;
    this.authorizerId = DeviceId.of(authorizerKey);
    this.nonce = nonce;
    this.expiresAt = expiresAt;
    this.addresses = addresses;
  }

  /**
   * A challenge with these fields; normally {@link Pairing#createChallenge} makes it and records its
   * nonce, and only a challenge recorded that way can be approved.
   *
   * @param addresses where the authorizer listens, {@code host:port} or {@code [ipv6]:port}, at most 8
   * @throws IllegalArgumentException naming the field that is not valid
   */
  public static PairingChallenge of(String userId, byte[] authorizerPublicKey, byte[] nonce,
      Instant expiresAt, List<String> addresses) {
    return of(userId, authorizerPublicKey, nonce, expiresAt, addresses, null);
  }

  /**
   * A challenge that also names the database the new device joins ({@code null} for none): the new
   * device takes its id, also when it pairs offline.
   */
  public static PairingChallenge of(String userId, byte[] authorizerPublicKey, byte[] nonce,
      Instant expiresAt, List<String> addresses, String databaseId) {
    return of(userId, authorizerPublicKey, nonce, expiresAt, addresses, databaseId, null);
  }

  /**
   * A challenge that also names the user's first device by its key ({@code null}, or the authorizer's own
   * key, for none): see {@link #serverAnchor()}.
   */
  public static PairingChallenge of(String userId, byte[] authorizerPublicKey, byte[] nonce,
      Instant expiresAt, List<String> addresses, String databaseId, byte[] firstDevicePublicKey) {
    if (databaseId != null && (databaseId.isEmpty() || databaseId.length() > 128
        || !databaseId.chars().allMatch(ch -> Character.isLetterOrDigit(ch) && ch < 128 || ch == '.' || ch == '_' || ch == '-'))) {
      throw new IllegalArgumentException("database id '" + databaseId + "' is not valid in a pairing challenge");
    }
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(authorizerPublicKey, "authorizerPublicKey");
    Objects.requireNonNull(nonce, "nonce");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(addresses, "addresses");
    if (userId.isEmpty() || userId.getBytes(StandardCharsets.UTF_8).length > 255
        || userId.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException("user id '" + userId + "' is not valid in a pairing challenge");
    }
    if (authorizerPublicKey.length != 32) {
      throw new IllegalArgumentException("the authorizer's public key has " + authorizerPublicKey.length
          + " bytes; an Ed25519 key has 32");
    }
    if (nonce.length != 32) {
      throw new IllegalArgumentException("the nonce has " + nonce.length + " bytes; a pairing nonce has 32");
    }
    if (addresses.size() > MAX_ADDRESSES) {
      throw new IllegalArgumentException(addresses.size() + " addresses; a pairing challenge carries at most "
          + MAX_ADDRESSES);
    }
    for (String a : addresses) {
      checkAddress(a);
    }
    if (firstDevicePublicKey != null && firstDevicePublicKey.length != 32) {
      throw new IllegalArgumentException("the first device's public key has " + firstDevicePublicKey.length
          + " bytes; an Ed25519 key has 32");
    }
    byte[] first = firstDevicePublicKey == null || Arrays.equals(firstDevicePublicKey, authorizerPublicKey)
        ? null : firstDevicePublicKey.clone();
    return new PairingChallenge(userId, authorizerPublicKey.clone(), nonce.clone(),
        Instant.ofEpochMilli(expiresAt.toEpochMilli()), List.copyOf(addresses), databaseId, first);
  }

  /**
   * Reads the string form (as scanned from the QR code or pasted).
   *
   * @throws PairingException {@link PairingException.Reason#MALFORMED} saying what is wrong
   */
  public static PairingChallenge decode(String text) {
    if (text == null || !text.startsWith(PREFIX)) {
      throw malformed("a pairing challenge starts with '" + PREFIX + "'");
    }
    if (text.length() > MAX_TEXT) {
      throw malformed("a pairing challenge has at most " + MAX_TEXT + " characters, this one " + text.length());
    }
    try {
      Wire.Reader r = new Wire.Reader(Base64.getUrlDecoder().decode(text.substring(PREFIX.length()).strip()));
      int version = r.u8();
      if (version < VERSION || version > VERSION_WITH_FIRST_DEVICE) {
        throw new IllegalArgumentException("version " + version + " is not known here (this code reads "
            + VERSION + " to " + VERSION_WITH_FIRST_DEVICE + ")");
      }
      String user = r.string();
      byte[] key = r.fixed(32);
      byte[] nonce = r.fixed(32);
      Instant expires = Instant.ofEpochMilli(r.i64());
      int count = r.u8();
      if (count > MAX_ADDRESSES) {
        throw new IllegalArgumentException(count + " addresses; at most " + MAX_ADDRESSES + " are allowed");
      }
      List<String> addresses = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        addresses.add(r.string());
      }
      String database = version >= VERSION_WITH_DATABASE ? r.string() : null;
      byte[] first = null;
      if (version == VERSION_WITH_FIRST_DEVICE) {
        database = database.isEmpty() ? null : database;
        first = r.fixed(32);
        if (Arrays.equals(first, key)) {
          throw new IllegalArgumentException("it names its authorizer as the user's first device, which a"
              + " version 3 challenge never does");
        }
      }
      r.end();
      return of(user, key, nonce, expires, addresses, database, first);
    } catch (IllegalArgumentException | java.time.DateTimeException e) {
      throw malformed(e.getMessage());
    }
  }

  /** The string form: {@code cfost-pair:} and base64url (no padding) of the binary form. */
  public String encode() {
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(toBytes());
  }

  /** The QR code of {@link #encode()}, to show on a screen or print in a terminal. */
  public QrCode qrCode() {
    return QrCode.of(encode());
  }

  /** The canonical binary form; a response's signature covers it whole. */
  byte[] toBytes() {
    Wire.Writer w = new Wire.Writer()
        .u8(firstDeviceKey != null ? VERSION_WITH_FIRST_DEVICE : databaseId == null ? VERSION : VERSION_WITH_DATABASE)
        .string(userId)
        .fixed(authorizerKey, 32)
        .fixed(nonce, 32)
        .i64(expiresAt.toEpochMilli())
        .u8(addresses.size());
    addresses.forEach(w::string);
    if (firstDeviceKey != null) {
      w.string(databaseId == null ? "" : databaseId).fixed(firstDeviceKey, 32);
    } else if (databaseId != null) {
      w.string(databaseId);
    }
    return w.toBytes();
  }

  /** The user the new device will belong to. */
  public String userId() {
    return userId;
  }

  /** The device that issued the challenge and will approve the response. */
  public DeviceId authorizerId() {
    return authorizerId;
  }

  /** The authorizer's raw 32-byte Ed25519 public key. */
  public byte[] authorizerPublicKey() {
    return authorizerKey.clone();
  }

  /** The one-time 32-byte random nonce. */
  public byte[] nonce() {
    return nonce.clone();
  }

  /** After this instant the authorizer refuses responses to this challenge. */
  public Instant expiresAt() {
    return expiresAt;
  }

  /** The database id the new device joins; empty for a challenge made before it was carried. */
  public java.util.Optional<String> databaseId() {
    return java.util.Optional.ofNullable(databaseId);
  }

  /**
   * The user's first device, when the authorizer is not it (the authorizer named it from its device list).
   * Empty when the authorizer is the first device, or did not say (a challenge made before version 3).
   */
  public java.util.Optional<DeviceId> firstDeviceId() {
    return java.util.Optional.ofNullable(firstDeviceKey).map(DeviceId::of);
  }

  /**
   * The device a new device anchors on when it syncs through a server before it knows the user's device
   * list ({@link SyncTrust#forUser(dev.cfost.Cfost, DeviceKeys, String, DeviceId)}'s {@code pairedWith}):
   * the user's first device, which is the authorizer or the one the challenge names.
   */
  public DeviceId serverAnchor() {
    return firstDeviceId().orElse(authorizerId);
  }

  /** Where the authorizer can be reached, {@code host:port}. */
  public List<String> addresses() {
    return addresses;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PairingChallenge other && Arrays.equals(toBytes(), other.toBytes());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(nonce);
  }

  @Override
  public String toString() {
    return "PairingChallenge[user " + userId + ", authorizer " + authorizerId + ", expires " + expiresAt
        + ", " + addresses + "]";
  }

  private static void checkAddress(String address) {
    Matcher m = address == null ? null : ADDRESS.matcher(address);
    if (m == null || !m.matches() || Integer.parseInt(m.group(2)) < 1 || Integer.parseInt(m.group(2)) > 65535) {
      throw new IllegalArgumentException("address '" + address + "' is not host:port (port 1 to 65535;"
          + " an IPv6 host in brackets)");
    }
  }

  private static PairingException malformed(String why) {
    return new PairingException(PairingException.Reason.MALFORMED, "not a valid pairing challenge: " + why);
  }
}
