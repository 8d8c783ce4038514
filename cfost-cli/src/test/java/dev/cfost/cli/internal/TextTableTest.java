package dev.cfost.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TextTableTest {

  @Test
  void columnsAreAsWideAsTheirWidestCellAndLinesHaveNoTrailingBlanks() {
    String table = TextTable.render(List.of("id", "title", "done"),
        List.of(List.of("t1", "buy oat milk", "0"), List.of("t22", "x", "1")));
    assertThat(table).isEqualTo(""
        + "id   title         done\n"
        + "---  ------------  ----\n"
        + "t1   buy oat milk  0\n"
        + "t22  x             1\n");
  }

  @Test
  void aTableWithoutRowsStillShowsItsHeader() {
    assertThat(TextTable.render(List.of("a", "bb"), List.of())).isEqualTo("a  bb\n-  --\n");
  }

  @Test
  void anEmptyColumnNameStillGetsAVisibleRule() {
    assertThat(TextTable.render(List.of(""), List.of(List.of("")))).isEqualTo("\n-\n\n");
  }

  @Test
  void widthCountsCodePointsSoCharactersBeyondTheBasicPlaneAlign() {
    String table = TextTable.render(List.of("v", "w"), List.of(List.of("\uD83D\uDE00", "x"), List.of("ab", "y")));
    assertThat(table).isEqualTo("v   w\n--  -\n\uD83D\uDE00   x\nab  y\n");
  }

  @Test
  void aRowWithTheWrongNumberOfCellsIsRefused() {
    assertThatThrownBy(() -> TextTable.render(List.of("a", "b"), List.of(List.of("1"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("row has 1 cells; the header has 2");
  }
}
