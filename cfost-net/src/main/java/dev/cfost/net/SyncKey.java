package dev.cfost.net;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/**
 * The shared secret that admits a peer to a database without users: 32 random bytes, made by {@code cfost
 * init} and copied by hand to the other replicas. It is never sent or announced: both sides derive the same
 * Ed25519 TLS key from it ({@link TlsIdentity#forSyncKey}) and accept only a peer whose certificate carries
 * that key, so the TLS handshake proves that the peer knows the secret without revealing it.
 *
 * <p>Kept in {@code <database file>.sync-key}, owner-only; loading refuses a file that others may read.
 * Immutable; {@link #toString} does not show the key.
 */
public final class SyncKey {
  private static final int BYTES = 32;
  private static final byte[] TLS_LABEL = "cfost-sync-key-tls-v1".getBytes(StandardCharsets.US_ASCII);
  private static final Set<PosixFilePermission> OWNER_ONLY =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
  // DER prefixes of an Ed25519 private key (PKCS#8) and public key (X.509) around their 32 raw bytes.
  private static final byte[] PKCS8_PREFIX = HexFormat.of().parseHex("302e020100300506032b657004220420");
  private static final byte[] X509_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

  private final byte[] key;

  private SyncKey(byte[] key) {
    this.key = key;
  }

  /** A new random key. */
  public static SyncKey generate() {
    byte[] k = new byte[BYTES];
    new SecureRandom().nextBytes(k);
    return new SyncKey(k);
  }

  /**
   * Reads a key as {@link #text} writes it: 64 hex digits; spaces and dashes are ignored.
   *
   * @throws IllegalArgumentException if it is not 32 bytes of hex (a short or guessable key is refused)
   */
  public static SyncKey parse(String text) {
    String hex = text == null ? "" : text.replaceAll("[\\s-]", "").toLowerCase(java.util.Locale.ROOT);
    if (!hex.matches("[0-9a-f]{" + 2 * BYTES + "}")) {
      throw new IllegalArgumentException("a sync key is 64 hex digits (as 'cfost sync-key' prints it), not "
          + (text == null ? 0 : hex.length()) + " characters");
    }
    return new SyncKey(HexFormat.of().parseHex(hex));
  }

  /** The key as 64 lowercase hex digits: a secret, show it only to the user. */
  public String text() {
    return HexFormat.of().formatHex(key);
  }

  /** The key file of a database: {@code <database file>.sync-key}. */
  public static Path fileFor(Path database) {
    Path abs = database.toAbsolutePath();
    return abs.resolveSibling(abs.getFileName() + ".sync-key");
  }

  /**
   * The key of a database, if it has one.
   *
   * @throws IOException if the file cannot be read, is readable by others, or holds no key
   */
  public static Optional<SyncKey> load(Path database) throws IOException {
    Path file = fileFor(database);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    requireOwnerOnly(file, "the sync key file", "set the key again ('cfost sync-key set')");
    try {
      return Optional.of(parse(Files.readString(file, StandardCharsets.US_ASCII)));
    } catch (IllegalArgumentException e) {
      throw new IOException("the sync key file " + file + " holds no sync key: " + e.getMessage(), e);
    }
  }

  /** Writes this key as the key of {@code database}, owner-only, atomically, replacing any other. */
  public void save(Path database) throws IOException {
    Path file = fileFor(database);
    Path dir = file.getParent();
    boolean posix = Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null;
    Path tmp = posix
        ? Files.createTempFile(dir, ".sync-key-", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY))
        : Files.createTempFile(dir, ".sync-key-", ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.write(StandardCharsets.US_ASCII.encode(text() + "\n"));
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Refuses a secret file that the group or others may read or write, as ssh does with its keys.
   *
   * @throws IOException naming the file, its permissions and {@code remedy}
   */
  static void requireOwnerOnly(Path file, String what, String remedy) throws IOException {
    if (Files.getFileAttributeView(file, PosixFileAttributeView.class) == null) {
      return; // not a POSIX file system: the folder's access rules apply
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    Set<PosixFilePermission> extra = EnumSet.copyOf(perms);
    extra.removeAll(OWNER_ONLY);
    extra.remove(PosixFilePermission.OWNER_EXECUTE);
    if (!extra.isEmpty()) {
      throw new IOException(what + " " + file + " has permissions " + PosixFilePermissions.toString(perms)
          + ": others may read it; allow the owner only (chmod 600) or " + remedy);
    }
  }

  /** The Ed25519 key pair every holder of this key derives alike: HMAC-SHA256(key, label) is its seed. */
  KeyPair tlsKeyPair() {
    byte[] seed;
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      seed = mac.doFinal(TLS_LABEL);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("this JDK has no HmacSHA256: " + e.getMessage(), e);
    }
    byte[] pub = new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded();
    try {
      KeyFactory f = KeyFactory.getInstance("Ed25519");
      return new KeyPair(f.generatePublic(new X509EncodedKeySpec(concat(X509_PREFIX, pub))),
          f.generatePrivate(new PKCS8EncodedKeySpec(concat(PKCS8_PREFIX, seed))));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot make Ed25519 keys: " + e.getMessage(), e);
    } finally {
      java.util.Arrays.fill(seed, (byte) 0);
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SyncKey k && MessageDigest.isEqual(key, k.key);
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(key);
  }

  @Override
  public String toString() {
    return "SyncKey[hidden]";
  }
}
