package dev.cfost.internal.documents;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Jackson in one place: parsing, writing, and JSON equality. */
public final class Json {
  /**
   * Arrays it reads are gap buffers ({@link GapList}), so that a document's array takes insertions and
   * removals next to the last one without moving its other elements; they behave as any JSON array.
   */
  public static final ObjectMapper MAPPER = new ObjectMapper().setNodeFactory(new GapArrays());

  /**
   * Makes arrays backed by a {@link GapList}, and gives every one-character ASCII string one shared node (a
   * text kept as an array of characters, as the editing benchmark's is, then takes a third of the memory,
   * and reading a checkpoint of one makes that much less garbage); everything else as Jackson's default
   * factory. Text nodes are immutable, so sharing them is safe.
   */
  private static final class GapArrays extends JsonNodeFactory {
    private static final long serialVersionUID = 1L;
    private static final TextNode[] ASCII = new TextNode[128];

    static {
      for (char c = 0; c < ASCII.length; c++) {
        ASCII[c] = new TextNode(String.valueOf(c));
      }
    }

    @Override
    public TextNode textNode(String text) {
      return text != null && text.length() == 1 && text.charAt(0) < ASCII.length ? ASCII[text.charAt(0)]
          : super.textNode(text);
    }

    @Override
    public ArrayNode arrayNode() {
      return new ArrayNode(this, new GapList<>(8));
    }

    @Override
    public ArrayNode arrayNode(int capacity) {
      return new ArrayNode(this, new GapList<>(capacity));
    }
  }

  private Json() {}

  /**
   * Parses JSON text.
   *
   * @throws IllegalArgumentException naming {@code what} if the text is not JSON
   */
  public static JsonNode parse(String text, String what) {
    try {
      JsonNode node = MAPPER.readTree(text);
      if (node == null || node.isMissingNode()) {
        throw new IllegalArgumentException(what + " is empty: JSON expected");
      }
      String outOfRange = nonFinite(node);
      if (outOfRange != null) {
        throw new IllegalArgumentException(what + " has a number out of range at '" + outOfRange + "'");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(what + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * The JSON pointer of the first number that is not finite (1e400 reads as an infinite double; JSON
   * has no such number, and it has no exact value to compare), or null if there is none.
   */
  public static String nonFinite(JsonNode node) {
    if (node.isFloatingPointNumber() && !node.isBigDecimal() && !Double.isFinite(node.doubleValue())) {
      return "";
    }
    if (node.isContainerNode()) {
      int i = 0;
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String at = nonFinite(e.getValue());
        if (at != null) {
          return "/" + Pointer.escape(e.getKey()) + at;
        }
      }
      for (JsonNode element : node.isArray() ? node : List.<JsonNode>of()) {
        String at = nonFinite(element);
        if (at != null) {
          return "/" + i + at;
        }
        i++;
      }
    }
    return null;
  }

  /**
   * A deep copy whose arrays are gap buffers, whatever made {@code node} (a caller's content may come
   * from any mapper, and Jackson's own deep copy keeps the factory that made it).
   */
  static JsonNode copy(JsonNode node) {
    JsonNodeFactory factory = MAPPER.getNodeFactory();
    if (node.isArray()) {
      ArrayNode out = factory.arrayNode(node.size());
      for (JsonNode element : node) {
        out.add(copy(element));
      }
      return out;
    }
    if (node.isObject()) {
      com.fasterxml.jackson.databind.node.ObjectNode out = factory.objectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        out.set(e.getKey(), copy(e.getValue()));
      }
      return out;
    }
    return node.deepCopy(); // a value node: immutable, or a POJO node copied as Jackson does
  }

  public static String write(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * JSON equality (RFC 6902's test): numbers by value (1 equals 1.0), objects regardless of member
   * order, arrays element by element.
   */
  public static boolean same(JsonNode a, JsonNode b) {
    if (a.isNumber() && b.isNumber()) {
      if (nonFinite(a) != null || nonFinite(b) != null) { // no decimal value: compared as doubles
        return a.doubleValue() == b.doubleValue();
      }
      return a.decimalValue().compareTo(b.decimalValue()) == 0;
    }
    if (a.getNodeType() != b.getNodeType()) {
      return false;
    }
    if (a.isArray()) {
      if (a.size() != b.size()) {
        return false;
      }
      for (int i = 0; i < a.size(); i++) {
        if (!same(a.get(i), b.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (a.isObject()) {
      if (a.size() != b.size()) {
        return false;
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode other = b.get(e.getKey());
        if (other == null || !same(e.getValue(), other)) {
          return false;
        }
      }
      return true;
    }
    return a.equals(b);
  }
}
