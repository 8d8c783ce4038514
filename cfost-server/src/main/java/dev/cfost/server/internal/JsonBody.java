package dev.cfost.server.internal;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * A request's JSON object body, read with a byte bound: too large gives 413 before it is all read,
 * malformed JSON 400 naming the line and column (never echoing the body, which may hold a password), a
 * missing or mistyped field 400 naming the field.
 */
final class JsonBody {
  static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private final ObjectNode object;

  private JsonBody(ObjectNode object) {
    this.object = object;
  }

  /** Reads the body; an empty body reads as {@code {}} when {@code emptyAllowed}. */
  static JsonBody read(Context ctx, int maxBytes, boolean emptyAllowed) {
    long declared = ctx.req().getContentLengthLong();
    if (declared > maxBytes) {
      throw tooLarge(maxBytes);
    }
    byte[] bytes;
    try (InputStream in = ctx.bodyInputStream()) {
      bytes = in.readNBytes(maxBytes + 1);
    } catch (IOException e) {
      throw new ApiException(400, "unreadable_body", "the request body could not be read: " + e.getMessage());
    }
    if (bytes.length > maxBytes) {
      throw tooLarge(maxBytes);
    }
    try {
      if (bytes.length == 0 || isBlank(bytes)) {
        if (emptyAllowed) {
          return new JsonBody(MAPPER.createObjectNode());
        }
        throw new ApiException(400, "malformed_json", "the request body is empty; expected a JSON object");
      }
      JsonNode node;
      try {
        node = MAPPER.readTree(bytes);
      } catch (JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        // Jackson's own message may quote the body (a password); only a duplicate's field name is told.
        String original = e.getOriginalMessage();
        String what = original != null && original.startsWith("Duplicate field '") && original.length() < 200
            ? ": " + original.replace("Duplicate field", "duplicate field") : "";
        throw new ApiException(400, "malformed_json", "the request body is not valid JSON" + where + what);
      } catch (IOException e) {
        throw new ApiException(400, "malformed_json", "the request body is not valid JSON");
      }
      if (!(node instanceof ObjectNode)) {
        throw new ApiException(400, "malformed_json", "the request body must be a JSON object, not "
            + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
      }
      return new JsonBody((ObjectNode) node);
    } finally {
      Arrays.fill(bytes, (byte) 0); // may hold a password
    }
  }

  private static boolean isBlank(byte[] bytes) {
    for (byte b : bytes) {
      if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
        return false;
      }
    }
    return true;
  }

  private static ApiException tooLarge(int maxBytes) {
    return new ApiException(413, "body_too_large", "the request body is larger than " + maxBytes + " bytes");
  }

  /** The string field {@code name}, at most {@code maxChars} long. */
  String string(String name, int maxChars) {
    JsonNode v = object.get(name);
    if (v == null || v.isNull()) {
      throw new ApiException(400, "missing_field", name, "field '" + name + "' is required (a string)");
    }
    if (!v.isTextual()) {
      throw ApiException.badField(name, "field '" + name + "' must be a string, not "
          + v.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
    }
    String s = v.textValue();
    if (s.length() > maxChars) {
      throw ApiException.badField(name, "field '" + name + "' is longer than " + maxChars + " characters");
    }
    return s;
  }

  /** The string field {@code name} if present and not null. */
  String optionalString(String name, int maxChars) {
    JsonNode v = object.get(name);
    return v == null || v.isNull() ? null : string(name, maxChars);
  }

  /** The boolean field {@code name}, or {@code absent} if it is missing or null. */
  boolean optionalBoolean(String name, boolean absent) {
    JsonNode v = object.get(name);
    if (v == null || v.isNull()) {
      return absent;
    }
    if (!v.isBoolean()) {
      throw ApiException.badField(name, "field '" + name + "' must be true or false, not "
          + v.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
    }
    return v.booleanValue();
  }
}
