package dev.cfost.internal.documents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every enabled case of the json-patch-tests suite (test resources, conformance/json-patch) through
 * {@link JsonPatch}: the result equals the expected document, or the patch fails and leaves the document
 * as it was; a patch that applies has a reverse that gives the original document back.
 */
class JsonPatchConformanceTest {
  private static final String[] FILES = {"tests.json", "spec_tests.json"};

  static List<JsonNode> enabledCases() throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String file : FILES) {
      try (InputStream in = JsonPatchConformanceTest.class.getResourceAsStream("/conformance/json-patch/" + file)) {
        for (JsonNode c : Json.MAPPER.readTree(in)) {
          if (!c.path("disabled").asBoolean(false)) {
            out.add(c);
          }
        }
      }
    }
    return out;
  }

  @Test
  void theSuiteHasAllItsEnabledCases() throws IOException {
    // 95 + 17 records, 4 of them disabled: a suite that lost files or records must not pass quietly.
    assertThat(enabledCases()).hasSize(108);
  }

  @TestFactory
  List<DynamicTest> everyEnabledCasePasses() throws IOException {
    List<DynamicTest> tests = new ArrayList<>();
    int n = 0;
    for (JsonNode c : enabledCases()) {
      String name = (n++) + ": " + c.path("comment").asText(c.path("patch").toString());
      tests.add(DynamicTest.dynamicTest(name, () -> check(c)));
    }
    return tests;
  }

  private static void check(JsonNode c) {
    JsonNode doc = c.get("doc").deepCopy();
    JsonNode original = c.get("doc").deepCopy();
    if (c.has("expected")) {
      JsonPatch.Applied applied = JsonPatch.parse(c.get("patch")).apply(doc);
      assertThat(Json.same(applied.root(), c.get("expected")))
          .as("result %s, expected %s", applied.root(), c.get("expected")).isTrue();
      JsonNode back = applied.reverse().apply(applied.root()).root();
      assertThat(Json.same(back, original)).as("reverse gave %s, not %s", back, original).isTrue();
    } else {
      assertThat(c.has("error")).as("a case has expected or error").isTrue();
      assertThatThrownBy(() -> JsonPatch.parse(c.get("patch")).apply(doc)).isInstanceOf(PatchException.class);
      assertThat(doc).as("a failed patch leaves the document as it was").isEqualTo(original);
    }
  }
}
