package dev.cfost.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrintableTest {
  @Test
  void controlAndBidiCharactersAreEscapedAndOtherTextIsKept() {
    assertThat(Printable.of("plain text, ünïcode, 日本, 🙂")).isEqualTo("plain text, ünïcode, 日本, 🙂");
    assertThat(Printable.of("a\u001b[2Jb\u0007c\rd\u009be\u202ef")).isEqualTo("a\\u001b[2Jb\\u0007c\\u000dd\\u009be\\u202ef");
    assertThat(Printable.of("lone \ud800 surrogate")).isEqualTo("lone \\ud800 surrogate");
  }

  @Test
  void lineSeparatorsAndDirectionMarksAreEscaped() {
    assertThat(Printable.of("a\u2028b\u2029c\u200ed\u200fe\u061cf")).isEqualTo("a\\u2028b\\u2029c\\u200ed\\u200fe\\u061cf");
    assertThat(Printable.of("\u2066x\u2069")).isEqualTo("\\u2066x\\u2069");
  }

  @Test
  void theLogPatternEscapesWhatPrintableEscapes() throws Exception {
    String xml;
    try (var in = Printable.class.getResourceAsStream("/logback.xml")) {
      xml = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    var m = java.util.regex.Pattern.compile("%replace\\(%msg\\)\\{'([^']*)'").matcher(xml);
    assertThat(m.find()).isTrue();
    var unsafe = java.util.regex.Pattern.compile(m.group(1));
    for (char c : "\u001b\u009b\u202e\u2066\u2028\u2029\u200e\u200f\u061c".toCharArray()) {
      assertThat(unsafe.matcher(String.valueOf(c)).matches()).as("U+%04x", (int) c).isTrue();
    }
    assertThat(unsafe.matcher("a").matches()).isFalse();
  }

  @Test
  void oneLineJoinsLinesAndEscapesTheRest() {
    assertThat(Errors.oneLine("first\r\nforged: line\u001b]0;x\u0007")).isEqualTo("first forged: line\\u001b]0;x\\u0007");
  }
}
