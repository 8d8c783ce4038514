package dev.cfost.identity;

import dev.cfost.identity.internal.DeviceIdText;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;

/**
 * A device's id: the SHA-256 of its raw 32-byte Ed25519 public key, so that an id names exactly one key
 * and anyone holding the key can check the id.
 *
 * <p>It prints the way Syncthing prints device ids, in 8 groups of 7 characters, for example
 * {@code P56IOI7-MZJNU2Y-IQGDREY-DM2MGTI-MGL3BXN-PQ6W5BM-TBBZ4TJ-XZWICQ2}: base32 with one check
 * character per 13, so that {@link #parse} catches a mistyped character. Immutable; equal ids have the
 * same hash.
 */
public final class DeviceId {
  private final byte[] hash;
  /** The printed form, made on first use: checking a key against an id never needs it. */
  private volatile String text;

  private DeviceId(byte[] hash) {
    this.hash = hash;
  }

  /** The id of the device whose raw 32-byte Ed25519 public key is {@code publicKey}. */
  public static DeviceId of(byte[] publicKey) {
    Objects.requireNonNull(publicKey, "publicKey");
    if (publicKey.length != 32) {
      throw new IllegalArgumentException("an Ed25519 public key has 32 bytes, not " + publicKey.length);
    }
    return new DeviceId(sha256(publicKey));
  }

  private static byte[] sha256(byte[] publicKey) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(publicKey);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }

  /**
   * Reads a device id in its printed form. Case, spaces and dashes do not matter, nor the digits 0, 1
   * and 8 typed for the letters O, I and B.
   *
   * @throws IllegalArgumentException naming the text if it is not a device id or has a typo that the
   *     check characters reveal
   */
  public static DeviceId parse(String text) {
    return new DeviceId(DeviceIdText.parse(text));
  }

  /** The 32-byte SHA-256 hash this id stands for. */
  public byte[] hash() {
    return hash.clone();
  }

  /** Whether this is the id of {@code publicKey}; false for anything that is not a 32-byte key. */
  public boolean matches(byte[] publicKey) {
    return publicKey != null && publicKey.length == 32 && MessageDigest.isEqual(hash, sha256(publicKey));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DeviceId other && MessageDigest.isEqual(hash, other.hash);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(hash);
  }

  /** The printed form, {@code XXXXXXX-XXXXXXX-XXXXXXX-XXXXXXX-XXXXXXX-XXXXXXX-XXXXXXX-XXXXXXX}. */
  @Override
  public String toString() {
    String t = text;
    if (t == null) {
      t = DeviceIdText.format(hash); // a race makes it twice, the same both times
      text = t;
    }
    return t;
  }
}
