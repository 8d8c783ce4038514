package dev.cfost.identity.internal;

/**
 * The text form of a device id, as Syncthing prints its device ids: the 32-byte hash in base32 (RFC 4648
 * alphabet, no padding: 52 characters), each 13-character quarter followed by a Luhn mod 32 check
 * character (56 characters), shown in 8 groups of 7 joined by '-'.
 *
 * <p>The check character is computed as Syncthing does, so the same hash prints the same text in both:
 * factors 1, 2, 1, ... from the left, each product folded as {@code p / 32 + p % 32}, and the check is
 * what brings the sum to a multiple of 32. It catches every single-character typo.
 */
public final class DeviceIdText {
  private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  private static final int CHUNK = 13;

  private DeviceIdText() {}

  /** {@code XXXXXXX-XXXXXXX-...} for a 32-byte hash. */
  public static String format(byte[] hash) {
    if (hash.length != 32) {
      throw new IllegalArgumentException("a device id hash has 32 bytes, not " + hash.length);
    }
    String plain = base32(hash);
    StringBuilder checked = new StringBuilder(56);
    for (int i = 0; i < 4; i++) {
      String chunk = plain.substring(i * CHUNK, (i + 1) * CHUNK);
      checked.append(chunk).append(ALPHABET.charAt(check(chunk)));
    }
    StringBuilder grouped = new StringBuilder(63);
    for (int i = 0; i < 8; i++) {
      grouped.append(i == 0 ? "" : "-").append(checked, i * 7, (i + 1) * 7);
    }
    return grouped.toString();
  }

  /**
   * The 32-byte hash named by {@code text}. Accepts any grouping ('-' or spaces) and lower case, and
   * reads the digits 0, 1 and 8 (which base32 does not use) as the letters O, I and B they are mistaken
   * for; then every check character must match.
   *
   * @throws IllegalArgumentException naming the text and what is wrong with it, typos included
   */
  public static byte[] parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("device id is null");
    }
    if (text.length() > 100) {
      throw new IllegalArgumentException("device id is " + text.length() + " characters long; one has 56"
          + " characters in 8 groups");
    }
    StringBuilder s = new StringBuilder(56);
    for (int i = 0; i < text.length(); i++) {
      char ch = Character.toUpperCase(text.charAt(i));
      switch (ch) {
        case '-', ' ' -> { }
        case '0' -> s.append('O');
        case '1' -> s.append('I');
        case '8' -> s.append('B');
        default -> {
          if (ALPHABET.indexOf(ch) < 0) {
            throw new IllegalArgumentException("device id '" + text + "' has the character '"
                + text.charAt(i) + "', which is not in the base32 alphabet A-Z 2-7");
          }
          s.append(ch);
        }
      }
    }
    if (s.length() != 56) {
      throw new IllegalArgumentException("device id '" + text + "' has " + s.length()
          + " characters besides separators; a device id has 56");
    }
    StringBuilder plain = new StringBuilder(52);
    for (int i = 0; i < 4; i++) {
      String chunk = s.substring(i * (CHUNK + 1), i * (CHUNK + 1) + CHUNK);
      char expected = ALPHABET.charAt(check(chunk));
      char actual = s.charAt(i * (CHUNK + 1) + CHUNK);
      if (expected != actual) {
        throw new IllegalArgumentException("device id '" + text + "' has a typo: check character "
            + (i + 1) + " of 4 is '" + actual + "' but the characters before it call for '" + expected + "'");
      }
      plain.append(chunk);
    }
    byte[] hash = unbase32(plain);
    if ((ALPHABET.indexOf(plain.charAt(51)) & 0x0f) != 0) {
      // The last character carries 1 bit of data and 4 bits of padding, which must be zero.
      throw new IllegalArgumentException("device id '" + text + "' is not canonical: its 52nd data character '"
          + plain.charAt(51) + "' sets padding bits");
    }
    return hash;
  }

  /** The Luhn mod 32 check value of {@code chunk}, as Syncthing computes it. */
  static int check(CharSequence chunk) {
    int factor = 1;
    int sum = 0;
    for (int i = 0; i < chunk.length(); i++) {
      int addend = factor * ALPHABET.indexOf(chunk.charAt(i));
      factor = factor == 2 ? 1 : 2;
      sum += addend / 32 + addend % 32;
    }
    return (32 - sum % 32) % 32;
  }

  static String base32(byte[] data) {
    StringBuilder out = new StringBuilder((data.length * 8 + 4) / 5);
    int buffer = 0;
    int bits = 0;
    for (byte b : data) {
      buffer = (buffer << 8) | (b & 0xff);
      bits += 8;
      while (bits >= 5) {
        out.append(ALPHABET.charAt((buffer >>> (bits - 5)) & 0x1f));
        bits -= 5;
      }
    }
    if (bits > 0) {
      out.append(ALPHABET.charAt((buffer << (5 - bits)) & 0x1f));
    }
    return out.toString();
  }

  private static byte[] unbase32(CharSequence text) {
    byte[] out = new byte[text.length() * 5 / 8];
    int buffer = 0;
    int bits = 0;
    int n = 0;
    for (int i = 0; i < text.length(); i++) {
      buffer = (buffer << 5) | ALPHABET.indexOf(text.charAt(i));
      bits += 5;
      if (bits >= 8) {
        out[n++] = (byte) (buffer >>> (bits - 8));
        bits -= 8;
      }
    }
    return out;
  }
}
