package dev.cfost.net.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.cfost.Values;
import dev.cfost.Seal;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code seals} field of a {@code changes} message (docs/PROTOCOL.md): an array of
 * {@code {"device_id", "signature", "digests"}}, the signature in hex and the digests as one hex string
 * of concatenated 32-byte digests (a third smaller than an array of strings, and batches are bounded in
 * bytes). Decoding checks shapes only; what the seals prove is the {@code BatchSealer}'s business.
 */
final class SealJson {
  static final int DIGEST_BYTES = 32;

  private SealJson() {}

  static void write(JsonGenerator g, List<Seal> seals) throws IOException {
    g.writeArrayFieldStart("seals");
    for (Seal s : seals) {
      g.writeStartObject();
      g.writeStringField("device_id", s.deviceId());
      g.writeStringField("signature", Values.hex(s.signature()));
      byte[] all = new byte[s.digests().size() * DIGEST_BYTES];
      for (int i = 0; i < s.digests().size(); i++) {
        System.arraycopy(s.digests().get(i), 0, all, i * DIGEST_BYTES, DIGEST_BYTES);
      }
      g.writeStringField("digests", Values.hex(all));
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  /** The seals of {@code field}; none when it is absent (a peer that does not sign). */
  static List<Seal> read(JsonNode field) throws ProtocolException {
    if (field == null || field.isNull()) {
      return List.of();
    }
    if (!field.isArray()) {
      throw malformed("field 'seals' must be an array");
    }
    List<Seal> seals = new ArrayList<>(field.size());
    for (int i = 0; i < field.size(); i++) {
      JsonNode s = field.get(i);
      byte[] all = hex(s, "digests", i);
      if (all.length % DIGEST_BYTES != 0) {
        throw malformed("seal " + i + ": 'digests' must be whole " + DIGEST_BYTES + "-byte digests, not "
            + all.length + " bytes");
      }
      List<byte[]> digests = new ArrayList<>(all.length / DIGEST_BYTES);
      for (int at = 0; at < all.length; at += DIGEST_BYTES) {
        digests.add(Arrays.copyOfRange(all, at, at + DIGEST_BYTES));
      }
      JsonNode device = s.get("device_id");
      if (device == null || !device.isTextual()) {
        throw malformed("seal " + i + ": field 'device_id' must be a string");
      }
      seals.add(new Seal(device.textValue(), hex(s, "signature", i), digests));
    }
    return seals;
  }

  private static byte[] hex(JsonNode seal, String field, int index) throws ProtocolException {
    JsonNode f = seal == null ? null : seal.get(field);
    if (f == null || !f.isTextual()) {
      throw malformed("seal " + index + ": field '" + field + "' must be a hex string");
    }
    try {
      return Values.unhex(f.textValue());
    } catch (IllegalArgumentException e) {
      throw malformed("seal " + index + ": field '" + field + "' is not hex");
    }
  }

  private static ProtocolException malformed(String why) {
    return new ProtocolException(ProtocolException.MALFORMED_FRAME, "changes: " + why);
  }
}
