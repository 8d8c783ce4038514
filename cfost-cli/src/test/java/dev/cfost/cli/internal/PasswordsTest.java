package dev.cfost.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PasswordsTest {
  private static char[] firstLine(String stdin) {
    return Passwords.firstLine(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void theFirstLineIsThePasswordWithoutItsLineEnd() {
    assertThat(firstLine("correct horse\nsecond line\n")).containsExactly("correct horse".toCharArray());
    assertThat(firstLine("pässwörd ✓\r\n")).containsExactly("pässwörd ✓".toCharArray());
    assertThat(firstLine("no line end")).containsExactly("no line end".toCharArray());
    assertThat(firstLine("\n")).isEmpty();
  }

  @Test
  void emptyStdinIsRefused() {
    assertThatThrownBy(() -> firstLine("")).isInstanceOf(CliException.class).hasMessageContaining("stdin is empty");
  }

  @Test
  void aDeviceNameMustBeShortAndPrintable() {
    assertThat(DeviceName.check("  phone ")).isEqualTo("phone");
    for (String bad : new String[] {"", "  ", "x".repeat(65), "a\u001bb"}) {
      assertThatThrownBy(() -> DeviceName.check(bad)).as(bad).hasMessageContaining("is not valid");
    }
    assertThat(DeviceName.orHostName(null)).isNotBlank().hasSizeLessThanOrEqualTo(64);
  }
}
