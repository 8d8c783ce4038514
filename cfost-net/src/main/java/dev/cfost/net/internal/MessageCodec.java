package dev.cfost.net.internal;

import dev.cfost.net.SyncMessage;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
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
public final class MessageCodec {
  /**
   * What one frame may make the decoder hold: a document no larger than the largest frame, objects
   * nested at most 16 deep (a message needs 4), names of at most 256 characters, numbers of at most 400
   * digits (a double's longest exact form is under 30), strings up to the frame size (a large blob).
   */
  static final StreamReadConstraints LIMITS = StreamReadConstraints.builder()
      .maxNestingDepth(16).maxNameLength(256).maxNumberLength(400)
      .maxStringLength(dev.cfost.net.Transports.MAX_FRAME_BYTES)
      .maxDocumentLength(dev.cfost.net.Transports.MAX_FRAME_BYTES).build();
  private static final int MAX_CAPABILITIES = 32;
  private static final JsonFactory FACTORY = JsonFactory.builder().streamReadConstraints(LIMITS).build();
  private static final ObjectMapper MAPPER = new ObjectMapper(FACTORY);

  private MessageCodec() {}

  public static byte[] encode(SyncMessage m) {
    // A batch is sized up front from its count: grown from a small buffer by doubling, a 2,000-change batch
    // (about 300 bytes a change with its seal digests) was copied a dozen times over.
    int guess = m instanceof SyncMessage.Changes c ? 256 + Math.min(c.changes().size(), 4096) * 320 : 256;
    ByteArrayOutputStream out = new ByteArrayOutputStream(guess);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      if (m instanceof SyncMessage.Hello h) {
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
      } else if (m instanceof SyncMessage.Request r) {
        g.writeStringField("type", "request");
        g.writeStringField("cursor", r.cursor().toString());
      } else if (m instanceof SyncMessage.Changes c) {
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
      } else if (m instanceof SyncMessage.Eose e) {
        g.writeStringField("type", "eose");
        g.writeStringField("from", e.from().toString());
        g.writeStringField("cursor", e.cursor().toString());
      } else if (m instanceof SyncMessage.Received r) {
        g.writeStringField("type", "received");
        g.writeStringField("cursor", r.cursor().toString());
      } else if (m instanceof SyncMessage.Ack a) {
        g.writeStringField("type", "ack");
        g.writeStringField("cursor", a.cursor().toString());
      } else if (m instanceof SyncMessage.Ping p) {
        g.writeStringField("type", "ping");
        g.writeNumberField("id", p.id());
      } else if (m instanceof SyncMessage.Pong p) {
        g.writeStringField("type", "pong");
        g.writeNumberField("id", p.id());
      } else if (m instanceof SyncMessage.Error e) {
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

  /**
   * Decodes one frame as a stream: the type first, then only that message's fields, each change as it
   * comes, so that a hostile frame cannot make the decoder allocate far more than the frame itself
   * (no whole tree; nesting, names, strings and numbers bounded by {@link #LIMITS}).
   */
  public static SyncMessage decodeOrThrow(byte[] frame) {
    try {
      return decode(frame);
    } catch (ProtocolException e) {
      throw new dev.cfost.net.SyncException(e.code, e.getMessage());
    }
  }

  static SyncMessage decode(byte[] frame) throws ProtocolException {
    try (JsonParser p = FACTORY.createParser(frame)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw malformed("frame is not a JSON object");
      }
      if (p.nextToken() != JsonToken.FIELD_NAME || !"type".equals(p.currentName())) {
        throw malformed("a message's first field must be 'type'");
      }
      if (p.nextToken() != JsonToken.VALUE_STRING) {
        throw malformed("field 'type' must be a string");
      }
      String type = p.getText();
      Fields f = new Fields();
      switch (type) {
        case "hello", "request", "changes", "eose", "received", "ack", "ping", "pong", "error" -> readFields(p, type, f);
        default -> throw new ProtocolException(ProtocolException.UNKNOWN_MESSAGE,
            "unknown message type '" + clip(type) + "'");
      }
      if (p.nextToken() != null) {
        throw malformed("data after the message's object");
      }
      return f.build(type);
    } catch (StreamConstraintsException e) {
      throw malformed("frame exceeds a decoding limit: " + e.getOriginalMessage());
    } catch (JsonProcessingException e) {
      throw malformed("frame is not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw malformed("frame is unreadable: " + e.getMessage());
    }
  }

  /** The fields of one message, as read. */
  private static final class Fields {
    final java.util.Map<String, Object> values = new java.util.HashMap<>();
    List<Change> changes;
    JsonNode seals;

    SyncMessage build(String type) throws ProtocolException {
      return switch (type) {
        case "hello" -> new SyncMessage.Hello((int) integer("protocol", Integer.MIN_VALUE, Integer.MAX_VALUE),
            text("topic"), text("site_id"), text("device_id"),
            (int) integer("schema_version", Integer.MIN_VALUE, Integer.MAX_VALUE), caps());
        case "request" -> new SyncMessage.Request(cursor("cursor"));
        case "changes" -> {
          if (changes == null) {
            throw malformed("changes: field 'changes' must be an array");
          }
          Object remaining = values.get("remaining");
          yield new SyncMessage.Changes(cursor("from"), cursor("cursor"), changes,
              remaining instanceof Long l ? l : -1, SealJson.read(seals));
        }
        case "eose" -> new SyncMessage.Eose(cursor("from"), cursor("cursor"));
        case "received" -> new SyncMessage.Received(cursor("cursor"));
        case "ack" -> new SyncMessage.Ack(cursor("cursor"));
        case "ping" -> new SyncMessage.Ping(integer("id", Long.MIN_VALUE, Long.MAX_VALUE));
        case "pong" -> new SyncMessage.Pong(integer("id", Long.MIN_VALUE, Long.MAX_VALUE));
        default -> new SyncMessage.Error(text("code"), text("message"));
      };
    }

    @SuppressWarnings("unchecked")
    private List<String> caps() {
      Object c = values.get("capabilities");
      return c instanceof List<?> l ? (List<String>) l : new ArrayList<>();
    }

    private String text(String field) throws ProtocolException {
      if (values.get(field) instanceof String s) {
        return s;
      }
      throw malformed("field '" + field + "' must be a string");
    }

    private long integer(String field, long min, long max) throws ProtocolException {
      if (values.get(field) instanceof Long l && l >= min && l <= max) {
        return l;
      }
      throw malformed("field '" + field + "' must be an integer");
    }

    private Cursor cursor(String field) throws ProtocolException {
      try {
        return Cursor.parse(text(field));
      } catch (IllegalArgumentException e) {
        throw malformed("field '" + field + "': " + clip(e.getMessage()));
      }
    }
  }

  /** Reads the fields after {@code type}; values of fields this message does not have are skipped unread. */
  private static void readFields(JsonParser p, String type, Fields f) throws IOException, ProtocolException {
    for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
      if (t != JsonToken.FIELD_NAME) {
        throw malformed("frame is not a JSON object");
      }
      String name = p.currentName();
      JsonToken v = p.nextToken();
      if (type.equals("changes") && name.equals("changes")) {
        f.changes = readChanges(p, v);
      } else if (type.equals("changes") && name.equals("seals")) {
        f.seals = v == JsonToken.VALUE_NULL ? null : MAPPER.readTree(p); // bounded: seals are a frame's share
      } else if (type.equals("hello") && name.equals("capabilities")) {
        f.values.put(name, readStrings(p, v));
      } else if (v == JsonToken.VALUE_STRING) {
        f.values.put(name, p.getText());
      } else if (v == JsonToken.VALUE_NUMBER_INT) {
        f.values.put(name, p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? Boolean.FALSE : (Object) p.getLongValue());
      } else {
        p.skipChildren();
        f.values.put(name, Boolean.FALSE); // present, of no type a field here has
      }
    }
  }

  private static List<Change> readChanges(JsonParser p, JsonToken start) throws IOException, ProtocolException {
    if (start != JsonToken.START_ARRAY) {
      throw malformed("changes: field 'changes' must be an array");
    }
    List<Change> changes = new ArrayList<>();
    try {
      for (int i = 0; p.nextToken() != JsonToken.END_ARRAY; i++) {
        changes.add(ChangeJson.read(p, i)); // token by token: no tree of the change
      }
    } catch (InvalidChangeException e) {
      throw new ProtocolException(ProtocolException.INVALID_CHANGE, e.getMessage());
    }
    return changes;
  }

  private static List<String> readStrings(JsonParser p, JsonToken start) throws IOException, ProtocolException {
    if (start != JsonToken.START_ARRAY) {
      p.skipChildren();
      return new ArrayList<>();
    }
    List<String> out = new ArrayList<>();
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (out.size() >= MAX_CAPABILITIES) {
        throw malformed("hello: more than " + MAX_CAPABILITIES + " capabilities");
      }
      out.add(t == JsonToken.VALUE_STRING ? p.getText() : "");
      p.skipChildren();
    }
    return out;
  }

  private static ProtocolException malformed(String message) {
    return new ProtocolException(ProtocolException.MALFORMED_FRAME, message);
  }

  /** A value from the wire in an error message, cut short: errors are logged and sent back. */
  private static String clip(String s) {
    return s == null || s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }
}
