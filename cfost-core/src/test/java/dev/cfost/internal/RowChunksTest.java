package dev.cfost.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Change;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RowChunksTest {
  private static Change cell(String table, int key, String cid) {
    return new Change(table, new byte[] {1, 9, (byte) key}, cid, 1L, 1, 1, new byte[16], 1, 0);
  }

  private static List<List<String>> cut(List<Change> changes, int size) {
    RowChunks chunks = new RowChunks(changes.iterator(), size);
    List<List<String>> out = new ArrayList<>();
    List<Change> chunk = new ArrayList<>();
    while (chunks.hasNext()) {
      chunks.next(chunk);
      out.add(chunk.stream().map(c -> c.table() + c.pk()[2] + c.cid()).toList());
    }
    return out;
  }

  @Test
  void aRowsChangesStayInOneChunk() {
    List<Change> changes = List.of(cell("t", 1, "a"), cell("t", 1, "b"), cell("t", 2, "a"), cell("t", 2, "b"),
        cell("t", 2, "c"), cell("u", 2, "a"), cell("t", 3, "a"));
    assertThat(cut(changes, 3)).containsExactly(
        List.of("t1a", "t1b", "t2a", "t2b", "t2c"), List.of("u2a", "t3a"));
    assertThat(cut(changes, 1)).containsExactly(
        List.of("t1a", "t1b"), List.of("t2a", "t2b"), List.of("t2c"), List.of("u2a"), List.of("t3a"));
  }

  @Test
  void aRunOfOneRowLongerThanTwoChunksIsCutSoThatAChunkStaysBounded() {
    List<Change> changes = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      changes.add(cell("t", 1, "c" + i));
    }
    assertThat(cut(changes, 2)).extracting(List::size).containsExactly(4, 3);
  }
}
