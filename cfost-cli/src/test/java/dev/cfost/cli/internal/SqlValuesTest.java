package dev.cfost.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SqlValuesTest {

  @Test
  void cellsShowNullBlobsRealsAndIntegersDistinctly() {
    assertThat(SqlValues.text(null)).isEqualTo("NULL");
    assertThat(SqlValues.text(new byte[] {0, (byte) 0xff, 0x1a})).isEqualTo("x'00ff1a'");
    assertThat(SqlValues.text(new byte[0])).isEqualTo("x''");
    assertThat(SqlValues.text(1L)).isEqualTo("1");
    assertThat(SqlValues.text(1.0)).isEqualTo("1.0");
    assertThat(SqlValues.text(Long.MIN_VALUE)).isEqualTo("-9223372036854775808");
    assertThat(SqlValues.text(Double.POSITIVE_INFINITY)).isEqualTo("Infinity");
    assertThat(SqlValues.text("NULL")).isEqualTo("NULL"); // the text NULL; only --json tells them apart
  }

  @Test
  void controlCharactersInTextAreEscapedSoTheTableKeepsItsShape() {
    assertThat(SqlValues.text("a\nb\tc\rd\u0001e")).isEqualTo("a\\nb\\tc\\rd\\u0001e");
    assertThat(SqlValues.text("plain é")).isEqualTo("plain é");
  }

  @Test
  void jsonRowsKeepEachStorageClass() throws Exception {
    QueryResult r = new QueryResult(List.of("i", "big", "r", "t", "b", "n", "inf"),
        List.of(Arrays.asList(7L, Long.MAX_VALUE, 2.0, "x\"y", new byte[] {1, 2}, null, Double.NEGATIVE_INFINITY)));
    String json = r.toJson();
    assertThat(json).isEqualTo("[{\"i\":7,\"big\":9223372036854775807,\"r\":2.0,\"t\":\"x\\\"y\","
        + "\"b\":{\"blob\":\"0102\"},\"n\":null,\"inf\":{\"real\":\"-Infinity\"}}]\n");
    JsonNode row = new ObjectMapper().readTree(json).get(0);
    assertThat(row.get("i").isIntegralNumber()).isTrue();
    assertThat(row.get("big").longValue()).isEqualTo(Long.MAX_VALUE);
    assertThat(row.get("r").isFloatingPointNumber()).isTrue();
  }

  @Test
  void jsonOfNoRowsIsAnEmptyArrayAndRowsGoOnePerLine() {
    assertThat(new QueryResult(List.of("a"), List.of()).toJson()).isEqualTo("[]\n");
    QueryResult two = new QueryResult(List.of("a"), List.of(List.of(1L), List.of(2L)));
    assertThat(two.toJson()).isEqualTo("[{\"a\":1},\n{\"a\":2}]\n");
  }

  @Test
  void theTextTableOfAQueryRendersValuesThroughTheSameRules() {
    QueryResult r = new QueryResult(List.of("id", "v"), List.of(Arrays.asList("t1", null),
        Arrays.asList("t2", new byte[] {(byte) 0xab})));
    assertThat(r.toText()).isEqualTo("id  v\n--  -----\nt1  NULL\nt2  x'ab'\n");
  }
}
