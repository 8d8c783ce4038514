package dev.cfost.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cfost.Values;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PackedKeyTest {
  /** Every case observed from a real cr-sqlite build; SQLite itself reads the case's SQL literals. */
  @Test
  void packsExactlyAsCrSqliteDoesForEveryObservedCase() throws Exception {
    JsonNode cases;
    try (InputStream in = getClass().getResourceAsStream("/conformance/pk-encoding-observed.json")) {
      cases = new ObjectMapper().readTree(in).get("cases");
    }
    assertThat(cases.size()).isGreaterThan(20);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite::memory:"); Statement s = c.createStatement()) {
      for (JsonNode k : cases) {
        List<Object> values = new ArrayList<>();
        try (ResultSet rs = s.executeQuery("SELECT " + k.get("sqlArgs").asText())) {
          rs.next();
          for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
            values.add(Sql.read(rs, i));
          }
        }
        String expected = k.get("packedHex").asText().toLowerCase();
        assertThat(Values.hex(PackedKey.pack(values))).as(k.get("sqlArgs").asText()).isEqualTo(expected);
        List<Object> back = PackedKey.unpack(Values.unhex(expected));
        assertThat(back).hasSameSizeAs(values);
        for (int i = 0; i < values.size(); i++) {
          assertThat(Values.equal(back.get(i), values.get(i))).as(k.get("sqlArgs").asText() + " column " + i).isTrue();
        }
      }
    }
  }

  @Test
  void malformedKeysAreRefusedWithTheReason() {
    assertThatThrownBy(() -> PackedKey.unpack(new byte[0])).hasMessageContaining("empty");
    assertThatThrownBy(() -> PackedKey.unpack(Values.unhex("00"))).hasMessageContaining("0 columns");
    assertThatThrownBy(() -> PackedKey.unpack(Values.unhex("02090a"))).hasMessageContaining("before column 1");
    assertThatThrownBy(() -> PackedKey.unpack(Values.unhex("010b0561"))).hasMessageContaining("exceeds");
    assertThatThrownBy(() -> PackedKey.unpack(Values.unhex("01090101"))).hasMessageContaining("trailing");
    assertThatThrownBy(() -> PackedKey.unpack(Values.unhex("0107"))).hasMessageContaining("unknown type 7");
    assertThatThrownBy(() -> PackedKey.unpack(Values.unhex("010b02ffff"))).hasMessageContaining("UTF-8");
    assertThatThrownBy(() -> PackedKey.unpack(Values.unhex("014901"))).hasMessageContaining("9 bytes");
  }
}
