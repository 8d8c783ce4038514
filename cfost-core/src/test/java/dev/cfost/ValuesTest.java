package dev.cfost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Hex by table, against the JDK's {@link HexFormat} on every byte value and every character. */
class ValuesTest {
  private static final HexFormat JDK = HexFormat.of();

  @Test
  void hexSpellsEveryByteValueInLowercase() {
    byte[] all = new byte[256];
    for (int b = 0; b < 256; b++) {
      all[b] = (byte) b;
      assertThat(Values.hex(new byte[] {(byte) b})).isEqualTo(String.format("%02x", b));
    }
    assertThat(Values.hex(all)).isEqualTo(JDK.formatHex(all));
    char[] out = new char[512];
    Values.hex(all, out);
    assertThat(new String(out)).isEqualTo(JDK.formatHex(all));
    assertThat(Values.hex(new byte[0])).isEmpty();
  }

  @Test
  void unhexReadsEveryByteValueInEitherCase() {
    byte[] all = new byte[256];
    for (int b = 0; b < 256; b++) {
      all[b] = (byte) b;
    }
    String lower = JDK.formatHex(all);
    assertThat(Values.unhex(lower)).isEqualTo(all);
    assertThat(Values.unhex(lower.toUpperCase())).isEqualTo(all);
    char[] padded = ("xx" + lower.toUpperCase() + "x").toCharArray();
    assertThat(Values.unhexOrNull(padded, 2, padded.length - 1)).isEqualTo(all);
    assertThat(Values.unhex("")).isEmpty();
  }

  /** Every character, as either digit of a byte, is read as the JDK reads it: a digit or refused. */
  @Test
  void unhexRefusesExactlyWhatTheJdkRefuses() {
    for (int c = 0; c <= 0xffff; c++) {
      for (String s : new String[] {"0" + (char) c, (char) c + "a"}) {
        byte[] expected;
        try {
          expected = JDK.parseHex(s);
        } catch (IllegalArgumentException e) {
          expected = null;
        }
        assertThat(Values.unhexOrNull(s.toCharArray(), 0, 2)).as("U+%04x", c).isEqualTo(expected);
        if (expected == null) {
          assertThatThrownBy(() -> Values.unhex(s)).as("U+%04x", c).isInstanceOf(IllegalArgumentException.class);
        } else {
          assertThat(Values.unhex(s)).isEqualTo(expected);
        }
      }
    }
  }

  @Test
  void unhexRefusesAnOddNumberOfDigits() {
    assertThatThrownBy(() -> Values.unhex("abc")).isInstanceOf(IllegalArgumentException.class);
    assertThat(Values.unhexOrNull("abc".toCharArray(), 0, 3)).isNull();
    assertThat(Values.unhexOrNull("0abc".toCharArray(), 1, 4)).isNull();
  }
}
