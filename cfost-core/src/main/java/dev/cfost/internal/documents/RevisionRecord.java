package dev.cfost.internal.documents;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * One revision. Stored alone (format 1) in the replicated {@code document_revisions} table, its row's
 * one {@code body} cell is a compact JSON array
 * {@code [1, doc, hlc, site, user, kind, action, title, forward, reverse, target]}, and its row key is
 * {@link #id()}; several written by one call are stored as one row, a {@link RevisionRun}. One cell per
 * row, so that a revision always arrives whole: a row's cells may travel in different batches.
 *
 * <p>{@code forward} is the created content (create), or the patch (patch); {@code reverse} is the patch's
 * inverse as the author applied it, or the whole content (delete); both null otherwise. Patches are kept
 * as arrays of {@code [code, path, value or from]} with one-character codes (see {@link #CODES}), about
 * half the size of RFC 6902's objects.
 */
record RevisionRecord(String doc, long hlc, byte[] site, String user, Kind kind, Action action,
    String title, JsonNode content, JsonPatch forward, JsonPatch reverse, long target) {

  /** What the author did. */
  enum Kind {
    CREATE("c"), UPDATE("u"), DELETE("d"), RESTORE("r"), UNDO("U"), REDO("R");

    final String code;

    Kind(String code) {
      this.code = code;
    }
  }

  /** What the revision does to the document; an undo or a redo does one of these too. */
  enum Action {
    CREATE("c"), PATCH("p"), DELETE("d"), RESTORE("r");

    final String code;

    Action(String code) {
      this.code = code;
    }
  }

  private static final int FORMAT = 1;
  /** add, remove, replace, move, copy, test. */
  private static final String CODES = "+-=>&?";

  /** The row key: 63 bits of SHA-256 over site and clock, so devices never pick the same key. */
  long id() {
    return key(site, hlc);
  }

  static long key(byte[] site, long hlc) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(site);
      md.update(ByteBuffer.allocate(8).putLong(hlc).array());
      return ByteBuffer.wrap(md.digest()).getLong() & Long.MAX_VALUE;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Orders revisions as they are folded: by hybrid clock, then by site id (unsigned bytes). */
  static int compare(long hlcA, byte[] siteA, long hlcB, byte[] siteB) {
    int c = Long.compare(hlcA, hlcB);
    return c != 0 ? c : java.util.Arrays.compareUnsigned(siteA, siteB);
  }

  /** The format-1 body: this revision alone, as JSON text. */
  String encode() {
    ArrayNode a = JsonNodeFactory.instance.arrayNode(11);
    a.add(FORMAT).add(doc).add(hlc).add(site64(site)).add(user);
    addFields(a);
    return Json.write(a);
  }

  static String site64(byte[] site) {
    return Base64.getEncoder().withoutPadding().encodeToString(site);
  }

  /** Appends what is this revision's own: kind, action, title, forward, reverse, target (6 fields). */
  void addFields(ArrayNode a) {
    a.add(kind.code).add(action.code);
    if (title == null) {
      a.addNull();
    } else {
      a.add(title);
    }
    a.add(action == Action.CREATE ? content : forward == null ? NullNode.instance : compact(forward));
    a.add(action == Action.DELETE ? content : reverse == null ? NullNode.instance : compact(reverse));
    a.add(target);
  }

  /**
   * Reads a stored body.
   *
   * @throws IllegalArgumentException saying what is malformed
   */
  static RevisionRecord decode(String text) {
    JsonNode a = Json.parse(text, "revision");
    if (!a.isArray() || a.size() != 11 || a.get(0).asInt() != FORMAT) {
      throw new IllegalArgumentException("revision is not an array of 11 fields of format " + FORMAT);
    }
    String doc = textField(a, 1, "document id");
    if (!a.get(2).canConvertToLong() || a.get(2).asLong() < 0) {
      throw new IllegalArgumentException("revision of " + doc + " has no clock");
    }
    return decodeFields(a, 5, doc, a.get(2).asLong(), site(a, 3, doc), textField(a, 4, "user"));
  }

  /** The site at {@code a[i]}: 16 bytes in base64. */
  static byte[] site(JsonNode a, int i, String doc) {
    byte[] site;
    try {
      site = Base64.getDecoder().decode(textField(a, i, "site"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("revision of " + doc + " has a site that is not base64");
    }
    if (site.length != 16) {
      throw new IllegalArgumentException("revision of " + doc + " has a site of " + site.length + " bytes, not 16");
    }
    return site;
  }

  /** A revision from the six fields {@link #addFields} wrote, from {@code a[from]} on. */
  static RevisionRecord decodeFields(JsonNode a, int from, String doc, long hlc, byte[] site, String user) {
    Kind kind = byCode(Kind.values(), textField(a, from, "kind"), k -> k.code);
    Action action = byCode(Action.values(), textField(a, from + 1, "action"), k -> k.code);
    if (kind == null || action == null) {
      throw new IllegalArgumentException("revision of " + doc + " has an unknown kind or action");
    }
    JsonNode title = a.get(from + 2);
    JsonNode forward = a.get(from + 3);
    JsonNode reverse = a.get(from + 4);
    JsonNode content = action == Action.CREATE ? forward : action == Action.DELETE ? reverse : null;
    return new RevisionRecord(doc, hlc, site, user, kind, action, title.isTextual() ? title.textValue() : null,
        content, action == Action.PATCH ? expand(forward) : null, action == Action.PATCH ? expand(reverse) : null,
        a.get(from + 5).asLong());
  }

  static String textField(JsonNode a, int i, String what) {
    if (!a.get(i).isTextual()) {
      throw new IllegalArgumentException("revision has no " + what);
    }
    return a.get(i).textValue();
  }

  private static <T> T byCode(T[] values, String code, java.util.function.Function<T, String> codeOf) {
    for (T v : values) {
      if (codeOf.apply(v).equals(code)) {
        return v;
      }
    }
    return null;
  }

  static ArrayNode compact(JsonPatch patch) {
    ArrayNode out = JsonNodeFactory.instance.arrayNode(patch.ops().size());
    for (JsonPatch.Op op : patch.ops()) {
      ArrayNode o = out.addArray();
      o.add(String.valueOf(CODES.charAt(op.kind().ordinal()))).add(op.path().text());
      if (op.from() != null) {
        o.add(op.from().text());
      } else if (op.value() != null) {
        o.add(op.value());
      }
    }
    return out;
  }

  static JsonPatch expand(JsonNode compact) {
    if (compact == null || compact.isNull()) {
      return JsonPatch.EMPTY;
    }
    if (!compact.isArray()) {
      throw new IllegalArgumentException("a stored patch is not an array");
    }
    List<JsonPatch.Op> ops = new ArrayList<>(compact.size());
    for (JsonNode o : compact) {
      int code = o.isArray() && o.size() >= 2 && o.get(0).isTextual() && o.get(0).textValue().length() == 1
          ? CODES.indexOf(o.get(0).textValue().charAt(0)) : -1;
      if (code < 0 || !o.get(1).isTextual()) {
        throw new IllegalArgumentException("a stored patch operation is malformed: " + o);
      }
      JsonPatch.Kind kind = JsonPatch.Kind.values()[code];
      boolean hasFrom = kind == JsonPatch.Kind.MOVE || kind == JsonPatch.Kind.COPY;
      boolean hasValue = kind != JsonPatch.Kind.REMOVE && !hasFrom;
      if ((hasFrom || hasValue) && (o.size() != 3 || (hasFrom && !o.get(2).isTextual()))) {
        throw new IllegalArgumentException("a stored patch operation is malformed: " + o);
      }
      try {
        ops.add(new JsonPatch.Op(kind, Pointer.parse(o.get(1).textValue()),
            hasFrom ? Pointer.parse(o.get(2).textValue()) : null, hasValue ? o.get(2) : null));
      } catch (PatchException e) {
        throw new IllegalArgumentException("a stored patch operation is malformed: " + e.getMessage());
      }
    }
    return new JsonPatch(ops);
  }
}
