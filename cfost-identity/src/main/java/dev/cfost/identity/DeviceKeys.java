package dev.cfost.identity;

import dev.cfost.Cfost;
import dev.cfost.identity.internal.Ed25519;
import dev.cfost.identity.internal.KeyFile;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Objects;

/**
 * This device's Ed25519 key pair, and the device id derived from it.
 *
 * <p>The key is made once per database and kept outside the replicated data, in a file beside the
 * database ({@code <db>.device.key}, PKCS#8, readable by the owner only): it must never travel with the
 * rows it authorizes. Keys come from the JDK ({@code KeyPairGenerator "Ed25519"}). Immutable and
 * thread-safe; {@link #toString()} shows the device id, never the key.
 */
public final class DeviceKeys {
  private final PrivateKey privateKey;
  private final PublicKey publicKey;
  private final byte[] rawPublicKey;
  private final DeviceId id;

  private DeviceKeys(KeyPair pair) {
    this.privateKey = pair.getPrivate();
    this.publicKey = pair.getPublic();
    this.rawPublicKey = Ed25519.raw(publicKey);
    this.id = DeviceId.of(rawPublicKey);
  }

  /** The key file of the database at {@code database}: {@code <database>.device.key} beside it. */
  public static Path keyFileOf(Path database) {
    Path absolute = database.toAbsolutePath();
    return absolute.resolveSibling(absolute.getFileName() + ".device.key");
  }

  /** The keys of the device that holds {@code db}, made on first use. */
  public static DeviceKeys forDatabase(Cfost db) {
    return loadOrCreate(keyFileOf(db.path()));
  }

  /**
   * The keys in {@code keyFile}, made there first (atomically, owner-only) if the file does not exist.
   *
   * @throws IdentityException if the file cannot be read or written, does not hold an Ed25519 key, or
   *     may be read by others than its owner
   */
  public static DeviceKeys loadOrCreate(Path keyFile) {
    Objects.requireNonNull(keyFile, "keyFile");
    return new DeviceKeys(KeyFile.loadOrCreate(keyFile));
  }

  /** New keys held in memory only, for a device that keeps its key elsewhere (and for tests). */
  public static DeviceKeys generate() {
    try {
      return new DeviceKeys(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot make Ed25519 keys: " + e.getMessage(), e);
    }
  }

  /** This device's id, derived from its public key. */
  public DeviceId deviceId() {
    return id;
  }

  /** The raw 32-byte public key (RFC 8032 encoding). */
  public byte[] publicKey() {
    return rawPublicKey.clone();
  }

  /**
   * The key pair for this device's TLS certificate, so that a TLS handshake proves the device's key (see
   * cfost-net's {@code TlsIdentity.forKeys}). Hand it only to the TLS stack.
   */
  public KeyPair tlsKeyPair() {
    return new KeyPair(publicKey, privateKey);
  }

  /**
   * The device id of a JDK Ed25519 public key, as a peer's TLS certificate carries it.
   *
   * @throws IdentityException if the key is not an Ed25519 key
   */
  public static DeviceId deviceIdOf(PublicKey key) {
    try {
      return DeviceId.of(Ed25519.raw(key));
    } catch (RuntimeException e) {
      throw new IdentityException("not an Ed25519 device key: " + (key == null ? "none" : key.getAlgorithm()), e);
    }
  }

  /** The public key as a JDK key, for TLS and other JCA uses. */
  public PublicKey jdkPublicKey() {
    return publicKey;
  }

  /** An Ed25519 signature (64 bytes) of {@code data} by this device. */
  public byte[] sign(byte[] data) {
    Objects.requireNonNull(data, "data");
    return Ed25519.sign(privateKey, data);
  }

  /**
   * Whether {@code signature} is a valid Ed25519 signature of {@code data} by the raw 32-byte
   * {@code publicKey}. Never throws: malformed keys or signatures (wrong length, not a curve point, null)
   * are simply not valid.
   */
  public static boolean verify(byte[] publicKey, byte[] data, byte[] signature) {
    return Ed25519.verify(publicKey, data, signature);
  }

  @Override
  public String toString() {
    return "DeviceKeys[" + id + "]";
  }
}
