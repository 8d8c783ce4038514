package dev.cfost.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.Change;
import dev.cfost.ChangeJson;
import dev.cfost.InvalidChangeException;
import java.io.BufferedReader;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonLinesChangesTest {
  private static final Change CHANGE =
      new Change("todo", new byte[] {1, 0x0b, 1, 'a'}, "title", "milk", 5, 1, new byte[16], 1, 0);
  private static final String LINE = ChangeJson.write(CHANGE);

  private static JsonLinesChanges reader(String text) {
    return new JsonLinesChanges(new BufferedReader(new StringReader(text)));
  }

  private static List<Change> readAll(JsonLinesChanges it) {
    List<Change> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  @Test
  void blankLinesAreSkippedAndEveryOtherLineIsAChange() {
    JsonLinesChanges it = reader("\n" + LINE + "\n   \n\n" + LINE + "\r\n\n");
    assertThat(readAll(it)).containsExactly(CHANGE, CHANGE);
    assertThat(it.lineOf(0)).isEqualTo(2);
    assertThat(it.lineOf(1)).isEqualTo(5);
  }

  @Test
  void withoutBlankLinesTheLineIsTheIndexPlusOne() {
    JsonLinesChanges it = reader(LINE + "\n" + LINE + "\n" + LINE);
    assertThat(readAll(it)).hasSize(3);
    assertThat(it.lineOf(2)).isEqualTo(3);
  }

  @Test
  void aParseErrorNamesTheLineNotTheChangeIndex() {
    JsonLinesChanges it = reader(LINE + "\n\n" + LINE.replace("\"pk\":\"010b0161\"", "\"pk\":\"zz\""));
    it.next();
    InvalidChangeException e = (InvalidChangeException) catchThrowable(it::next);
    assertThat(e.index()).isEqualTo(1);
    assertThat(it.describe(e)).isEqualTo("line 3: field 'pk' is not hex: 'zz'");
  }

  @Test
  void aRefusalFromTheEngineMapsToItsLineThroughTheBlankLinesBeforeIt() {
    JsonLinesChanges it = reader("\n" + LINE + "\n\n" + LINE + "\n" + LINE);
    readAll(it);
    assertThat(it.describe(new InvalidChangeException(2, "unknown table 'x'"))).isEqualTo("line 5: unknown table 'x'");
    assertThat(it.describe(new InvalidChangeException(-1, "not tied to a change"))).isEqualTo("not tied to a change");
  }

  @Test
  void aByteOrderMarkBeforeTheFirstLineIsIgnored() {
    assertThat(readAll(reader("\uFEFF" + LINE + "\n"))).containsExactly(CHANGE);
  }

  @Test
  void readingPastTheEndIsRefused() {
    JsonLinesChanges it = reader("\n\n");
    assertThat(it.hasNext()).isFalse();
    assertThatThrownBy(it::next).isInstanceOf(java.util.NoSuchElementException.class);
  }

  private static Throwable catchThrowable(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      return e;
    }
    throw new AssertionError("expected an exception");
  }
}
