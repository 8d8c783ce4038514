package dev.cfost.cli.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.PairingChallenge;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The authorizer's answer to a pairing response, one line of JSON: either approved, with the user's id
 * and name, the new device's id and where the authorizer syncs, or refused with the reason.
 *
 * <p>An approval is signed with the authorizer's device key over a domain-separated encoding that
 * includes the challenge's nonce, so the new device, which accepted any TLS certificate, knows that the
 * device that issued the challenge (its key is in the challenge) really approved it.
 *
 * @param error null for an approval, else why the response was refused
 */
record PairingReply(String userId, String userName, String deviceId, String syncAddress, String databaseId,
    String error) {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] DOMAIN = "cfost pairing reply v1\0".getBytes(StandardCharsets.US_ASCII);

  static PairingReply approved(String userId, String userName, String deviceId, String syncAddress,
      String databaseId) {
    return new PairingReply(userId, userName, deviceId, syncAddress, databaseId, null);
  }

  static PairingReply refused(String reason) {
    return new PairingReply(null, null, null, null, null, reason);
  }

  boolean isApproved() {
    return error == null;
  }

  /** The line to send; an approval is signed by {@code authorizer} for the challenge with {@code nonce}. */
  String encode(DeviceKeys authorizer, byte[] nonce) {
    ObjectNode o = JSON.createObjectNode();
    o.put("approved", isApproved());
    if (isApproved()) {
      o.put("user_id", userId);
      o.put("user_name", userName);
      o.put("device_id", deviceId);
      o.put("sync_address", syncAddress);
      o.put("database_id", databaseId);
      o.put("signature", Base64.getEncoder().encodeToString(authorizer.sign(signedBytes(nonce))));
    } else {
      o.put("error", error);
    }
    return o.toString();
  }

  /**
   * Reads a reply to a response to {@code challenge}.
   *
   * @throws CliException if it is not a reply, or an approval not signed by the challenge's authorizer
   */
  static PairingReply decode(String line, PairingChallenge challenge) {
    try {
      JsonNode o = JSON.readTree(line == null ? "" : line);
      if (o == null || !o.isObject() || !o.path("approved").isBoolean()) {
        throw new CliException("the authorizing device sent no pairing reply");
      }
      if (!o.get("approved").asBoolean()) {
        return refused(printable(o.path("error").asText("no reason given")));
      }
      PairingReply reply = approved(text(o, "user_id"), text(o, "user_name"), text(o, "device_id"),
          text(o, "sync_address"), text(o, "database_id"));
      byte[] signature = Base64.getDecoder().decode(text(o, "signature"));
      if (!DeviceKeys.verify(challenge.authorizerPublicKey(), reply.signedBytes(challenge.nonce()), signature)) {
        throw new CliException("the approval is not signed by the device that made the pairing code ("
            + challenge.authorizerId() + "); the pairing is not confirmed");
      }
      return reply;
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new CliException("the authorizing device sent a malformed pairing reply: " + e.getMessage(), e);
    }
  }

  private static String text(JsonNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("no " + field);
    }
    return printable(v.asText());
  }

  /** Text from the network is printed on a terminal: no control characters. */
  private static String printable(String s) {
    return Printable.of(s);
  }

  private byte[] signedBytes(byte[] nonce) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write(DOMAIN);
      out.write(nonce);
      for (String field : new String[] {userId, userName, deviceId, syncAddress, databaseId}) {
        byte[] b = field.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }
}
