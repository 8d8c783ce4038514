package dev.cfost;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link ChangeJson}'s streaming reader against the tree reader it replaced ({@link TreeChangeReader}) and
 * against its own tree form ({@link ChangeJson#read(JsonNode, int)}): on random changes, in either integer
 * style, with fields in any order, unknown and repeated fields, all three read the same change; broken in a
 * field or cut short, all three refuse it with the same message.
 */
class ChangeJsonReaderProperties {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final List<String> FIELDS =
      List.of("table", "pk", "cid", "val", "col_version", "db_version", "site_id", "cl", "seq");
  /** Wrong values for a field of each kind, as JSON text. */
  private static final Map<String, List<String>> WRONG = Map.of(
      "text", List.of("1", "-0.5", "null", "true", "[]", "{}", "{\"a\":\"b\"}", "99999999999999999999"),
      "hex", List.of("\"zz\"", "\"abc\"", "\"0g\"", "\"0\"", "\" 00\"", "1", "null", "[\"00\"]"),
      "integer", List.of("1.5", "1e3", "-0.0", "true", "null", "\"12x\"", "\"\"", "\"1.0\"", "\"99999999999999999999\"",
          "99999999999999999999", "-9223372036854775809", "[1]", "{\"a\":1}", "{}", "\"" + "9".repeat(60) + "\""),
      "val", List.of("[1]", "[]", "{}", "true", "99999999999999999999", "-99999999999999999999", "{\"blob\":\"abc\"}",
          "{\"blob\":\"zz\"}", "{\"blob\":5}", "{\"blob\":null}", "{\"int\":\"x\"}", "{\"int\":\"1.5\"}", "{\"int\":7}",
          "{\"real\":\"NaN\"}", "{\"real\":1}", "{\"real\":\"infinity\"}", "{\"blob\":\"00\",\"int\":\"1\"}",
          "{\"x\":{\"blob\":\"00\"}}", "{\"blob\":\"00\",\"blob\":\"zz\"}", "{\"blob\":\"zz\",\"blob\":\"00\",\"blob\":1}",
          "[" + "1,".repeat(30) + "1]"));

  @Property(tries = 1000)
  void theReadersAgreeOnValidChangesInAnyLayout(@ForAll("changes") Change c, @ForAll boolean jsSafe,
      @ForAll long seed) throws Exception {
    Random random = new Random(seed);
    List<String[]> fields = fieldsOf(c, jsSafe);
    Collections.shuffle(fields, random);
    for (int i = random.nextInt(3); i > 0; i--) { // unknown fields, of any shape
      fields.add(random.nextInt(fields.size() + 1), new String[] {"x" + i, pick(random, WRONG.get("val"))});
    }
    if (random.nextBoolean()) { // a repeated field: of a name given twice, the last counts
      String[] f = fields.get(random.nextInt(fields.size()));
      fields.add(0, new String[] {f[0], pick(random, WRONG.get(kind(f[0])))});
    }
    String line = join(fields);

    assertThat(ChangeJson.read(line, 3)).as(line).isEqualTo(c);
    assertThat(outcome(() -> ChangeJson.read(MAPPER.readTree(line), 3))).as(line).isEqualTo(outcome(() -> c));
    assertThat(outcome(() -> TreeChangeReader.read(line, 3))).as(line).isEqualTo(outcome(() -> c));
  }

  @Property(tries = 3000)
  void theReadersRefuseAMalformedChangeWithTheSameMessage(@ForAll("changes") Change c, @ForAll boolean jsSafe,
      @ForAll long seed) throws Exception {
    Random random = new Random(seed);
    List<String[]> fields = fieldsOf(c, jsSafe);
    Collections.shuffle(fields, random);
    for (int i = 1 + random.nextInt(3); i > 0; i--) {
      int at = random.nextInt(fields.size());
      if (random.nextInt(4) == 0) {
        fields.remove(at); // a missing field
      } else {
        fields.get(at)[1] = pick(random, WRONG.get(kind(fields.get(at)[0])));
      }
      if (fields.isEmpty()) {
        break;
      }
    }
    String line = join(fields);
    if (random.nextInt(5) == 0) { // not JSON, or not only JSON: cut short or followed by more
      line = random.nextBoolean() ? line.substring(0, random.nextInt(line.length())) : line + pick(random,
          List.of(" {", "}", " x", "[", ",1"));
    }
    String text = line;

    String expected = outcome(() -> TreeChangeReader.read(text, 7));
    assertThat(outcome(() -> ChangeJson.read(text, 7))).as(text).isEqualTo(expected);
    if (!expected.contains("not valid JSON")) {
      assertThat(outcome(() -> ChangeJson.read(MAPPER.readTree(text), 7))).as(text).isEqualTo(expected);
    }
  }

  @Provide
  Arbitrary<Change> changes() {
    Arbitrary<String> names = Arbitraries.oneOf(Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(8),
        unicode(), Arbitraries.just(Change.SENTINEL));
    Arbitrary<byte[]> bytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(24);
    Arbitrary<Long> integers = Arbitraries.oneOf(Arbitraries.longs(), Arbitraries.of(0L, 1L, -1L, (1L << 53) - 1,
        1L << 53, (1L << 53) + 1, -(1L << 53) - 1, Long.MAX_VALUE, Long.MIN_VALUE, 118_000_000_000_000_001L));
    Arbitrary<Object> values = Arbitraries.oneOf(Arbitraries.just(null), integers.map(l -> (Object) l),
        Arbitraries.doubles().map(d -> (Object) d), Arbitraries.of(-0.0, 0.0, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY, Double.MIN_VALUE, Double.MAX_VALUE, 1e300, 9007199254740993.0).map(d -> (Object) d),
        unicode().map(s -> (Object) s), bytes.map(b -> (Object) b));
    return Combinators.combine(names, bytes, names, values, integers, integers, bytes, integers)
        .as((table, pk, cid, val, colVersion, dbVersion, site, cl) ->
            new Change(table, pk, cid, val, colVersion, dbVersion, site, cl, Math.abs(colVersion % 1000)));
  }

  /** Text of every plane: ASCII, accents, CJK, emoji (a surrogate pair), quotes, escapes and controls. */
  private static Arbitrary<String> unicode() {
    return Arbitraries.strings().withCharRange('\u0000', '\u00ff').withCharRange('\u4e00', '\u4e20')
        .withChars('"', '\\', '\u2028').ofMaxLength(12)
        .flatMap(s -> Arbitraries.of("", "\ud83d\ude00", "é").map(tail -> s + tail));
  }

  /** The change as {@link ChangeJson#write} spells it, one name and JSON value a field. */
  private static List<String[]> fieldsOf(Change c, boolean jsSafe) throws Exception {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
      ChangeJson.write(g, c, jsSafe);
    }
    JsonNode n = MAPPER.readTree(out.toString());
    assertThat(n.size()).isEqualTo(FIELDS.size());
    List<String[]> fields = new ArrayList<>();
    n.fields().forEachRemaining(e -> fields.add(new String[] {e.getKey(), e.getValue().toString()}));
    return fields;
  }

  private static String kind(String field) {
    return switch (field) {
      case "table", "cid" -> "text";
      case "pk", "site_id" -> "hex";
      case "val" -> "val";
      default -> "integer";
    };
  }

  private static String join(List<String[]> fields) {
    StringBuilder s = new StringBuilder("{");
    for (String[] f : fields) {
      s.append(s.length() > 1 ? "," : "").append('"').append(f[0]).append("\":").append(f[1]);
    }
    return s.append('}').toString();
  }

  private static String pick(Random random, List<String> from) {
    return from.get(random.nextInt(from.size()));
  }

  private interface Read {
    Change read() throws Exception;
  }

  /** The change read, or the refusal's message: what two readers must agree on. */
  private static String outcome(Read r) {
    try {
      return "read " + r.read();
    } catch (InvalidChangeException e) {
      return "refused " + e.getMessage() + " at " + e.index();
    } catch (Exception e) {
      return "failed " + e;
    }
  }
}
