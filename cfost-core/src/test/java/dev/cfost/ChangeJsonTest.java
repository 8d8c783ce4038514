package dev.cfost;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChangeJsonTest {
  static final byte[] SITE = Values.unhex("000102030405060708090a0b0c0d0e0f");

  @Test
  void everyValueRoundTripsWithItsType() {
    List<Object> values = List.of(0L, -1L, Long.MAX_VALUE, Long.MIN_VALUE, 9007199254740993L, 1.0, -0.0, 0.1,
        1e300, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, "", "héllo \"q\"\n", new byte[0],
        new byte[] {0, -1});
    for (Object v : values) {
      Change c = new Change("t", Values.unhex("010b0161"), "a", v, 118_000_000_000_000_001L, 7, SITE, 3, 2);
      String line = ChangeJson.write(c);
      assertThat(ChangeJson.read(line, 0)).as(line).isEqualTo(c);
    }
    Change nul = new Change("t", Values.unhex("010b0161"), "-1", null, 2, 7, SITE, 2, 0);
    assertThat(ChangeJson.read(ChangeJson.write(nul), 0)).isEqualTo(nul);
  }

  @Test
  void theJavaScriptSafeFormKeepsLargeIntegersAsStrings() throws Exception {
    Change c = new Change("t", Values.unhex("010b0161"), "a", 9007199254740993L, 118_000_000_000_000_001L, 7, SITE, 1, 2);
    java.io.StringWriter out = new java.io.StringWriter();
    try (var g = new com.fasterxml.jackson.databind.ObjectMapper().getFactory().createGenerator(out)) {
      ChangeJson.write(g, c, true);
    }
    assertThat(out.toString()).contains("\"val\":{\"int\":\"9007199254740993\"}")
        .contains("\"col_version\":\"118000000000000001\"").contains("\"db_version\":7");
    assertThat(ChangeJson.read(out.toString(), 0)).isEqualTo(c);
  }

  @Test
  void theLineHasTheDocumentedShape() {
    Change c = new Change("t", Values.unhex("010b0161"), "a", 1.0, 118_000_000_000_000_001L, 7, SITE, 1, 2);
    assertThat(ChangeJson.write(c)).isEqualTo("{\"table\":\"t\",\"pk\":\"010b0161\",\"cid\":\"a\",\"val\":1.0,"
        + "\"col_version\":118000000000000001,\"db_version\":7,\"site_id\":\"000102030405060708090a0b0c0d0e0f\","
        + "\"cl\":1,\"seq\":2}");
    Change blob = new Change("t", Values.unhex("010b0161"), "a", new byte[] {(byte) 0xab}, 1, 1, SITE, 1, 0);
    assertThat(ChangeJson.write(blob)).contains("\"val\":{\"blob\":\"ab\"}");
  }

  /** Hex is written from a reused buffer: a long blob (beyond the buffer kept), then short keys, each whole. */
  @Test
  void hexOfAnyLengthIsWrittenWholeOneChangeAfterAnother() {
    byte[] big = new byte[3000];
    new java.util.Random(5).nextBytes(big);
    Change blob = new Change("t", big, "a", big, 1, 1, SITE, 1, 0);
    Change small = new Change("t", new byte[] {1}, "a", new byte[] {(byte) 0xff}, 1, 1, new byte[0], 1, 0);
    for (Change c : List.of(blob, small, blob, small)) {
      String line = ChangeJson.write(c);
      assertThat(line).contains("\"pk\":\"" + java.util.HexFormat.of().formatHex(c.pk()) + "\"")
          .contains("\"site_id\":\"" + java.util.HexFormat.of().formatHex(c.siteId()) + "\"");
      assertThat(ChangeJson.read(line, 0)).isEqualTo(c);
    }
    assertThat(ChangeJson.write(small)).contains("\"pk\":\"01\"").contains("\"val\":{\"blob\":\"ff\"}")
        .contains("\"site_id\":\"\"");
  }

  @Test
  void aTreeWhoseRealIsADoubleNodeReadsAsTheTreeReaderDid() throws Exception {
    // The tree reader took {"real": ...} by asText(): a tree built in code with a DoubleNode of Infinity read.
    com.fasterxml.jackson.databind.ObjectMapper m = new com.fasterxml.jackson.databind.ObjectMapper();
    com.fasterxml.jackson.databind.node.ObjectNode n = (com.fasterxml.jackson.databind.node.ObjectNode) m.readTree(
        ChangeJson.write(new Change("t", new byte[] {1}, "c", 1.5, 1, 1, new byte[16], 1, 0)));
    n.putObject("val").put("real", Double.POSITIVE_INFINITY);
    assertThat(ChangeJson.read(n, 0).val()).isEqualTo(Double.POSITIVE_INFINITY);
  }
}
