package dev.cfost.identity.internal;

import dev.cfost.identity.Argon2Params;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2id password hashes in the PHC string format, {@code $argon2id$v=19$m=65536,t=3,p=4$salt$tag},
 * with standard base64 without padding, as the reference implementation writes them.
 *
 * <p>The parameters come from the string when verifying, so hashes made with older parameters keep
 * working. Because the string may arrive from another replica, its parameters are bounded
 * ({@link Argon2Params}) before any memory is allocated. Stateless and thread-safe.
 */
public final class PasswordHash {
  public static final int SALT_BYTES = 16;
  public static final int TAG_BYTES = 32;

  private static final Pattern PHC = Pattern.compile(
      "\\$argon2id\\$v=19\\$m=([0-9]{1,10}),t=([0-9]{1,10}),p=([0-9]{1,10})\\$([A-Za-z0-9+/]{11,88})\\$([A-Za-z0-9+/]{22,88})");
  private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
  private static final SecureRandom RANDOM = new SecureRandom();

  private PasswordHash() {}

  /** A parsed PHC string. */
  public record Parsed(Argon2Params params, byte[] salt, byte[] tag) {}

  /** Hashes {@code password} with a fresh random salt; the caller still owns (and clears) the array. */
  public static String hash(char[] password, Argon2Params params) {
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    byte[] pw = utf8(password);
    try {
      byte[] tag = argon2id(pw, salt, null, null, params, TAG_BYTES);
      return format(params, salt, tag);
    } finally {
      Arrays.fill(pw, (byte) 0);
    }
  }

  /**
   * A well-formed hash of nothing anyone knows: verifying any password against it costs the same as
   * against a real hash with {@code params}, and fails. Used for unknown users, so that a login for a
   * name that does not exist takes as long as one with a wrong password.
   */
  public static String dummy(Argon2Params params) {
    byte[] salt = new byte[SALT_BYTES];
    byte[] tag = new byte[TAG_BYTES];
    RANDOM.nextBytes(salt);
    RANDOM.nextBytes(tag);
    return format(params, salt, tag);
  }

  /**
   * Whether {@code password} matches {@code phc}, compared in constant time.
   *
   * @throws IllegalArgumentException if {@code phc} is not an Argon2id PHC string within bounds
   */
  public static boolean verify(char[] password, String phc) {
    Parsed parsed = parse(phc);
    byte[] pw = utf8(password);
    try {
      byte[] tag = argon2id(pw, parsed.salt(), null, null, parsed.params(), parsed.tag().length);
      return MessageDigest.isEqual(tag, parsed.tag());
    } finally {
      Arrays.fill(pw, (byte) 0);
    }
  }

  /** Whether {@code phc} was made with parameters other than {@code current}, or a non-standard salt or tag size. */
  public static boolean needsRehash(String phc, Argon2Params current) {
    Parsed parsed = parse(phc);
    return !parsed.params().equals(current) || parsed.salt().length != SALT_BYTES
        || parsed.tag().length != TAG_BYTES;
  }

  /** Parses a PHC string, checking every bound before anything is allocated for it. */
  public static Parsed parse(String phc) {
    Matcher m = phc == null ? null : PHC.matcher(phc);
    if (m == null || !m.matches()) {
      throw new IllegalArgumentException("not an Argon2id v19 PHC string: '" + abbreviate(phc) + "'");
    }
    Argon2Params params = new Argon2Params(bounded(m.group(1), phc), bounded(m.group(2), phc),
        bounded(m.group(3), phc));
    byte[] salt = decode(m.group(4), phc);
    byte[] tag = decode(m.group(5), phc);
    if (salt.length < 8 || tag.length < 16 || tag.length > 64) {
      throw new IllegalArgumentException("Argon2id PHC string has a " + salt.length + "-byte salt and a "
          + tag.length + "-byte tag; at least 8 and 16 to 64 bytes are needed: '" + abbreviate(phc) + "'");
    }
    return new Parsed(params, salt, tag);
  }

  /** Raw Argon2id (RFC 9106) with optional secret K and associated data X. */
  public static byte[] argon2id(byte[] password, byte[] salt, byte[] secret, byte[] associatedData,
      Argon2Params params, int tagLength) {
    Argon2Parameters.Builder b = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
        .withVersion(Argon2Parameters.ARGON2_VERSION_13)
        .withMemoryAsKB(params.memoryKiB())
        .withIterations(params.iterations())
        .withParallelism(params.parallelism())
        .withSalt(salt);
    if (secret != null) {
      b.withSecret(secret);
    }
    if (associatedData != null) {
      b.withAdditional(associatedData);
    }
    Argon2Parameters p = b.build();
    try {
      Argon2BytesGenerator generator = new Argon2BytesGenerator();
      generator.init(p);
      byte[] out = new byte[tagLength];
      generator.generateBytes(password, out);
      return out;
    } finally {
      p.clear();
      b.clear();
    }
  }

  /** UTF-8 bytes of {@code chars} without making a String (which could not be cleared). */
  static byte[] utf8(char[] chars) {
    CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer buf;
    try {
      buf = encoder.encode(CharBuffer.wrap(chars));
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("the password has an unpaired surrogate character", e);
    }
    byte[] out = Arrays.copyOfRange(buf.array(), buf.position(), buf.limit());
    Arrays.fill(buf.array(), (byte) 0);
    return out;
  }

  private static String format(Argon2Params params, byte[] salt, byte[] tag) {
    return "$argon2id$v=19$m=" + params.memoryKiB() + ",t=" + params.iterations() + ",p="
        + params.parallelism() + "$" + B64.encodeToString(salt) + "$" + B64.encodeToString(tag);
  }

  private static int bounded(String digits, String phc) {
    long v = Long.parseLong(digits);
    if (v > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("Argon2id PHC string has a parameter out of range (" + digits
          + "): '" + abbreviate(phc) + "'");
    }
    return (int) v;
  }

  private static byte[] decode(String b64, String phc) {
    // Unpadded base64 never has a length of 1 mod 4; the JDK decoder would also refuse it.
    try {
      return Base64.getDecoder().decode(b64);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Argon2id PHC string has invalid base64 '" + b64 + "': '"
          + abbreviate(phc) + "'", e);
    }
  }

  private static String abbreviate(String s) {
    return s == null ? "null" : s.length() <= 120 ? s : s.substring(0, 120) + "...";
  }
}
