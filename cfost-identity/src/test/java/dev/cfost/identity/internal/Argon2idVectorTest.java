package dev.cfost.identity.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cfost.identity.Argon2Params;
import java.io.IOException;
import java.io.InputStream;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** RFC 9106 section 5.3: Argon2id with a secret (K) and associated data (X), through BouncyCastle. */
class Argon2idVectorTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void theRfc9106Argon2idVectorIsReproducedByteForByte() throws IOException {
    JsonNode v;
    try (InputStream in = getClass().getResourceAsStream("/argon2id-rfc9106.json")) {
      v = new ObjectMapper().readTree(in);
    }
    assertThat(v.get("algorithm").asText()).isEqualTo("Argon2id");
    assertThat(v.get("version").asInt()).isEqualTo(19);
    Argon2Params params = new Argon2Params(v.get("memoryKiB").asInt(), v.get("iterations").asInt(),
        v.get("parallelism").asInt());

    byte[] tag = PasswordHash.argon2id(HEX.parseHex(v.get("passwordHex").asText()),
        HEX.parseHex(v.get("saltHex").asText()), HEX.parseHex(v.get("secretHex").asText()),
        HEX.parseHex(v.get("associatedDataHex").asText()), params, v.get("tagLength").asInt());

    assertThat(HEX.formatHex(tag)).isEqualTo(v.get("tagHex").asText());
  }

  @Test
  void withoutTheSecretTheVectorsTagIsNotReproduced() throws IOException {
    JsonNode v;
    try (InputStream in = getClass().getResourceAsStream("/argon2id-rfc9106.json")) {
      v = new ObjectMapper().readTree(in);
    }
    byte[] tag = PasswordHash.argon2id(HEX.parseHex(v.get("passwordHex").asText()),
        HEX.parseHex(v.get("saltHex").asText()), null, HEX.parseHex(v.get("associatedDataHex").asText()),
        new Argon2Params(32, 3, 4), 32);

    assertThat(HEX.formatHex(tag)).isNotEqualTo(v.get("tagHex").asText());
  }
}
