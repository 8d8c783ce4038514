package dev.cfost.net.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cfost.Change;
import dev.cfost.ChangeJson;
import dev.cfost.Cursor;
import dev.cfost.InvalidChangeException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes messages as UTF-8 JSON objects with a {@code type} field. Integers that a JavaScript number
 * cannot hold exactly are strings (see {@link ChangeJson#write(JsonGenerator, Change, boolean)}); cursors
 * are strings. Decoding validates every field and names the one that is wrong.
 */
final class MessageCodec {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonFactory FACTORY = MAPPER.getFactory();

  private MessageCodec() {}

  static byte[] encode(Message m) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      if (m instanceof Message.Hello h) {
        g.writeStringField("type", "hello");
        g.writeNumberField("protocol", h.protocol());
        g.writeStringField("topic", h.topic());
        g.writeStringField("site_id", h.siteId());
        g.writeStringField("device_id", h.deviceId());
        g.writeNumberField("schema_version", h.schemaVersion());
        g.writeArrayFieldStart("capabilities");
        for (String c : h.capabilities()) {
          g.writeString(c);
        }
        g.writeEndArray();
      } else if (m instanceof Message.Request r) {
        g.writeStringField("type", "request");
        g.writeStringField("cursor", r.cursor().toString());
      } else if (m instanceof Message.Changes c) {
        g.writeStringField("type", "changes");
        g.writeStringField("from", c.from().toString());
        g.writeStringField("cursor", c.cursor().toString());
        g.writeNumberField("remaining", c.remaining());
        g.writeArrayFieldStart("changes");
        for (Change change : c.changes()) {
          ChangeJson.write(g, change, true);
        }
        g.writeEndArray();
        if (!c.seals().isEmpty()) {
          SealJson.write(g, c.seals());
        }
      } else if (m instanceof Message.Eose e) {
        g.writeStringField("type", "eose");
        g.writeStringField("from", e.from().toString());
        g.writeStringField("cursor", e.cursor().toString());
      } else if (m instanceof Message.Received r) {
        g.writeStringField("type", "received");
        g.writeStringField("cursor", r.cursor().toString());
      } else if (m instanceof Message.Ack a) {
        g.writeStringField("type", "ack");
        g.writeStringField("cursor", a.cursor().toString());
      } else if (m instanceof Message.Ping p) {
        g.writeStringField("type", "ping");
        g.writeNumberField("id", p.id());
      } else if (m instanceof Message.Pong p) {
        g.writeStringField("type", "pong");
        g.writeNumberField("id", p.id());
      } else if (m instanceof Message.Error e) {
        g.writeStringField("type", "error");
        g.writeStringField("code", e.code());
        g.writeStringField("message", e.message());
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static Message decode(byte[] frame) throws ProtocolException {
    JsonNode n;
    try {
      n = MAPPER.readTree(frame);
    } catch (JsonProcessingException e) {
      throw new ProtocolException(ProtocolException.MALFORMED_FRAME, "frame is not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ProtocolException(ProtocolException.MALFORMED_FRAME, "frame is unreadable: " + e.getMessage());
    }
    if (n == null || !n.isObject()) {
      throw new ProtocolException(ProtocolException.MALFORMED_FRAME, "frame is not a JSON object");
    }
    String type = text(n, "type");
    switch (type) {
      case "hello":
        List<String> caps = new ArrayList<>();
        JsonNode c = n.get("capabilities");
        if (c != null && c.isArray()) {
          c.forEach(x -> caps.add(x.asText()));
        }
        return new Message.Hello((int) integer(n, "protocol"), text(n, "topic"), text(n, "site_id"),
            text(n, "device_id"), (int) integer(n, "schema_version"), caps);
      case "request":
        return new Message.Request(cursor(n, "cursor"));
      case "changes":
        JsonNode arr = n.get("changes");
        if (arr == null || !arr.isArray()) {
          throw new ProtocolException(ProtocolException.MALFORMED_FRAME, "changes: field 'changes' must be an array");
        }
        List<Change> changes = new ArrayList<>(arr.size());
        try {
          for (int i = 0; i < arr.size(); i++) {
            changes.add(ChangeJson.read(arr.get(i), i));
          }
        } catch (InvalidChangeException e) {
          throw new ProtocolException(ProtocolException.INVALID_CHANGE, e.getMessage());
        }
        JsonNode remaining = n.get("remaining");
        return new Message.Changes(cursor(n, "from"), cursor(n, "cursor"), changes,
            remaining != null && remaining.canConvertToLong() ? remaining.longValue() : -1,
            SealJson.read(n.get("seals")));
      case "eose":
        return new Message.Eose(cursor(n, "from"), cursor(n, "cursor"));
      case "received":
        return new Message.Received(cursor(n, "cursor"));
      case "ack":
        return new Message.Ack(cursor(n, "cursor"));
      case "ping":
        return new Message.Ping(integer(n, "id"));
      case "pong":
        return new Message.Pong(integer(n, "id"));
      case "error":
        return new Message.Error(text(n, "code"), text(n, "message"));
      default:
        throw new ProtocolException(ProtocolException.UNKNOWN_MESSAGE, "unknown message type '" + type + "'");
    }
  }

  private static String text(JsonNode n, String field) throws ProtocolException {
    JsonNode f = n.get(field);
    if (f == null || !f.isTextual()) {
      throw new ProtocolException(ProtocolException.MALFORMED_FRAME, "field '" + field + "' must be a string");
    }
    return f.textValue();
  }

  private static long integer(JsonNode n, String field) throws ProtocolException {
    JsonNode f = n.get(field);
    if (f == null || !f.isIntegralNumber() || !f.canConvertToLong()) {
      throw new ProtocolException(ProtocolException.MALFORMED_FRAME, "field '" + field + "' must be an integer");
    }
    return f.longValue();
  }

  private static Cursor cursor(JsonNode n, String field) throws ProtocolException {
    try {
      return Cursor.parse(text(n, field));
    } catch (IllegalArgumentException e) {
      throw new ProtocolException(ProtocolException.MALFORMED_FRAME, "field '" + field + "': " + e.getMessage());
    }
  }
}
