package dev.cfost.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cfost.Values;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.bouncycastle.crypto.digests.Blake2bDigest;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

/** Topics are BLAKE2b-256; the BLAKE2b implementation is checked against RFC 7693 and the reference KATs. */
class TopicTest {
  private static JsonNode vectors(String name) throws Exception {
    try (InputStream in = TopicTest.class.getResourceAsStream("/conformance/" + name)) {
      return new ObjectMapper().readTree(in);
    }
  }

  private static byte[] blake2b(int outLen, byte[] key, byte[] in) {
    Blake2bDigest d = key.length == 0 ? new Blake2bDigest(outLen * 8) : new Blake2bDigest(key, outLen, null, null);
    d.update(in, 0, in.length);
    byte[] out = new byte[outLen];
    d.doFinal(out, 0);
    return out;
  }

  @Test
  void blake2bMatchesRfc7693AppendixA() throws Exception {
    JsonNode v = vectors("blake2b-rfc7693.json").get("vectors").get(0);
    assertThat(Values.hex(blake2b(64, new byte[0], v.get("inputAscii").asText().getBytes(StandardCharsets.US_ASCII))))
        .isEqualTo(v.get("digestHex").asText());
  }

  /** RFC 7693 Appendix E: the self-test's grand hash covers BLAKE2b-256, keyed and unkeyed. */
  @Test
  void blake2bPassesTheRfc7693SelfTest() throws Exception {
    JsonNode t = vectors("blake2b-rfc7693.json").get("selfTest");
    Blake2bDigest grand = new Blake2bDigest(256);
    for (JsonNode md : t.get("mdLens")) {
      for (JsonNode il : t.get("inLens")) {
        int outLen = md.asInt();
        int inLen = il.asInt();
        byte[] in = seq(inLen, inLen);
        byte[] h = blake2b(outLen, new byte[0], in);
        grand.update(h, 0, h.length);
        h = blake2b(outLen, seq(outLen, outLen), in);
        grand.update(h, 0, h.length);
      }
    }
    byte[] out = new byte[32];
    grand.doFinal(out, 0);
    assertThat(Values.hex(out)).isEqualTo(t.get("grandHashHex").asText());
  }

  private static byte[] seq(int len, int seed) {
    byte[] out = new byte[len];
    int a = 0xDEAD4BAD * seed;
    int b = 1;
    for (int i = 0; i < len; i++) {
      int t = a + b;
      a = b;
      b = t;
      out[i] = (byte) (t >>> 24);
    }
    return out;
  }

  @Test
  void blake2bMatchesTheReferenceKnownAnswers() throws Exception {
    JsonNode kat = vectors("blake2b-reference-kat.json");
    int checked = 0;
    for (String kind : new String[] {"keyed", "unkeyed"}) {
      for (JsonNode e : kat.get(kind)) {
        byte[] key = Values.unhex(e.get("keyHex").asText());
        byte[] in = Values.unhex(e.get("inputHex").asText());
        assertThat(Values.hex(blake2b(e.get("outLen").asInt(), key, in))).as(kind + " " + e.get("index"))
            .isEqualTo(e.get("digestHex").asText());
        checked++;
      }
    }
    assertThat(checked).isEqualTo(18);
  }

  @Test
  void aTopicIsBlake2b256OfTheDatabaseId() {
    Topic t = Topic.of("team-notes");
    assertThat(t.hex()).isEqualTo(Values.hex(blake2b(32, new byte[0], "team-notes".getBytes(StandardCharsets.UTF_8))));
    assertThat(t).isEqualTo(Topic.fromHex(t.hex())).isNotEqualTo(Topic.of("default"));
    assertThatThrownBy(() -> Topic.fromHex("abcd")).hasMessageContaining("32 bytes");
  }
}
