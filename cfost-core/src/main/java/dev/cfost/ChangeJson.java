package dev.cfost;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Iterator;

/**
 * The JSON form of a {@link Change}, one object per line in CFOST's JSON Lines bundles:
 * {@code {"table","pk","cid","val","col_version","db_version","site_id","cl","seq"}}.
 *
 * <p>{@code pk} and {@code site_id} are lowercase hex. {@code val} is JSON null, a number or a string;
 * a blob is {@code {"blob":"<hex>"}}. Integers are written exactly (64-bit, also above 2^53: a JavaScript
 * reader needs a lossless parser); reals always carry a decimal point or an exponent, so that an integer
 * and a real of the same value keep their SQLite types. Infinite reals, which JSON cannot spell, are
 * {@code {"real":"Infinity"}} or {@code {"real":"-Infinity"}}.
 *
 * <p>Thread-safe.
 */
public final class ChangeJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonFactory FACTORY = MAPPER.getFactory();

  private ChangeJson() {}

  /** Largest integer a JavaScript number holds exactly. */
  private static final long JS_SAFE = (1L << 53) - 1;

  /** One line of JSON, without the newline, with exact integers. */
  public static String write(Change c) {
    StringWriter out = new StringWriter(160);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      write(g, c, false);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * Writes one change object. With {@code jsSafe}, an integer that a JavaScript number cannot hold
   * exactly (beyond +-(2^53 - 1)) is written as a decimal string, and such a value as
   * {@code {"int":"<decimal>"}}; {@link #read} accepts both forms.
   */
  public static void write(JsonGenerator g, Change c, boolean jsSafe) throws IOException {
    g.writeStartObject();
    g.writeStringField("table", c.table());
    g.writeStringField("pk", Values.hex(c.pk()));
    g.writeStringField("cid", c.cid());
    g.writeFieldName("val");
    writeValue(g, c.val(), jsSafe);
    writeInteger(g, "col_version", c.colVersion(), jsSafe);
    writeInteger(g, "db_version", c.dbVersion(), jsSafe);
    g.writeStringField("site_id", Values.hex(c.siteId()));
    writeInteger(g, "cl", c.cl(), jsSafe);
    writeInteger(g, "seq", c.seq(), jsSafe);
    g.writeEndObject();
  }

  private static void writeInteger(JsonGenerator g, String name, long v, boolean jsSafe) throws IOException {
    if (jsSafe && Math.abs(v) > JS_SAFE) {
      g.writeStringField(name, Long.toString(v));
    } else {
      g.writeNumberField(name, v);
    }
  }

  private static void writeValue(JsonGenerator g, Object v, boolean jsSafe) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof Long) {
      long x = (Long) v;
      if (jsSafe && Math.abs(x) > JS_SAFE) {
        g.writeStartObject();
        g.writeStringField("int", Long.toString(x));
        g.writeEndObject();
      } else {
        g.writeNumber(x);
      }
    } else if (v instanceof Double) {
      double d = (Double) v;
      if (Double.isInfinite(d)) {
        g.writeStartObject();
        g.writeStringField("real", d > 0 ? "Infinity" : "-Infinity");
        g.writeEndObject();
      } else {
        g.writeNumber(d); // Double.toString: always a '.' or an 'E'
      }
    } else if (v instanceof String) {
      g.writeString((String) v);
    } else if (v instanceof byte[]) {
      g.writeStartObject();
      g.writeStringField("blob", Values.hex((byte[]) v));
      g.writeEndObject();
    } else {
      throw new IllegalArgumentException("not a SQLite value: " + v.getClass().getName());
    }
  }

  /**
   * Parses one line.
   *
   * @param index the line's position, for the error message
   * @throws InvalidChangeException naming the field that is missing or malformed
   */
  public static Change read(String line, int index) {
    JsonNode n;
    try {
      n = MAPPER.readTree(line);
    } catch (JsonProcessingException e) {
      throw new InvalidChangeException(index, "not valid JSON: " + e.getOriginalMessage());
    }
    return read(n, index);
  }

  /**
   * Reads one change object, in either integer style of {@link #write(JsonGenerator, Change, boolean)}.
   *
   * @throws InvalidChangeException naming the field that is missing or malformed
   */
  public static Change read(JsonNode n, int index) {
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
