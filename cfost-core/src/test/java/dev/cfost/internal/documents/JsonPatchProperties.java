package dev.cfost.internal.documents;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.fge.jsonpatch.diff.JsonDiff;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The project's patch path against java-json-tools json-patch 1.13 as an oracle: on random documents and
 * random patches (valid or not) both give the same result or both refuse; a refused patch leaves the
 * document as it was; an applied one's reverse gives it back; and a computed diff applies.
 */
class JsonPatchProperties {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  @Provide
  Arbitrary<JsonNode> values() {
    return Arbitraries.oneOf(Arbitraries.integers().between(0, 3).map(i -> (JsonNode) F.numberNode(i)),
        Arbitraries.of("a", "b").map(s -> (JsonNode) F.textNode(s)),
        Arbitraries.just((JsonNode) F.arrayNode().add(1).add(2)),
        Arbitraries.just((JsonNode) F.objectNode().put("k", 1)));
  }

  @Provide
  Arbitrary<String> paths() {
    Arbitrary<String> token = Arbitraries.of("a", "b", "k", "0", "1", "2", "-", "01", "x");
    return token.list().ofMinSize(0).ofMaxSize(3).map(ts -> ts.isEmpty() ? "" : "/" + String.join("/", ts));
  }

  @Provide
  Arbitrary<ArrayNode> patches() {
    Arbitrary<ObjectNode> op = Combinators.combine(
            Arbitraries.of("add", "remove", "replace", "move", "copy", "test"), paths(), paths(), values())
        .as((name, path, from, value) -> {
          ObjectNode o = F.objectNode().put("op", name).put("path", path);
          if (name.equals("move") || name.equals("copy")) {
            o.put("from", from);
          } else if (!name.equals("remove")) {
            o.set("value", value);
          }
          return o;
        })
        // Removing the whole document: the library leaves nothing, ours refuses (a document has content).
        .filter(o -> !(o.get("op").asText().equals("remove") && o.get("path").asText().isEmpty()))
        // A move onto itself: the library does nothing even if "from" does not exist; RFC 6902 says it must.
        .filter(o -> !(o.get("op").asText().equals("move") && o.get("path").equals(o.get("from"))));
    return op.list().ofMinSize(1).ofMaxSize(4).map(ops -> {
      ArrayNode a = F.arrayNode();
      ops.forEach(a::add);
      return a;
    });
  }

  static JsonNode document() {
    ObjectNode d = F.objectNode();
    d.putArray("a").add(1).add("b").addObject().put("k", 2);
    d.putObject("b").put("k", "v").putArray("x").add(0);
    d.put("k", 3);
    return d;
  }

  @Property(tries = 2000)
  void agreesWithTheLibraryAndReversesExactly(@ForAll("patches") ArrayNode patch) throws Exception {
    JsonNode original = document();
    JsonNode expected;
    try {
      expected = com.github.fge.jsonpatch.JsonPatch.fromJson(patch).apply(document());
    } catch (Exception e) {
      expected = null;
    }
    JsonNode doc = document();
    try {
      JsonPatch.Applied applied = JsonPatch.parse(patch).apply(doc);
      assertThat(expected).as("the library refused %s, ours applied it", patch).isNotNull();
      assertThat(Json.same(applied.root(), expected)).as("%s gave %s, the library %s", patch, applied.root(), expected)
          .isTrue();
      assertThat(applied.reverse().apply(applied.root()).root()).as("reverse %s of %s", applied.reverse().toJson(), patch)
          .isEqualTo(original);
    } catch (PatchException e) {
      // The library takes an index with a leading zero in some places; RFC 6901 and the suite say no.
      if (!patch.toString().contains("/01")) {
        assertThat(expected).as("ours refused %s (%s), the library applied it", patch, e.getMessage()).isNull();
      }
      assertThat(doc).isEqualTo(original);
    }
  }

  @Property(tries = 300)
  void aComputedDiffTurnsOneDocumentIntoTheOther(@ForAll("patches") ArrayNode patch) {
    JsonNode target;
    try {
      target = JsonPatch.parse(patch).apply(document()).root();
    } catch (PatchException e) {
      return; // only patches that apply make a target
    }
    JsonNode diff = JsonDiff.asJson(document(), target);
    assertThat(JsonPatch.parse(diff).apply(document()).root()).isEqualTo(target);
    assertThat(List.of(diff.size())).isNotNull();
  }
}
