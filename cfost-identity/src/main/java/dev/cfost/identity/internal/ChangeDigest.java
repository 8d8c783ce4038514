package dev.cfost.identity.internal;

import dev.cfost.Change;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bouncycastle.crypto.digests.Blake2bDigest;

/**
 * The digest a seal signs for one change: BLAKE2b-256 of a canonical encoding of the fields that every
 * relay keeps unchanged: table, packed key, column, value with its storage class, col_version, causal
 * length and site id. The relay's own db_version and seq are left out (each relay renumbers them).
 *
 * <p>Encoding: a domain separator, then each variable field as a 4-byte big-endian length and its bytes,
 * each number as 8 bytes big-endian, the value as a type tag (0 null, 1 integer, 2 real, 3 text, 4 blob)
 * and its payload (a real by its IEEE 754 bits); so no two changes encode alike.
 *
 * <p>Thread-safe: each thread keeps its own BLAKE2b state and encoding buffer (a digest per change was
 * three allocations, the BLAKE2b state the largest); nothing is shared between threads.
 */
public final class ChangeDigest {
  public static final int BYTES = 32;
  private static final byte[] DOMAIN = "cfost change digest v1\0".getBytes(StandardCharsets.US_ASCII);
  /** The largest encoding a thread's buffer keeps: a larger one (a big value) gets a buffer of its own. */
  static final int SCRATCH_MAX = 16 * 1024;
  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /**
   * One thread's BLAKE2b state (reset by every {@code doFinal}), encoding buffer, and the UTF-8 of the last
   * table and column names (a batch's changes come in runs of one table, its columns in turn).
   */
  private static final class Scratch {
    final Blake2bDigest digest = new Blake2bDigest(BYTES * 8);
    ByteBuffer buffer = ByteBuffer.allocate(512);
    String table = "";
    byte[] tableBytes = new byte[0];
    final String[] cids = new String[4];
    final byte[][] cidBytes = new byte[4][];

    byte[] table(String name) {
      if (!name.equals(table)) {
        tableBytes = utf8(name, "table name");
        table = name;
      }
      return tableBytes;
    }

    byte[] cid(String name) {
      int slot = name.hashCode() & (cids.length - 1);
      if (!name.equals(cids[slot])) {
        cidBytes[slot] = utf8(name, "column name");
        cids[slot] = name;
      }
      return cidBytes[slot];
    }

    ByteBuffer buffer(int bytes) {
      if (bytes > SCRATCH_MAX) {
        return ByteBuffer.allocate(bytes);
      }
      if (buffer.capacity() < bytes) {
        buffer = ByteBuffer.allocate(Math.max(bytes, Math.min(SCRATCH_MAX, 2 * buffer.capacity())));
      }
      return buffer.clear();
    }
  }

  private ChangeDigest() {}

  public static byte[] of(Change c) {
    // The whole encoding goes to the digest in one update: BLAKE2b's per-byte update costs more than
    // the hashing itself on short changes.
    Scratch scratch = SCRATCH.get();
    byte[] table = scratch.table(c.table());
    byte[] cid = scratch.cid(c.cid());
    Object v = c.val();
    byte[] payload = null;
    int valueBytes;
    if (v == null) {
      valueBytes = 1;
    } else if (v instanceof Long || v instanceof Double) {
      valueBytes = 1 + 8;
    } else if (v instanceof String s) {
      payload = utf8(s, "text value");
      valueBytes = 1 + 4 + payload.length;
    } else if (v instanceof byte[] b) {
      payload = b;
      valueBytes = 1 + 4 + b.length;
    } else {
      throw new IllegalArgumentException("not a SQLite value: " + v.getClass().getName());
    }
    ByteBuffer out = scratch.buffer(DOMAIN.length + 4 + table.length + 4 + c.pk().length + 4 + cid.length
        + valueBytes + 8 + 8 + 4 + c.siteId().length);
    out.put(DOMAIN);
    out.putInt(table.length).put(table);
    out.putInt(c.pk().length).put(c.pk());
    out.putInt(cid.length).put(cid);
    if (v == null) {
      out.put((byte) 0);
    } else if (v instanceof Long l) {
      out.put((byte) 1).putLong(l);
    } else if (v instanceof Double x) {
      out.put((byte) 2).putLong(Double.doubleToLongBits(x));
    } else {
      out.put((byte) (v instanceof String ? 3 : 4)).putInt(payload.length).put(payload);
    }
    out.putLong(c.colVersion());
    out.putLong(c.cl());
    out.putInt(c.siteId().length).put(c.siteId());
    Blake2bDigest d = scratch.digest;
    d.update(out.array(), 0, out.position());
    byte[] digest = new byte[BYTES];
    d.doFinal(digest, 0);
    return digest;
  }

  /**
   * Strict UTF-8: {@code String.getBytes} turns every lone surrogate into '?', so two different texts
   * would share a digest and a seal over one would verify the other. Text without surrogates (nearly
   * all) takes the JDK's fast path, which is exact there.
   *
   * @throws IllegalArgumentException for text that is not valid Unicode
   */
  static byte[] utf8(String s, String what) {
    if (!hasSurrogate(s)) {
      return s.getBytes(StandardCharsets.UTF_8);
    }
    try {
      ByteBuffer b = StandardCharsets.UTF_8.newEncoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .encode(CharBuffer.wrap(s));
      return Arrays.copyOfRange(b.array(), b.position(), b.limit());
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("the " + what + " is not valid Unicode text (it has a lone surrogate)", e);
    }
  }

  private static boolean hasSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isSurrogate(s.charAt(i))) {
        return true;
      }
    }
    return false;
  }
}
