package dev.cfost.identity.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The bytes a device signs to prove its key to a sync server ({@code POST /v1/devices/token}): the ASCII
 * bytes {@code cfost-device-proof-v1}, a zero byte, the account's user id and the database's identity user
 * id (each a 4-byte big-endian length and UTF-8), then the server's 32-byte challenge. Binding both users
 * means a proof made for one account cannot bind another.
 */
public final class DeviceProof {
  static final byte[] DOMAIN = "cfost-device-proof-v1".getBytes(StandardCharsets.US_ASCII);
  public static final int CHALLENGE_BYTES = 32;

  private DeviceProof() {}

  public static byte[] message(String accountUser, String identityUser, byte[] challenge) {
    if (challenge.length != CHALLENGE_BYTES) {
      throw new IllegalArgumentException("a device proof challenge has 32 bytes, not " + challenge.length);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(DOMAIN);
    out.write(0);
    lengthPrefixed(out, accountUser.getBytes(StandardCharsets.UTF_8));
    lengthPrefixed(out, identityUser.getBytes(StandardCharsets.UTF_8));
    out.writeBytes(challenge);
    return out.toByteArray();
  }

  private static void lengthPrefixed(ByteArrayOutputStream out, byte[] bytes) {
    out.writeBytes(ByteBuffer.allocate(4).putInt(bytes.length).array());
    out.writeBytes(bytes);
  }
}
