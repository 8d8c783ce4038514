package dev.cfost.identity;

import dev.cfost.identity.internal.Wire;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * A new device's answer to a {@link PairingChallenge}: the challenge's nonce, the new device's id, public
 * key, name and the site id of its database, and its Ed25519 signature over all of that and the whole
 * challenge.
 *
 * <p>The signature covers a domain-separated canonical encoding ({@link #signedBytes}), so it cannot be
 * taken for a signature of anything else, and any change to the challenge, the id, the key or the name
 * breaks it (version 2 added the site id: the authorizer binds the new device to it, see
 * {@link Devices#bindSite}). Travels as {@code cfost-pair-response:} and base64url ({@link #encode()}). Immutable.
 */
public final class PairingResponse {
  /** The prefix of the string form. */
  public static final String PREFIX = "cfost-pair-response:";

  private static final int VERSION = 2;
  private static final int MAX_TEXT = 1024;
  private static final byte[] DOMAIN = "cfost pairing response v2\0".getBytes(StandardCharsets.US_ASCII);
  private static final int SITE_BYTES = 16;

  private final byte[] nonce;
  private final DeviceId deviceId;
  private final byte[] publicKey;
  private final String deviceName;
  private final byte[] siteId;
  private final byte[] signature;

  PairingResponse(byte[] nonce, DeviceId deviceId, byte[] publicKey, String deviceName, byte[] siteId,
      byte[] signature) {
    this.nonce = nonce.clone();
    this.deviceId = Objects.requireNonNull(deviceId, "deviceId");
    this.publicKey = publicKey.clone();
    this.deviceName = Objects.requireNonNull(deviceName, "deviceName");
    this.siteId = siteId.clone();
    this.signature = signature.clone();
    if (this.nonce.length != 32 || this.publicKey.length != 32 || this.siteId.length != SITE_BYTES
        || this.signature.length > 255
        || deviceName.getBytes(StandardCharsets.UTF_8).length > 255) {
      throw new IllegalArgumentException("a pairing response has a 32-byte nonce, a 32-byte key, a 16-byte"
          + " site id, a signature"
          + " of at most 255 bytes and a name of at most 255 bytes");
    }
  }

  /**
   * Answers {@code challenge} as the device holding {@code keys}, to be called {@code deviceName}, whose
   * database has the site id {@code siteId}.
   *
   * @throws IdentityException if the name is not 1 to 64 characters without control characters
   */
  public static PairingResponse create(PairingChallenge challenge, DeviceKeys keys, byte[] siteId,
      String deviceName) {
    Objects.requireNonNull(challenge, "challenge");
    Objects.requireNonNull(keys, "keys");
    if (siteId == null || siteId.length != SITE_BYTES) {
      throw new IdentityException("a site id has 16 bytes, not " + (siteId == null ? "null" : siteId.length));
    }
    String name = deviceName == null ? "" : deviceName.strip();
    if (name.isEmpty() || name.codePointCount(0, name.length()) > 64 || name.chars().anyMatch(Character::isISOControl)) {
      throw new IdentityException("device name '" + deviceName + "' is not valid: use 1 to 64 characters"
          + " without control characters");
    }
    byte[] key = keys.publicKey();
    byte[] signature = keys.sign(signedBytes(challenge, keys.deviceId(), key, name, siteId));
    return new PairingResponse(challenge.nonce(), keys.deviceId(), key, name, siteId, signature);
  }

  /**
   * Reads the string form.
   *
   * @throws PairingException {@link PairingException.Reason#MALFORMED} saying what is wrong
   */
  public static PairingResponse decode(String text) {
    if (text == null || !text.startsWith(PREFIX)) {
      throw malformed("a pairing response starts with '" + PREFIX + "'");
    }
    if (text.length() > MAX_TEXT) {
      throw malformed("a pairing response has at most " + MAX_TEXT + " characters, this one " + text.length());
    }
    try {
      Wire.Reader r = new Wire.Reader(Base64.getUrlDecoder().decode(text.substring(PREFIX.length()).strip()));
      int version = r.u8();
      if (version != VERSION) {
        throw new IllegalArgumentException("version " + version + " is not known here (this code reads "
            + VERSION + ")");
      }
      byte[] nonce = r.fixed(32);
      DeviceId id = DeviceId.parse(r.string());
      byte[] key = r.fixed(32);
      String name = r.string();
      byte[] site = r.fixed(SITE_BYTES);
      byte[] signature = r.bytes();
      r.end();
      return new PairingResponse(nonce, id, key, name, site, signature);
    } catch (IllegalArgumentException e) {
      throw malformed(e.getMessage());
    }
  }

  /** The string form: {@code cfost-pair-response:} and base64url (no padding) of the binary form. */
  public String encode() {
    byte[] bytes = new Wire.Writer()
        .u8(VERSION)
        .fixed(nonce, 32)
        .string(deviceId.toString())
        .fixed(publicKey, 32)
        .string(deviceName)
        .fixed(siteId, SITE_BYTES)
        .bytes(signature)
        .toBytes();
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The QR code of {@link #encode()}, for an authorizer that scans rather than pastes. */
  public QrCode qrCode() {
    return QrCode.of(encode());
  }

  /**
   * Checks what can be checked without the authorizer's records: that this response answers {@code challenge}
   * (its nonce), that its device id is derived from its key, and that its signature verifies. Shows a
   * response's device id and name to a person only after this passed; {@link Pairing#approve} checks it again.
   *
   * @throws PairingException naming what does not hold
   */
  public void requireAnswers(PairingChallenge challenge) {
    if (!java.security.MessageDigest.isEqual(nonce, challenge.nonce())) {
      throw new PairingException(PairingException.Reason.NONCE_MISMATCH, "the response from device " + deviceId
          + " answers another challenge: its nonce differs from this challenge's");
    }
    if (!deviceId.matches(publicKey)) {
      throw new PairingException(PairingException.Reason.DEVICE_ID_MISMATCH, "the response claims device id "
          + deviceId + " but its public key has the id " + DeviceId.of(publicKey));
    }
    if (!isSignedFor(challenge)) {
      throw new PairingException(PairingException.Reason.BAD_SIGNATURE, "the signature of the response from device "
          + deviceId + " is not valid for this challenge: forged, altered or malformed");
    }
  }

  /**
   * Whether the signature is the new device's valid signature over {@link #signedBytes} for
   * {@code challenge}. Never throws, also for malformed signatures or keys.
   */
  public boolean isSignedFor(PairingChallenge challenge) {
    return DeviceKeys.verify(publicKey, signedBytes(challenge, deviceId, publicKey, deviceName, siteId),
        signature);
  }

  /**
   * What the signature covers: a domain separator, the challenge's whole binary form (self-delimiting),
   * then the device id, public key, name and site id, each length-prefixed or of fixed size, so that no
   * two different tuples encode alike.
   */
  static byte[] signedBytes(PairingChallenge challenge, DeviceId id, byte[] key, String name, byte[] site) {
    return new Wire.Writer()
        .fixed(DOMAIN, DOMAIN.length)
        .fixed(challenge.toBytes(), challenge.toBytes().length)
        .string(id.toString())
        .fixed(key, 32)
        .string(name)
        .fixed(site, SITE_BYTES)
        .toBytes();
  }

  /** The nonce of the challenge this response answers. */
  public byte[] nonce() {
    return nonce.clone();
  }

  /** The id the new device claims; the authorizer checks that it is derived from {@link #publicKey()}. */
  public DeviceId deviceId() {
    return deviceId;
  }

  /** The new device's raw 32-byte Ed25519 public key. */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /** The 16-byte site id of the new device's database, which the authorizer binds the device to. */
  public byte[] siteId() {
    return siteId.clone();
  }

  /** The name the new device asks to be listed under. */
  public String deviceName() {
    return deviceName;
  }

  /** The signature bytes as received (64 for a well-formed one). */
  public byte[] signature() {
    return signature.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PairingResponse other && encode().equals(other.encode());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(signature);
  }

  @Override
  public String toString() {
    return "PairingResponse[device " + deviceId + ", '" + deviceName + "']";
  }

  private static PairingException malformed(String why) {
    return new PairingException(PairingException.Reason.MALFORMED, "not a valid pairing response: " + why);
  }
}
