package dev.cfost.identity.internal;

import dev.cfost.Change;
import java.nio.charset.StandardCharsets;
import org.bouncycastle.crypto.digests.Blake2bDigest;

/**
 * The digest a seal signs for one change: BLAKE2b-256 of a canonical encoding of the fields that every
 * relay keeps unchanged: table, packed key, column, value with its storage class, col_version, causal
 * length and site id. The relay's own db_version and seq are left out (each relay renumbers them).
 *
 * <p>Encoding: a domain separator, then each variable field as a 4-byte big-endian length and its bytes,
 * each number as 8 bytes big-endian, the value as a type tag (0 null, 1 integer, 2 real, 3 text, 4 blob)
 * and its payload (a real by its IEEE 754 bits); so no two changes encode alike. Stateless.
 */
public final class ChangeDigest {
  public static final int BYTES = 32;
  private static final byte[] DOMAIN = "cfost change digest v1\0".getBytes(StandardCharsets.US_ASCII);

  private ChangeDigest() {}

  public static byte[] of(Change c) {
    Blake2bDigest d = new Blake2bDigest(BYTES * 8);
    d.update(DOMAIN, 0, DOMAIN.length);
    bytes(d, utf8(c.table(), "table name"));
    bytes(d, c.pk());
    bytes(d, utf8(c.cid(), "column name"));
    Object v = c.val();
    if (v == null) {
      d.update((byte) 0);
    } else if (v instanceof Long l) {
      d.update((byte) 1);
      i64(d, l);
    } else if (v instanceof Double x) {
      d.update((byte) 2);
      i64(d, Double.doubleToLongBits(x));
    } else if (v instanceof String s) {
      d.update((byte) 3);
      bytes(d, utf8(s, "text value"));
    } else if (v instanceof byte[] b) {
      d.update((byte) 4);
      bytes(d, b);
    } else {
      throw new IllegalArgumentException("not a SQLite value: " + v.getClass().getName());
    }
    i64(d, c.colVersion());
    i64(d, c.cl());
    bytes(d, c.siteId());
    byte[] out = new byte[BYTES];
    d.doFinal(out, 0);
    return out;
  }

  /**
   * Strict UTF-8: {@code String.getBytes} turns every lone surrogate into '?', so two different texts
   * would share a digest and a seal over one would verify the other.
   *
   * @throws IllegalArgumentException for text that is not valid Unicode
   */
  static byte[] utf8(String s, String what) {
    try {
      java.nio.ByteBuffer b = StandardCharsets.UTF_8.newEncoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
          .encode(java.nio.CharBuffer.wrap(s));
      return java.util.Arrays.copyOfRange(b.array(), b.position(), b.limit());
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new IllegalArgumentException("the " + what + " is not valid Unicode text (it has a lone surrogate)", e);
    }
  }

  private static void bytes(Blake2bDigest d, byte[] b) {
    int n = b.length;
    d.update((byte) (n >>> 24));
    d.update((byte) (n >>> 16));
    d.update((byte) (n >>> 8));
    d.update((byte) n);
    d.update(b, 0, n);
  }

  private static void i64(Blake2bDigest d, long v) {
    for (int shift = 56; shift >= 0; shift -= 8) {
      d.update((byte) (v >>> shift));
    }
  }
}
