package dev.cfost;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Iterator;

/**
 * The oracle of {@link ChangeJsonReaderProperties}: {@link ChangeJson}'s reader as it was before it read
 * token by token, a whole tree first, kept word for word so that the streaming reader is held to its rules
 * and messages. Not to be changed with the reader: a difference is a finding.
 */
final class TreeChangeReader {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private TreeChangeReader() {}

  static Change read(String line, int index) {
    JsonNode n;
    try {
      n = MAPPER.readTree(line);
    } catch (JsonProcessingException e) {
      throw new InvalidChangeException(index, "not valid JSON: " + e.getOriginalMessage());
    }
    return read(n, index);
  }

  static Change read(JsonNode n, int index) {
    if (n == null || !n.isObject()) {
      throw new InvalidChangeException(index, "expected a JSON object");
    }
    return new Change(
        text(n, "table", index),
        hex(n, "pk", index),
        text(n, "cid", index),
        value(n.get("val"), index),
        integer(n, "col_version", index),
        integer(n, "db_version", index),
        hex(n, "site_id", index),
        integer(n, "cl", index),
        integer(n, "seq", index));
  }

  private static JsonNode field(JsonNode n, String name, int index) {
    JsonNode f = n.get(name);
    if (f == null) {
      throw new InvalidChangeException(index, "field '" + name + "' is missing");
    }
    return f;
  }

  private static String text(JsonNode n, String name, int index) {
    JsonNode f = field(n, name, index);
    if (!f.isTextual()) {
      throw new InvalidChangeException(index, "field '" + name + "' must be a string, not " + f.getNodeType());
    }
    return f.textValue();
  }

  private static byte[] hex(JsonNode n, String name, int index) {
    String s = text(n, name, index);
    try {
      return Values.unhex(s);
    } catch (IllegalArgumentException e) {
      throw new InvalidChangeException(index, "field '" + name + "' is not hex: '" + abbreviate(s) + "'");
    }
  }

  private static long integer(JsonNode n, String name, int index) {
    JsonNode f = field(n, name, index);
    if (f.isTextual()) {
      return decimal(f.textValue(), "field '" + name + "'", index);
    }
    if (!f.isIntegralNumber()) {
      throw new InvalidChangeException(index, "field '" + name + "' must be an integer, not " + f);
    }
    if (!f.canConvertToLong()) {
      throw new InvalidChangeException(index, "field '" + name + "' is outside the 64-bit range: " + f);
    }
    return f.longValue();
  }

  private static Object value(JsonNode v, int index) {
    if (v == null) {
      throw new InvalidChangeException(index, "field 'val' is missing (use null for NULL)");
    }
    if (v.isNull()) {
      return null;
    } else if (v.isIntegralNumber()) {
      if (!v.canConvertToLong()) {
        throw new InvalidChangeException(index, "field 'val' is outside the 64-bit integer range: " + v);
      }
      return v.longValue();
    } else if (v.isFloatingPointNumber()) {
      return v.doubleValue();
    } else if (v.isTextual()) {
      return v.textValue();
    } else if (v.isObject() && v.size() == 1 && v.has("blob") && v.get("blob").isTextual()) {
      try {
        return Values.unhex(v.get("blob").textValue());
      } catch (IllegalArgumentException e) {
        throw new InvalidChangeException(index, "field 'val.blob' is not hex");
      }
    } else if (v.isObject() && v.size() == 1 && v.has("int") && v.get("int").isTextual()) {
      return decimal(v.get("int").textValue(), "field 'val.int'", index);
    } else if (v.isObject() && v.size() == 1 && v.has("real")) {
      String r = v.get("real").asText();
      if ("Infinity".equals(r)) {
        return Double.POSITIVE_INFINITY;
      } else if ("-Infinity".equals(r)) {
        return Double.NEGATIVE_INFINITY;
      }
    }
    Iterator<String> names = v.fieldNames();
    throw new InvalidChangeException(index, "field 'val' must be null, a number, a string or {\"blob\":\"<hex>\"}, not "
        + (names.hasNext() ? "an object with '" + names.next() + "'" : abbreviate(v.toString())));
  }

  private static long decimal(String s, String what, int index) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new InvalidChangeException(index, what + " is not a 64-bit integer: '" + abbreviate(s) + "'");
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }
}
