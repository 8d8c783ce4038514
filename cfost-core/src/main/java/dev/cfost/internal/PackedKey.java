package dev.cfost.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * cr-sqlite's packed column encoding ({@code crsql_pack_columns}), the format of
 * {@code crsql_changes.pk}.
 *
 * <p>Byte 0 is the number of columns; then per column a header byte {@code (n << 3) | type} with type
 * 1 INTEGER, 2 REAL, 3 TEXT, 4 BLOB, 5 NULL. INTEGER: {@code n} is the byte count of the big-endian
 * value (0 for zero, 8 for negatives). REAL: {@code n} is 0, then 8 bytes IEEE-754 big-endian.
 * TEXT and BLOB: {@code n} is the byte count of the big-endian length, then the length, then the bytes.
 * Verified against a real cr-sqlite build (shared conformance data).
 *
 * <p>Values are {@code null}, {@link Long}, {@link Double}, {@link String} or {@code byte[]}.
 */
public final class PackedKey {
  private static final int INTEGER = 1;
  private static final int REAL = 2;
  private static final int TEXT = 3;
  private static final int BLOB = 4;
  private static final int NULL = 5;

  private PackedKey() {}

  public static byte[] pack(List<?> values) {
    if (values.isEmpty() || values.size() > 255) {
      throw new IllegalArgumentException("a packed key holds 1 to 255 columns, not " + values.size());
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(16);
    out.write(values.size());
    for (Object v : values) {
      packOne(out, v);
    }
    return out.toByteArray();
  }

  private static void packOne(ByteArrayOutputStream out, Object v) {
    if (v == null) {
      out.write(NULL);
    } else if (v instanceof Long || v instanceof Integer) {
      long x = ((Number) v).longValue();
      int n = x < 0 ? 8 : (64 - Long.numberOfLeadingZeros(x) + 7) / 8;
      out.write((n << 3) | INTEGER);
      writeBigEndian(out, x, n);
    } else if (v instanceof Double) {
      out.write(REAL);
      writeBigEndian(out, Double.doubleToRawLongBits((Double) v), 8);
    } else if (v instanceof String) {
      writeBytes(out, TEXT, ((String) v).getBytes(StandardCharsets.UTF_8));
    } else if (v instanceof byte[]) {
      writeBytes(out, BLOB, (byte[]) v);
    } else {
      throw new IllegalArgumentException("cannot pack a " + v.getClass().getName());
    }
  }

  private static void writeBytes(ByteArrayOutputStream out, int type, byte[] bytes) {
    int len = bytes.length;
    int n = (32 - Integer.numberOfLeadingZeros(len) + 7) / 8;
    out.write((n << 3) | type);
    writeBigEndian(out, len, n);
    out.write(bytes, 0, len);
  }

  private static void writeBigEndian(ByteArrayOutputStream out, long x, int n) {
    for (int i = n - 1; i >= 0; i--) {
      out.write((int) (x >>> (8 * i)) & 0xff);
    }
  }

  /**
   * Decodes a packed key.
   *
   * @throws IllegalArgumentException naming what is malformed
   */
  public static List<Object> unpack(byte[] packed) {
    if (packed == null || packed.length == 0) {
      throw new IllegalArgumentException("empty packed key");
    }
    ByteBuffer in = ByteBuffer.wrap(packed);
    int count = in.get() & 0xff;
    if (count == 0) {
      throw new IllegalArgumentException("packed key declares 0 columns");
    }
    List<Object> values = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      if (!in.hasRemaining()) {
        throw new IllegalArgumentException("packed key ends before column " + i + " of " + count);
      }
      int header = in.get() & 0xff;
      int type = header & 0x07;
      int n = header >>> 3;
      switch (type) {
        case INTEGER:
          if (n > 8) {
            throw new IllegalArgumentException("packed key column " + i + ": integer of " + n + " bytes");
          }
          values.add(readBigEndian(in, n, i));
          break;
        case REAL:
          if (n != 0) {
            throw new IllegalArgumentException("packed key column " + i + ": malformed real header");
          }
          values.add(Double.longBitsToDouble(readBigEndian(in, 8, i)));
          break;
        case TEXT:
        case BLOB:
          if (n > 4) {
            throw new IllegalArgumentException("packed key column " + i + ": length of " + n + " bytes");
          }
          long len = readBigEndian(in, n, i);
          if (len < 0 || len > in.remaining()) {
            throw new IllegalArgumentException(
                "packed key column " + i + ": length " + len + " exceeds the " + in.remaining() + " bytes left");
          }
          byte[] bytes = new byte[(int) len];
          in.get(bytes);
          values.add(type == TEXT ? utf8(bytes, i) : bytes);
          break;
        case NULL:
          if (n != 0) {
            throw new IllegalArgumentException("packed key column " + i + ": malformed null header");
          }
          values.add(null);
          break;
        default:
          throw new IllegalArgumentException("packed key column " + i + ": unknown type " + type);
      }
    }
    if (in.hasRemaining()) {
      throw new IllegalArgumentException("packed key has " + in.remaining() + " trailing bytes");
    }
    return values;
  }

  private static long readBigEndian(ByteBuffer in, int n, int column) {
    if (in.remaining() < n) {
      throw new IllegalArgumentException("packed key column " + column + " is truncated");
    }
    long x = 0;
    for (int i = 0; i < n; i++) {
      x = (x << 8) | (in.get() & 0xff);
    }
    return x;
  }

  private static String utf8(byte[] bytes, int column) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("packed key column " + column + ": text is not valid UTF-8", e);
    }
  }
}
