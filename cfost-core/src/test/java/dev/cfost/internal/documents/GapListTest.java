package dev.cfost.internal.documents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The gap buffer behind documents' arrays does what an ArrayList does, wherever the edits land. */
class GapListTest {
  @Test
  void randomInsertsRemovesAndSetsMatchAnArrayList() {
    for (long seed = 1; seed <= 20; seed++) {
      Random r = new Random(seed);
      List<Integer> gap = new GapList<>(r.nextInt(3));
      List<Integer> plain = new ArrayList<>();
      for (int step = 0; step < 3000; step++) {
        int op = r.nextInt(10);
        // typing edits near the last place, with jumps now and then
        int at = plain.isEmpty() || r.nextInt(8) == 0 ? r.nextInt(plain.size() + 1)
            : Math.min(plain.size(), Math.max(0, plain.size() / 2 + r.nextInt(9) - 4));
        if (op < 6) {
          gap.add(at, step);
          plain.add(at, step);
        } else if (op < 9 && !plain.isEmpty()) {
          int i = Math.min(at, plain.size() - 1);
          assertThat(gap.remove(i)).as("seed %d step %d", seed, step).isEqualTo(plain.remove(i));
        } else if (!plain.isEmpty()) {
          int i = Math.min(at, plain.size() - 1);
          assertThat(gap.set(i, -step)).isEqualTo(plain.set(i, -step));
        }
        assertThat(gap.size()).isEqualTo(plain.size());
      }
      assertThat(gap).as("seed %d", seed).isEqualTo(plain);
      assertThat(new ArrayList<>(gap)).isEqualTo(plain);
    }
  }

  @Test
  void indicesOutsideTheListAreRefused() {
    GapList<String> list = new GapList<>(0);
    list.add(0, "a");
    assertThatThrownBy(() -> list.get(1)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> list.get(-1)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> list.add(2, "c")).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> list.remove(1)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThat(list).containsExactly("a");
  }

  @Test
  void arraysReadByTheDocumentsMapperAreGapBuffersAndEqualOrdinaryOnes() throws Exception {
    JsonNode parsed = Json.parse("{\"t\":[\"a\",\"b\",[1,2]]}", "test");
    JsonNode plain = new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"t\":[\"a\",\"b\",[1,2]]}");
    assertThat(parsed).isEqualTo(plain);
    assertThat(plain).isEqualTo(parsed);
    assertThat(parsed.hashCode()).isEqualTo(plain.hashCode());
    ArrayNode t = (ArrayNode) parsed.get("t");
    t.insert(1, "x");
    t.remove(0);
    assertThat(Json.write(parsed)).isEqualTo("{\"t\":[\"x\",\"b\",[1,2]]}");
    JsonNode copied = Json.copy(plain);
    assertThat(copied).isEqualTo(plain);
    ((ArrayNode) copied.get("t").get(2)).insert(0, 0);
    assertThat(plain.get("t").get(2).size()).isEqualTo(2); // a copy, not the caller's nodes
    assertThat(Json.write(copied)).isEqualTo("{\"t\":[\"a\",\"b\",[0,1,2]]}");
  }

  @Test
  void copiedArraysAreGapBuffers() throws Exception {
    JsonNode plain = new com.fasterxml.jackson.databind.ObjectMapper().readTree("[[1]]");
    java.lang.reflect.Field children = ArrayNode.class.getDeclaredField("_children");
    children.setAccessible(true);
    JsonNode copied = Json.copy(plain);
    assertThat(children.get(copied)).isInstanceOf(GapList.class);
    assertThat(children.get(copied.get(0))).isInstanceOf(GapList.class);
    assertThat(children.get(Json.parse("[[1]]", "test").get(0))).isInstanceOf(GapList.class);
  }
}
