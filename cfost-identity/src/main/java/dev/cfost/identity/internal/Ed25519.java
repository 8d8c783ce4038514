package dev.cfost.identity.internal;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/**
 * Ed25519 through the JDK (SunEC), with conversions between the JDK's key objects and the raw 32-byte
 * keys of RFC 8032 that go into tables and pairing messages. Stateless and thread-safe.
 */
public final class Ed25519 {
  public static final int KEY_BYTES = 32;
  public static final int SIGNATURE_BYTES = 64;

  // DER of SubjectPublicKeyInfo { AlgorithmIdentifier { 1.3.101.112 }, BIT STRING (33 bytes) }.
  private static final byte[] X509_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

  private Ed25519() {}

  /** The raw 32-byte key inside a JDK Ed25519 public key. */
  public static byte[] raw(PublicKey key) {
    byte[] der = key.getEncoded();
    if (der == null || der.length != X509_PREFIX.length + KEY_BYTES
        || !Arrays.equals(der, 0, X509_PREFIX.length, X509_PREFIX, 0, X509_PREFIX.length)) {
      throw new IllegalArgumentException("not an Ed25519 public key: " + key.getAlgorithm());
    }
    return Arrays.copyOfRange(der, X509_PREFIX.length, der.length);
  }

  /** A JDK public key for a raw 32-byte key. */
  public static PublicKey publicKey(byte[] raw) throws GeneralSecurityException {
    if (raw == null || raw.length != KEY_BYTES) {
      throw new GeneralSecurityException("an Ed25519 public key has 32 bytes, not "
          + (raw == null ? "null" : raw.length));
    }
    byte[] der = Arrays.copyOf(X509_PREFIX, X509_PREFIX.length + KEY_BYTES);
    System.arraycopy(raw, 0, der, X509_PREFIX.length, KEY_BYTES);
    return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
  }

  /** A JDK private key for an RFC 8032 32-byte private key (the seed). */
  public static PrivateKey privateKey(byte[] seed) throws GeneralSecurityException {
    return KeyFactory.getInstance("Ed25519").generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed));
  }

  /** The raw public key of a private key. The JDK has no API for this; BouncyCastle derives it. */
  public static byte[] publicOf(PrivateKey key) {
    byte[] seed = ((EdECPrivateKey) key).getBytes()
        .orElseThrow(() -> new IllegalArgumentException("the Ed25519 private key does not expose its bytes"));
    try {
      return new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded();
    } finally {
      Arrays.fill(seed, (byte) 0);
    }
  }

  public static byte[] sign(PrivateKey key, byte[] data) {
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(key);
      s.update(data);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed: " + e.getMessage(), e);
    }
  }

  /**
   * Whether {@code signature} is a valid signature of {@code data} under the raw key {@code publicKey}.
   * Never throws: a key or signature of the wrong length, a key that is not a curve point, or a signature
   * the JDK cannot even decode ("Invalid point" from {@link Signature#verify}) all count as invalid.
   */
  public static boolean verify(byte[] publicKey, byte[] data, byte[] signature) {
    if (publicKey == null || data == null || signature == null || signature.length != SIGNATURE_BYTES) {
      return false;
    }
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify(publicKey(publicKey));
      s.update(data);
      return s.verify(signature);
    } catch (GeneralSecurityException | RuntimeException e) {
      // RuntimeException too: a hostile key or signature must never reach the caller as a crash.
      return false;
    }
  }
}
