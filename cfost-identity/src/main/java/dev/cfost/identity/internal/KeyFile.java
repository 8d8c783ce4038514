package dev.cfost.identity.internal;

import dev.cfost.identity.IdentityException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * A device's private key in a file of its own: PKCS#8 DER, readable and writable by the owner only.
 *
 * <p>The file is written once, atomically: the key goes to a temporary file in the same directory
 * (created owner-only, so the key is never readable by others, not even for a moment), is forced to
 * disk, and is then linked to its final name, which fails if another process made a key first; that
 * process's key is then the one used. Loading refuses a file that others may read, as ssh does.
 */
public final class KeyFile {
  private static final Set<PosixFilePermission> OWNER_ONLY =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

  private KeyFile() {}

  /** Loads the key in {@code file}, making a new Ed25519 key there first if there is none. */
  public static KeyPair loadOrCreate(Path file) {
    if (!Files.exists(file)) {
      create(file);
    }
    return load(file);
  }

  static KeyPair load(Path file) {
    checkPrivate(file);
    byte[] der;
    try {
      der = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IdentityException("cannot read the device key file " + file + ": " + e.getMessage(), e);
    }
    try {
      PrivateKey key = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
      return new KeyPair(Ed25519.publicKey(Ed25519.publicOf(key)), key);
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new IdentityException("the device key file " + file + " does not hold a PKCS#8 Ed25519 key ("
          + der.length + " bytes): " + e.getMessage(), e);
    } finally {
      Arrays.fill(der, (byte) 0);
    }
  }

  private static void create(Path file) {
    byte[] der;
    try {
      der = KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate().getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot make Ed25519 keys: " + e.getMessage(), e);
    }
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = null;
    try {
      tmp = posix(dir)
          ? Files.createTempFile(dir, ".device-key-", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY))
          : Files.createTempFile(dir, ".device-key-", ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(der));
        ch.force(true);
      }
      publish(tmp, file);
      syncDirectory(dir);
    } catch (IOException e) {
      throw new IdentityException("cannot write the device key file " + file + ": " + e.getMessage(), e);
    } finally {
      Arrays.fill(der, (byte) 0);
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // Only a leftover owner-only temporary file; the key itself is in place or the error was thrown.
        }
      }
    }
  }

  /** Gives the temporary file its final name without ever replacing a key another process made. */
  private static void publish(Path tmp, Path file) throws IOException {
    try {
      Files.createLink(file, tmp);
    } catch (FileAlreadyExistsException e) {
      // Another process won the race: its key is this device's key.
    } catch (UnsupportedOperationException | IOException e) {
      if (Files.exists(file)) {
        return;
      }
      // No hard links on this file system: a rename is atomic too, only not exclusive.
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  private static void checkPrivate(Path file) {
    if (!posix(file.toAbsolutePath().getParent())) {
      return;
    }
    Set<PosixFilePermission> perms;
    try {
      perms = Files.getPosixFilePermissions(file);
    } catch (IOException e) {
      throw new IdentityException("cannot read the permissions of the device key file " + file + ": "
          + e.getMessage(), e);
    }
    Set<PosixFilePermission> extra = EnumSet.copyOf(perms);
    extra.removeAll(OWNER_ONLY);
    extra.remove(PosixFilePermission.OWNER_EXECUTE);
    if (!extra.isEmpty()) {
      throw new IdentityException("the device key file " + file + " has permissions "
          + PosixFilePermissions.toString(perms) + ": others may read the private key; allow the owner only"
          + " (chmod 600) or delete the file to make a new device key");
    }
  }

  private static boolean posix(Path dir) {
    return Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null;
  }

  private static void syncDirectory(Path dir) {
    // Makes the new name itself durable; only possible (and needed) on POSIX systems.
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | RuntimeException ignored) {
      // Not supported here (Windows): the key is written; at worst a crash loses the new name.
    }
  }
}
