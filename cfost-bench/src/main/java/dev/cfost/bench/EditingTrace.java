package dev.cfost.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * A sequential editing trace of the editing-traces collection (Joseph Gentle, CC BY 4.0): keystroke
 * patches {@code [pos, deleted, inserted]} from {@code startContent} to {@code endContent}, positions in
 * Unicode code points. Each keystroke becomes one RFC 6902 patch on the document {@code {"t": [...]}},
 * the text as an array of one-character strings: an insertion is an {@code add} at an index and a
 * deletion a {@code remove} at one, so a revision costs its keystroke, not the text's length.
 */
final class EditingTrace {
  final String startContent;
  final String endContent;
  final int[] pos;
  final int[] deleted;
  final String[] inserted;

  private EditingTrace(String startContent, String endContent, int[] pos, int[] deleted, String[] inserted) {
    this.startContent = startContent;
    this.endContent = endContent;
    this.pos = pos;
    this.deleted = deleted;
    this.inserted = inserted;
  }

  static EditingTrace load(Path file) throws IOException {
    JsonNode root;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
      root = new ObjectMapper().readTree(in);
    }
    int n = 0;
    for (JsonNode txn : root.get("txns")) {
      n += txn.get("patches").size();
    }
    int[] pos = new int[n];
    int[] deleted = new int[n];
    String[] inserted = new String[n];
    int i = 0;
    for (JsonNode txn : root.get("txns")) {
      for (JsonNode p : txn.get("patches")) {
        pos[i] = p.get(0).asInt();
        deleted[i] = p.get(1).asInt();
        inserted[i] = p.get(2).asText();
        i++;
      }
    }
    return new EditingTrace(root.get("startContent").asText(), root.get("endContent").asText(), pos, deleted,
        inserted);
  }

  int size() {
    return pos.length;
  }

  /** The document before the first keystroke, made by {@code nodes}. */
  ObjectNode startDocument(JsonNodeFactory nodes) {
    ObjectNode doc = nodes.objectNode();
    ArrayNode t = doc.putArray("t");
    startContent.codePoints().forEach(c -> t.add(new String(Character.toChars(c))));
    return doc;
  }

  /** Keystroke {@code k} as an RFC 6902 patch on the document: removals, then insertions, at {@code /t/pos}. */
  ArrayNode patch(int k) {
    ArrayNode ops = JsonNodeFactory.instance.arrayNode();
    String at = "/t/" + pos[k];
    for (int d = 0; d < deleted[k]; d++) {
      ops.addObject().put("op", "remove").put("path", at);
    }
    int[] chars = inserted[k].codePoints().toArray();
    for (int c = 0; c < chars.length; c++) {
      ops.addObject().put("op", "add").put("path", "/t/" + (pos[k] + c)).put("value", new String(Character.toChars(chars[c])));
    }
    return ops;
  }

  /** The text a document of this model holds. */
  static String text(JsonNode doc) {
    StringBuilder out = new StringBuilder();
    for (JsonNode c : doc.get("t")) {
      out.append(c.textValue());
    }
    return out.toString();
  }

  /**
   * Bytes of the document's compact JSON for a text of {@code count} characters whose JSON strings
   * (quotes included) total {@code elementBytes}: {@code {"t":[a,b]}}.
   */
  static long jsonBytes(long count, long elementBytes) {
    return 8 + elementBytes + Math.max(0, count - 1);
  }

  /** UTF-8 bytes of one character as a JSON string, quotes included, escaped as Jackson writes it. */
  static int elementBytes(String ch) {
    int c = ch.codePointAt(0);
    int body = c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t' ? 2
        : c < 0x20 ? 6 : c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    return body + 2;
  }
}
