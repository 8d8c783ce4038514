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
  void oneLineJoinsLinesAndEscapesTheRest() {
    assertThat(Errors.oneLine("first\r\nforged: line\u001b]0;x\u0007")).isEqualTo("first forged: line\\u001b]0;x\\u0007");
  }
}
