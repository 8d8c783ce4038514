package dev.cfost.internal.documents;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cfost.DocumentException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An RFC 6902 JSON patch, applied in place with its exact inverse recorded as it goes.
 *
 * <p>Why not apply with a library: json-patch copies the whole document for every operation, which
 * makes a keystroke on a large document cost its size. Applying in place and undoing the operations
 * already done when a later one fails keeps a patch atomic at the cost of the change alone. The
 * conformance suite (RFC 6902's and json-patch-tests) runs through this class, and a property test
 * compares it with java-json-tools json-patch on random patches.
 */
public record JsonPatch(List<Op> ops) {
  /** The six operations. */
  public enum Kind {
    ADD("add"), REMOVE("remove"), REPLACE("replace"), MOVE("move"), COPY("copy"), TEST("test");

    final String name;

    Kind(String name) {
      this.name = name;
    }

    static Kind named(String name) {
      for (Kind k : values()) {
        if (k.name.equals(name)) {
          return k;
        }
      }
      return null;
    }
  }

  /** One operation; {@code from} only for move and copy, {@code value} only for add, replace and test. */
  public record Op(Kind kind, Pointer path, Pointer from, JsonNode value) {}

  /** A patch applied: the document it made (a new root only if the root was replaced) and its inverse. */
  public record Applied(JsonNode root, JsonPatch reverse) {}

  public static final JsonPatch EMPTY = new JsonPatch(List.of());

  public JsonPatch {
    ops = List.copyOf(ops);
  }

  public boolean isEmpty() {
    return ops.isEmpty();
  }

  /**
   * The patches of an {@code updateEach} of document {@code doc}, parsed; the first one that is malformed
   * or holds a number out of range is refused as INVALID, named by its place (from 0), as is none at all.
   */
  public static List<JsonPatch> parseEach(String doc, List<JsonNode> patches) {
    if (patches == null || patches.isEmpty()) {
      throw new DocumentException(DocumentException.Reason.INVALID, "no patches for document " + doc);
    }
    List<JsonPatch> parsed = new ArrayList<>(patches.size());
    for (int i = 0; i < patches.size(); i++) {
      JsonNode patch = patches.get(i);
      String at = patch == null ? null : Json.nonFinite(patch);
      if (at != null) {
        throw new DocumentException(DocumentException.Reason.INVALID, "patch " + i + " for document " + doc
            + " has a number out of range at '" + at + "'");
      }
      try {
        parsed.add(parse(patch));
      } catch (PatchException e) {
        throw new DocumentException(DocumentException.Reason.INVALID, "patch " + i + " for document " + doc
            + " is malformed: " + e.getMessage());
      }
    }
    return parsed;
  }

  /**
   * Reads a patch from its RFC 6902 JSON form.
   *
   * @throws PatchException naming the operation and what is wrong with it
   */
  public static JsonPatch parse(JsonNode json) {
    if (json == null || !json.isArray()) {
      throw new PatchException("a JSON patch must be an array of operations");
    }
    List<Op> ops = new ArrayList<>(json.size());
    for (int i = 0; i < json.size(); i++) {
      JsonNode o = json.get(i);
      String where = "operation " + i;
      if (!o.isObject()) {
        throw new PatchException(where + " is not an object");
      }
      JsonNode name = o.get("op");
      Kind kind = name != null && name.isTextual() ? Kind.named(name.textValue()) : null;
      if (kind == null) {
        throw new PatchException(where + ": 'op' must be one of add, remove, replace, move, copy, test; got "
            + name);
      }
      Pointer path = pointer(o, "path", where);
      Pointer from = kind == Kind.MOVE || kind == Kind.COPY ? pointer(o, "from", where) : null;
      JsonNode value = null;
      if (kind == Kind.ADD || kind == Kind.REPLACE || kind == Kind.TEST) {
        value = o.get("value");
        if (value == null) {
          throw new PatchException(where + " (" + kind.name + " " + path + ") has no 'value'");
        }
      }
      ops.add(new Op(kind, path, from, value));
    }
    return new JsonPatch(ops);
  }

  private static Pointer pointer(JsonNode op, String field, String where) {
    JsonNode p = op.get(field);
    if (p == null || !p.isTextual()) {
      throw new PatchException(where + " has no '" + field + "' string");
    }
    try {
      return Pointer.parse(p.textValue());
    } catch (PatchException e) {
      throw new PatchException(where + ": " + e.getMessage());
    }
  }

  /** The RFC 6902 JSON form. */
  public ArrayNode toJson() {
    ArrayNode out = JsonNodeFactory.instance.arrayNode(ops.size());
    for (Op op : ops) {
      ObjectNode o = out.addObject();
      o.put("op", op.kind.name);
      if (op.from != null) {
        o.put("from", op.from.text());
      }
      o.put("path", op.path.text());
      if (op.value != null) {
        o.set("value", op.value);
      }
    }
    return out;
  }

  /**
   * Applies this patch to {@code root} in place: all operations or none.
   *
   * @throws PatchException naming the first operation that fails and why; {@code root} is then as it was
   */
  public Applied apply(JsonNode root) {
    List<Op> undo = new ArrayList<>();
    JsonNode current = root;
    for (int i = 0; i < ops.size(); i++) {
      Op op = ops.get(i);
      try {
        current = applyOne(current, op, undo);
      } catch (RuntimeException e) { // any failure, so that the document is never left half-patched
        for (int j = undo.size() - 1; j >= 0; j--) {
          current = applyOne(current, undo.get(j), null);
        }
        if (e instanceof PatchException) {
          throw new PatchException("operation " + i + " (" + op.kind.name + " " + op.path + "): " + e.getMessage());
        }
        throw e;
      }
    }
    Collections.reverse(undo);
    return new Applied(current, new JsonPatch(undo));
  }

  /**
   * Applies one operation, recording its inverse in {@code undo}; with {@code undo} null it is a rollback,
   * whose values are the document's own nodes and are put back as they are, not copied (a copy of a
   * replaced root would leave the caller's root changed).
   */
  private static JsonNode applyOne(JsonNode root, Op op, List<Op> undo) {
    switch (op.kind) {
      case ADD:
        return add(root, op.path, undo == null ? op.value : Json.copy(op.value), undo);
      case REMOVE:
        return remove(root, op.path, undo, false);
      case REPLACE: {
        JsonNode old = get(root, op.path, "path");
        if (undo != null) {
          undo.add(new Op(Kind.REPLACE, op.path, null, old));
        }
        return set(root, op.path, undo == null ? op.value : Json.copy(op.value));
      }
      case MOVE: {
        if (op.from.equals(op.path)) {
          get(root, op.from, "from");
          return root;
        }
        if (op.from.isProperPrefixOf(op.path)) {
          throw new PatchException("cannot move " + op.from + " into its own child " + op.path);
        }
        JsonNode moved = get(root, op.from, "from");
        root = remove(root, op.from, undo, true);
        return add(root, op.path, moved, undo);
      }
      case COPY:
        return add(root, op.path, get(root, op.from, "from").deepCopy(), undo);
      case TEST: {
        JsonNode actual = get(root, op.path, "path");
        if (!Json.same(actual, op.value)) {
          throw new PatchException("test failed: the value at " + op.path + " is " + abbreviate(actual)
              + ", not " + abbreviate(op.value));
        }
        return root;
      }
      default:
        throw new AssertionError(op.kind);
    }
  }

  private static JsonNode add(JsonNode root, Pointer path, JsonNode value, List<Op> undo) {
    if (path.isRoot()) {
      if (undo != null) {
        undo.add(new Op(Kind.REPLACE, path, null, root));
      }
      return value;
    }
    JsonNode parent = get(root, path.parent(), "parent of path");
    String last = path.last();
    if (parent instanceof ObjectNode o) {
      JsonNode old = o.replace(last, value);
      if (undo != null) {
        undo.add(old == null ? new Op(Kind.REMOVE, path, null, null) : new Op(Kind.REPLACE, path, null, old));
      }
    } else if (parent instanceof ArrayNode a) {
      int i = "-".equals(last) ? a.size() : Pointer.index(last, a.size() + 1);
      if (i < 0) {
        throw new PatchException("'" + last + "' is not an index from 0 to " + a.size() + " of the array at "
            + path.parent());
      }
      a.insert(i, value);
      if (undo != null) {
        undo.add(new Op(Kind.REMOVE, path.withLast(i), null, null));
      }
    } else {
      throw new PatchException("the parent " + path.parent() + " is not an object or an array");
    }
    return root;
  }

  /** Removes the value at {@code path}; {@code copyForUndo} when it moves elsewhere and may change there. */
  private static JsonNode remove(JsonNode root, Pointer path, List<Op> undo, boolean copyForUndo) {
    if (path.isRoot()) {
      throw new PatchException("cannot remove the whole document");
    }
    JsonNode parent = get(root, path.parent(), "parent of path");
    String last = path.last();
    JsonNode old;
    Pointer at = path;
    if (parent instanceof ObjectNode o) {
      old = o.remove(last);
      if (old == null) {
        throw new PatchException("no member '" + last + "' at " + path.parent());
      }
    } else if (parent instanceof ArrayNode a) {
      int i = Pointer.index(last, a.size());
      if (i < 0) {
        throw new PatchException("'" + last + "' is not an index below " + a.size() + " of the array at "
            + path.parent());
      }
      old = a.remove(i);
      at = path.withLast(i);
    } else {
      throw new PatchException("the parent " + path.parent() + " is not an object or an array");
    }
    if (undo != null) {
      undo.add(new Op(Kind.ADD, at, null, copyForUndo ? old.deepCopy() : old));
    }
    return root;
  }

  private static JsonNode set(JsonNode root, Pointer path, JsonNode value) {
    if (path.isRoot()) {
      return value;
    }
    JsonNode parent = get(root, path.parent(), "parent of path");
    if (parent instanceof ObjectNode o) {
      o.set(path.last(), value);
    } else {
      ArrayNode a = (ArrayNode) parent;
      a.set(Pointer.index(path.last(), a.size()), value);
    }
    return root;
  }

  /** The value at {@code path}, which must exist. */
  static JsonNode get(JsonNode root, Pointer path, String what) {
    JsonNode node = root;
    for (String token : path.tokens()) {
      JsonNode next = null;
      if (node.isObject()) {
        next = node.get(token);
      } else if (node.isArray()) {
        int i = Pointer.index(token, node.size());
        next = i < 0 ? null : node.get(i);
      }
      if (next == null) {
        throw new PatchException(what + " " + path + " does not exist");
      }
      node = next;
    }
    return node;
  }

  /** The value at {@code path}, or null if it does not exist. */
  public static JsonNode find(JsonNode root, String pointer) {
    try {
      return get(root, Pointer.parse(pointer), "path");
    } catch (PatchException e) {
      return null;
    }
  }

  private static String abbreviate(JsonNode v) {
    String s = v.toString();
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }

  /** Every location the patch writes or removes (the {@code from} of a move included). */
  public List<String> touchedPaths() {
    List<String> out = new ArrayList<>();
    for (Op op : ops) {
      if (op.kind == Kind.MOVE) {
        out.add(op.from.text());
      }
      if (op.kind != Kind.TEST) {
        out.add(op.path.text());
      }
    }
    return out;
  }

  /** True if both patches are the same operations. */
  static boolean sameOps(JsonPatch a, JsonPatch b) {
    if (a.ops.size() != b.ops.size()) {
      return false;
    }
    for (int i = 0; i < a.ops.size(); i++) {
      Op x = a.ops.get(i);
      Op y = b.ops.get(i);
      if (x.kind != y.kind || !x.path.text().equals(y.path.text())
          || !(x.from == null ? y.from == null : y.from != null && x.from.text().equals(y.from.text()))
          || !(x.value == null ? y.value == null : y.value != null && x.value.equals(y.value))) {
        return false;
      }
    }
    return true;
  }
}
