package dev.cfost.identity.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cfost.identity.IdentityException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * A sync server login kept on disk: the server, the account's user id and its refresh token, as JSON in a
 * file readable and writable by the owner only. A refresh rotates the token, so the file is rewritten:
 * into an owner-only temporary file, forced, then renamed over the old one (a crash leaves the old or the
 * new file, never half of one). Reading refuses a file that others may read, as {@link KeyFile} does.
 */
public final class TokenFile {
  private static final Set<PosixFilePermission> OWNER_ONLY =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What the file holds. */
  public record Saved(String server, String userId, String refreshToken) {
    @Override
    public String toString() {
      return "Saved[" + server + ", " + userId + "]"; // never the token
    }
  }

  private TokenFile() {}

  /** The saved login, or empty if there is no file. */
  public static Optional<Saved> read(Path file) {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    checkPrivate(file);
    try {
      JsonNode n = JSON.readTree(Files.readAllBytes(file));
      String server = n.path("server").asText("");
      String user = n.path("user_id").asText("");
      String token = n.path("refresh_token").asText("");
      if (server.isEmpty() || user.isEmpty() || token.isEmpty()) {
        throw new IdentityException("the server login file " + file + " lacks server, user_id or refresh_token;"
            + " delete it and log in again");
      }
      return Optional.of(new Saved(server, user, token));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new IdentityException("cannot read the server login file " + file + ": " + e.getMessage()
          + "; delete it and log in again", e);
    }
  }

  /** Replaces the file's content with {@code saved}, atomically, owner-only. */
  public static void write(Path file, Saved saved) {
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(JSON.createObjectNode().put("server", saved.server())
          .put("user_id", saved.userId()).put("refresh_token", saved.refreshToken()));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = null;
    try {
      tmp = posix(dir)
          ? Files.createTempFile(dir, ".server-login-", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY))
          : Files.createTempFile(dir, ".server-login-", ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(bytes));
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      tmp = null;
    } catch (IOException e) {
      throw new IdentityException("cannot write the server login file " + file + ": " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // an owner-only leftover; the error is thrown already
        }
      }
    }
  }

  /** Deletes the file (logging out on this device); true if there was one. */
  public static boolean delete(Path file) {
    try {
      return Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new IdentityException("cannot delete the server login file " + file + ": " + e.getMessage(), e);
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
      throw new IdentityException("cannot read the permissions of the server login file " + file + ": "
          + e.getMessage(), e);
    }
    Set<PosixFilePermission> extra = EnumSet.copyOf(perms);
    extra.removeAll(OWNER_ONLY);
    extra.remove(PosixFilePermission.OWNER_EXECUTE);
    if (!extra.isEmpty()) {
      throw new IdentityException("the server login file " + file + " has permissions "
          + PosixFilePermissions.toString(perms) + ": others may read the refresh token; allow the owner only"
          + " (chmod 600), or delete the file and log in again (and log out the token if others read it)");
    }
  }

  private static boolean posix(Path dir) {
    return Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null;
  }

}
