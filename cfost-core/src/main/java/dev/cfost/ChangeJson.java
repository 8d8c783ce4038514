package dev.cfost;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

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
    g.writeFieldName("pk");
    writeHex(g, c.pk());
    g.writeStringField("cid", c.cid());
    g.writeFieldName("val");
    writeValue(g, c.val(), jsSafe);
    writeInteger(g, "col_version", c.colVersion(), jsSafe);
    writeInteger(g, "db_version", c.dbVersion(), jsSafe);
    g.writeFieldName("site_id");
    writeHex(g, c.siteId());
    writeInteger(g, "cl", c.cl(), jsSafe);
    writeInteger(g, "seq", c.seq(), jsSafe);
    g.writeEndObject();
  }

  /**
   * Writes hex from a scratch buffer of the thread's, not from a String made for it: a key and a site id
   * for every change of a batch. A blob longer than {@link #MAX_SCRATCH} characters gets its own buffer.
   */
  private static void writeHex(JsonGenerator g, byte[] bytes) throws IOException {
    if (bytes == null) {
      g.writeString(Values.hex(null));
      return;
    }
    int n = bytes.length * 2;
    char[] scratch = HEX_SCRATCH.get();
    if (scratch.length < n) {
      scratch = new char[n];
      if (n <= MAX_SCRATCH) {
        HEX_SCRATCH.set(scratch);
      }
    }
    Values.hex(bytes, scratch);
    g.writeString(scratch, 0, n); // copied out before it returns
  }

  private static final int MAX_SCRATCH = 4096;
  private static final ThreadLocal<char[]> HEX_SCRATCH = ThreadLocal.withInitial(() -> new char[128]);

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
      g.writeFieldName("blob");
      writeHex(g, (byte[]) v);
      g.writeEndObject();
    } else {
      throw new IllegalArgumentException("not a SQLite value: " + v.getClass().getName());
    }
  }

  /**
   * Parses one line. Only the first JSON value of the line is read, as a tree reader would.
   *
   * @param index the line's position, for the error message
   * @throws InvalidChangeException naming the field that is missing or malformed
   */
  public static Change read(String line, int index) {
    try (JsonParser p = FACTORY.createParser(line)) {
      return read(p, index);
    } catch (JsonProcessingException e) {
      throw new InvalidChangeException(index, "not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a String does not fail to read
    }
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
    // One reader for both forms: a tree is read as the stream of its tokens, so the rules cannot drift apart.
    try (JsonParser p = n.traverse(MAPPER)) {
      return read(p, index);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a tree does not fail to read
    }
  }

  /**
   * Reads one change object token by token, without building a tree of it, by the rules of
   * {@link #read(JsonNode, int)}: fields in any order, unknown fields skipped, of a repeated field the last.
   * The parser stands on the object's first token (or before it, if it has none yet) and is left on its end.
   *
   * @throws InvalidChangeException naming the field that is missing or malformed, after the whole object
   *     has been read (a tree reader, too, sees a syntax error anywhere in it first)
   * @throws IOException if the parser fails: not JSON, or beyond its read constraints
   */
  public static Change read(JsonParser p, int index) throws IOException {
    JsonToken t = p.hasCurrentToken() ? p.currentToken() : p.nextToken();
    if (t != JsonToken.START_OBJECT) {
      throw new InvalidChangeException(index, "expected a JSON object");
    }
    // Each field's value as read (see Fields); checked in a fixed order once the object is complete, so that
    // a change with several faults names the same one whatever the order of its fields.
    Object table = null;
    Object pk = null;
    Object cid = null;
    Object val = null;
    Object colVersion = null;
    Object dbVersion = null;
    Object siteId = null;
    Object cl = null;
    Object seq = null;
    for (t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String name = p.currentName();
      JsonToken v = p.nextToken();
      switch (name) {
        case "table" -> table = Fields.scalar(p, v);
        case "pk" -> pk = Fields.hex(p, v);
        case "cid" -> cid = Fields.scalar(p, v);
        case "val" -> val = Fields.value(p, v);
        case "col_version" -> colVersion = Fields.scalar(p, v);
        case "db_version" -> dbVersion = Fields.scalar(p, v);
        case "site_id" -> siteId = Fields.hex(p, v);
        case "cl" -> cl = Fields.scalar(p, v);
        case "seq" -> seq = Fields.scalar(p, v);
        default -> p.skipChildren();
      }
    }
    return new Change(
        Fields.text(table, "table", index),
        Fields.hex(pk, "pk", index),
        Fields.text(cid, "cid", index),
        Fields.value(val, index),
        Fields.integer(colVersion, "col_version", index),
        Fields.integer(dbVersion, "db_version", index),
        Fields.hex(siteId, "site_id", index),
        Fields.integer(cl, "cl", index),
        Fields.integer(seq, "seq", index));
  }

  /**
   * The checks of a change's fields, on each field's value as read: a {@link String}, a {@link Long} (an
   * integer that fits 64 bits), for a hex field its bytes, for {@code val} also a {@link Double} or a
   * {@link Wrapped} object, else the value's {@link JsonNode} (null, a boolean, a larger integer, a container
   * where none belongs). Only those rare values become (small) trees, so that a message shows them as the
   * tree reader always has.
   */
  private static final class Fields {
    private Fields() {}

    static Object scalar(JsonParser p, JsonToken v) throws IOException {
      if (v == JsonToken.VALUE_STRING) {
        return p.getText();
      }
      if (v == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
        return p.getLongValue();
      }
      return MAPPER.readTree(p);
    }

    /** A hex field: its bytes, decoded in the parser's buffer; the string only if it is not hex, for the message. */
    static Object hex(JsonParser p, JsonToken v) throws IOException {
      if (v == JsonToken.VALUE_STRING) {
        int from = p.getTextOffset();
        byte[] bytes = Values.unhexOrNull(p.getTextCharacters(), from, from + p.getTextLength());
        return bytes != null ? bytes : p.getText();
      }
      return scalar(p, v);
    }

    static Object value(JsonParser p, JsonToken v) throws IOException {
      return switch (v) {
        case VALUE_NULL -> NullNode.getInstance();
        case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
        case START_OBJECT -> Wrapped.read(p);
        default -> scalar(p, v);
      };
    }

    static String text(Object f, String name, int index) {
      if (f instanceof String s) {
        return s;
      }
      throw new InvalidChangeException(index, "field '" + name + "' must be a string, not "
          + (present(f, name, index) instanceof JsonNode n ? n.getNodeType() : JsonNodeType.NUMBER));
    }

    private static Object present(Object f, String name, int index) {
      if (f == null) {
        throw new InvalidChangeException(index, "field '" + name + "' is missing");
      }
      return f;
    }

    static byte[] hex(Object f, String name, int index) {
      if (f instanceof byte[] b) {
        return b;
      }
      String s = text(f, name, index);
      try {
        return Values.unhex(s);
      } catch (IllegalArgumentException e) {
        throw new InvalidChangeException(index, "field '" + name + "' is not hex: '" + abbreviate(s) + "'");
      }
    }

    static long integer(Object f, String name, int index) {
      if (f instanceof Long l) {
        return l;
      } else if (f instanceof String s) {
        return decimal(s, "field '" + name + "'", index);
      }
      JsonNode n = (JsonNode) present(f, name, index);
      if (!n.isIntegralNumber()) {
        throw new InvalidChangeException(index, "field '" + name + "' must be an integer, not " + n);
      }
      if (!n.canConvertToLong()) {
        throw new InvalidChangeException(index, "field '" + name + "' is outside the 64-bit range: " + n);
      }
      return n.longValue();
    }

    static Object value(Object f, int index) {
      if (f == null) {
        throw new InvalidChangeException(index, "field 'val' is missing (use null for NULL)");
      }
      if (f instanceof String || f instanceof Long || f instanceof Double) {
        return f;
      }
      if (f instanceof Wrapped w) {
        return w.value(index);
      }
      JsonNode v = (JsonNode) f;
      if (v.isNull()) {
        return null;
      } else if (v.isIntegralNumber()) {
        if (!v.canConvertToLong()) {
          throw new InvalidChangeException(index, "field 'val' is outside the 64-bit integer range: " + v);
        }
        return v.longValue();
      }
      throw notAValue(abbreviate(v.toString()), index);
    }

    static InvalidChangeException notAValue(String what, int index) {
      return new InvalidChangeException(index,
          "field 'val' must be null, a number, a string or {\"blob\":\"<hex>\"}, not " + what);
    }

    static long decimal(String s, String what, int index) {
      try {
        return Long.parseLong(s);
      } catch (NumberFormatException e) {
        throw new InvalidChangeException(index, what + " is not a 64-bit integer: '" + abbreviate(s) + "'");
      }
    }

    static String abbreviate(String s) {
      return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
  }

  /**
   * An object as {@code val}: {@code {"blob":"<hex>"}}, {@code {"int":"<decimal>"}} or {@code {"real":"Infinity"}}.
   * Of its fields only what the checks ask is kept: the first name, whether another name follows, and the
   * first name's last value if it is a string (as a tree keeps a repeated name once, with its last value).
   */
  private record Wrapped(String name, boolean others, String text, String scalarText) {
    static Wrapped read(JsonParser p) throws IOException {
      String name = null;
      String text = null;
      String scalarText = null; // "real" took any scalar by asText(): a tree built in code may hold a DoubleNode
      boolean others = false;
      for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
        String n = p.currentName();
        JsonToken v = p.nextToken();
        if (name == null || name.equals(n)) {
          name = n;
          text = v == JsonToken.VALUE_STRING ? p.getText() : null;
          scalarText = v.isScalarValue() ? p.getText() : null;
        } else {
          others = true;
        }
        p.skipChildren();
      }
      return new Wrapped(name, others, text, scalarText);
    }

    Object value(int index) {
      if (name == null) {
        throw Fields.notAValue("{}", index);
      }
      if (!others && "real".equals(name) && scalarText != null) {
        if ("Infinity".equals(scalarText)) {
          return Double.POSITIVE_INFINITY;
        } else if ("-Infinity".equals(scalarText)) {
          return Double.NEGATIVE_INFINITY;
        }
      }
      if (!others && text != null) {
        switch (name) {
          case "blob" -> {
            try {
              return Values.unhex(text);
            } catch (IllegalArgumentException e) {
              throw new InvalidChangeException(index, "field 'val.blob' is not hex");
            }
          }
          case "int" -> {
            return Fields.decimal(text, "field 'val.int'", index);
          }
          case "real" -> {
            if ("Infinity".equals(text)) {
              return Double.POSITIVE_INFINITY;
            } else if ("-Infinity".equals(text)) {
              return Double.NEGATIVE_INFINITY;
            }
          }
          default -> { }
        }
      }
      throw Fields.notAValue("an object with '" + name + "'", index);
    }
  }
}
