package dev.cfost.identity.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cfost.identity.DeviceKeys;
import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.SignatureException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RFC 8032 section 7.1 through the project's Ed25519 (BouncyCastle's), the same signatures as the JDK's, and
 * what verify does with hostile input.
 */
class Ed25519VectorTest {
  private static final HexFormat HEX = HexFormat.of();

  record Vector(String name, byte[] secret, byte[] publicKey, byte[] message, byte[] signature) {}

  static List<Vector> vectors() throws IOException {
    JsonNode root;
    try (InputStream in = Ed25519VectorTest.class.getResourceAsStream("/ed25519-rfc8032.json")) {
      root = new ObjectMapper().readTree(in);
    }
    List<Vector> out = new ArrayList<>();
    for (JsonNode v : root.get("vectors")) {
      out.add(new Vector(v.get("name").asText(), HEX.parseHex(v.get("secretKeyHex").asText()),
          HEX.parseHex(v.get("publicKeyHex").asText()), HEX.parseHex(v.get("messageHex").asText()),
          HEX.parseHex(v.get("signatureHex").asText())));
    }
    return out;
  }

  @Test
  void signingReproducesEveryRfc8032SignatureByteForByte() throws Exception {
    List<Vector> vectors = vectors();
    assertThat(vectors).hasSize(5);
    for (Vector v : vectors) {
      PrivateKey key = Ed25519.privateKey(v.secret());
      assertThat(Ed25519.sign(key, v.message())).as(v.name()).isEqualTo(v.signature());
      assertThat(Ed25519.publicOf(key)).as(v.name() + " public key").isEqualTo(v.publicKey());
    }
  }

  @Test
  void everyRfc8032SignatureVerifies() throws Exception {
    for (Vector v : vectors()) {
      assertThat(DeviceKeys.verify(v.publicKey(), v.message(), v.signature())).as(v.name()).isTrue();
    }
  }

  @Test
  void aTamperedSignatureMessageOrKeyIsRejected() throws Exception {
    for (Vector v : vectors()) {
      for (int i : new int[] {0, 31, 32, 63}) {
        byte[] sig = v.signature().clone();
        sig[i] ^= 0x01;
        assertThat(DeviceKeys.verify(v.publicKey(), v.message(), sig)).as(v.name() + " sig byte " + i).isFalse();
      }
      byte[] message = v.message().length == 0 ? new byte[] {0} : v.message().clone();
      message[0] ^= 0x01;
      assertThat(DeviceKeys.verify(v.publicKey(), message, v.signature())).as(v.name() + " message").isFalse();
      byte[] key = v.publicKey().clone();
      key[0] ^= 0x01;
      assertThat(DeviceKeys.verify(key, v.message(), v.signature())).as(v.name() + " key").isFalse();
    }
  }

  @Test
  void malformedSignaturesAreRefusedWithoutAnException() throws Exception {
    Vector v = vectors().get(0);
    byte[] invalidPoint = new byte[64];
    invalidPoint[0] = 2; // R = (y = 2), which is on no curve point
    byte[] sTooLarge = new byte[64];
    java.util.Arrays.fill(sTooLarge, (byte) 0xff);
    // The JDK throws for these instead of returning false; verify must turn that into a refusal.
    assertThatThrownBy(() -> jdkVerify(v.publicKey(), v.message(), invalidPoint))
        .isInstanceOf(SignatureException.class);
    assertThatThrownBy(() -> jdkVerify(v.publicKey(), v.message(), sTooLarge))
        .isInstanceOf(SignatureException.class);

    for (byte[] sig : new byte[][] {invalidPoint, sTooLarge, new byte[64], new byte[0], new byte[63],
        new byte[65], null}) {
      assertThat(DeviceKeys.verify(v.publicKey(), v.message(), sig)).isFalse();
    }
    assertThat(DeviceKeys.verify(new byte[31], v.message(), v.signature())).isFalse();
    assertThat(DeviceKeys.verify(null, v.message(), v.signature())).isFalse();
    assertThat(DeviceKeys.verify(v.publicKey(), null, v.signature())).isFalse();
    byte[] notAPoint = new byte[32];
    notAPoint[0] = 2;
    assertThat(DeviceKeys.verify(notAPoint, v.message(), v.signature())).isFalse();
  }

  /** Devices signed with the JDK's Ed25519 before: both make the same bytes, and each accepts the other's. */
  @Test
  void signaturesAreTheJdksByteForByteAndBothVerifyTheSame() throws Exception {
    java.util.Random rnd = new java.util.Random(8032);
    for (int i = 0; i < 200; i++) {
      java.security.KeyPair kp = java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      byte[] message = new byte[rnd.nextInt(300)];
      rnd.nextBytes(message);
      Signature jdk = Signature.getInstance("Ed25519");
      jdk.initSign(kp.getPrivate());
      jdk.update(message);
      byte[] expected = jdk.sign();
      assertThat(Ed25519.sign(kp.getPrivate(), message)).as("signature %d", i).isEqualTo(expected);
      byte[] raw = Ed25519.raw(kp.getPublic());
      byte[] sig = expected.clone();
      if (i % 2 == 1) {
        sig[rnd.nextInt(sig.length)] ^= (byte) (1 << rnd.nextInt(8));
      }
      boolean byJdk;
      try {
        byJdk = jdkVerify(raw, message, sig);
      } catch (SignatureException e) {
        byJdk = false; // the JDK throws for a signature it cannot decode
      }
      assertThat(Ed25519.verify(raw, message, sig)).as("verify %d", i).isEqualTo(byJdk).isEqualTo(i % 2 == 0);
    }
  }

  private static boolean jdkVerify(byte[] key, byte[] message, byte[] sig) throws GeneralSecurityException {
    Signature s = Signature.getInstance("Ed25519");
    s.initVerify(Ed25519.publicKey(key));
    s.update(message);
    return s.verify(sig);
  }
}
