package dev.cfost;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * SQLite values as CFOST carries them: {@code null}, {@link Long}, {@link Double}, {@link String} or
 * {@code byte[]}, one per SQLite storage class.
 */
public final class Values {
  private static final HexFormat HEX = HexFormat.of();

  private Values() {}

  /** True if {@code v} is one of the five accepted value types. */
  public static boolean isValid(Object v) {
    return v == null || v instanceof Long || v instanceof Double || v instanceof String || v instanceof byte[];
  }

  /** The SQLite storage class name: NULL, INTEGER, REAL, TEXT or BLOB. */
  public static String typeName(Object v) {
    if (v == null) {
      return "NULL";
    } else if (v instanceof Long) {
      return "INTEGER";
    } else if (v instanceof Double) {
      return "REAL";
    } else if (v instanceof String) {
      return "TEXT";
    } else if (v instanceof byte[]) {
      return "BLOB";
    }
    return v.getClass().getSimpleName();
  }

  /** Equality with byte arrays compared by content and values of different storage classes unequal. */
  public static boolean equal(Object a, Object b) {
    if (a instanceof byte[] && b instanceof byte[]) {
      return Arrays.equals((byte[]) a, (byte[]) b);
    }
    if (a instanceof Double && b instanceof Double) {
      return Double.doubleToLongBits((Double) a) == Double.doubleToLongBits((Double) b);
    }
    return Objects.equals(a, b);
  }

  static int hash(Object v) {
    return v instanceof byte[] ? Arrays.hashCode((byte[]) v) : Objects.hashCode(v);
  }

  /** Lowercase hex of {@code bytes}. */
  public static String hex(byte[] bytes) {
    if (bytes == null) {
      return "null";
    }
    // By table: HexFormat.formatHex was a sixth of a sync sender's CPU (every pk and site id is hex).
    byte[] out = new byte[bytes.length * 2];
    for (int i = 0; i < bytes.length; i++) {
      int pair = (bytes[i] & 0xff) << 1;
      out[2 * i] = DIGIT_PAIRS[pair];
      out[2 * i + 1] = DIGIT_PAIRS[pair + 1];
    }
    return new String(out, StandardCharsets.ISO_8859_1);
  }

  /** Writes the lowercase hex of {@code bytes} into {@code out} from 0, for a writer that takes characters. */
  static void hex(byte[] bytes, char[] out) {
    for (int i = 0; i < bytes.length; i++) {
      int pair = (bytes[i] & 0xff) << 1;
      out[2 * i] = (char) DIGIT_PAIRS[pair];
      out[2 * i + 1] = (char) DIGIT_PAIRS[pair + 1];
    }
  }

  /** Each byte value's two lowercase hex digits, at twice the value. */
  private static final byte[] DIGIT_PAIRS = new byte[512];
  /** Each ASCII character's value as a hex digit, either case; -1 if it is none. */
  private static final byte[] DIGIT_VALUES = new byte[128];

  static {
    byte[] digits = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    for (int b = 0; b < 256; b++) {
      DIGIT_PAIRS[2 * b] = digits[b >> 4];
      DIGIT_PAIRS[2 * b + 1] = digits[b & 0xf];
    }
    Arrays.fill(DIGIT_VALUES, (byte) -1);
    for (int d = 0; d < 16; d++) {
      DIGIT_VALUES[digits[d]] = (byte) d;
      DIGIT_VALUES[Character.toUpperCase(digits[d])] = (byte) d;
    }
  }

  /**
   * Parses lowercase or uppercase hex.
   *
   * @throws IllegalArgumentException if {@code hex} is not an even number of hex digits
   */
  public static byte[] unhex(String hex) {
    return HEX.parseHex(hex);
  }

  /**
   * The bytes of {@code chars[from, to)} if they are hex, by the rules of {@link #unhex}; else null. By table:
   * {@code HexFormat} takes a {@code char[]} as a {@code CharBuffer}, at half the speed.
   */
  static byte[] unhexOrNull(char[] chars, int from, int to) {
    if (((to - from) & 1) != 0) {
      return null;
    }
    byte[] out = new byte[(to - from) / 2];
    for (int i = 0; i < out.length; i++) {
      int b = digitPair(chars[from + 2 * i], chars[from + 2 * i + 1]);
      if (b < 0) {
        return null;
      }
      out[i] = (byte) b;
    }
    return out;
  }

  /** The byte two hex digits spell, or a negative number if either is not a hex digit. */
  private static int digitPair(char high, char low) {
    int h = high < 128 ? DIGIT_VALUES[high] : -1;
    int l = low < 128 ? DIGIT_VALUES[low] : -1;
    return (h | l) < 0 ? -1 : h << 4 | l;
  }

  static String describe(Object v) {
    if (v instanceof byte[]) {
      return "x'" + hex((byte[]) v) + "'";
    }
    if (v instanceof String) {
      return "'" + v + "'";
    }
    return String.valueOf(v);
  }
}
