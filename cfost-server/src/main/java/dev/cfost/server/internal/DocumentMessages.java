package dev.cfost.server.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cfost.Document;
import dev.cfost.DocumentException;
import dev.cfost.DocumentQuery;
import dev.cfost.Documents;
import dev.cfost.Revision;
import java.util.List;
import java.util.Locale;

/**
 * The messages of {@code /ws} (docs/SERVER.md, "Documents over /ws"): what each request does to an
 * account's {@link Documents}, and the JSON of its reply. Stateless; the caller holds the account's lock.
 */
final class DocumentMessages {
  /** The most revisions one {@code history} reply holds (and its default): a longer one comes in pages. */
  static final int MAX_HISTORY_PAGE = 1_000;

  private DocumentMessages() {}

  /** A request refused before it reached the documents: {@code code} is the error's. */
  static final class Refused extends RuntimeException {
    final String code;

    Refused(String code, String message) {
      super(message);
      this.code = code;
    }
  }

  /** A reply; {@code push} when it reports a change that the account's other connections are sent too. */
  record Outcome(ObjectNode reply, boolean push) {}

  static Outcome apply(Documents docs, String type, ObjectNode m) {
    switch (type) {
      case "create_document" -> {
        JsonNode d = object(m, "document");
        String title = text(d, "title");
        JsonNode content = d.get("content");
        if (content == null) {
          throw new Refused("invalid_message", "'document' needs 'content' (any JSON)");
        }
        JsonNode id = d.get("id");
        Document created = id == null || id.isNull() ? docs.create(title, content)
            : docs.create(text(d, "id"), title, content);
        return change("document_created", "create", created);
      }
      case "update_document" -> {
        JsonNode p = object(m, "patch");
        JsonNode ops = p.get("patch");
        if (ops == null || !ops.isArray()) {
          throw new Refused("invalid_message", "'patch' needs 'patch': an array of RFC 6902 operations");
        }
        return change("document_updated", "update", docs.update(text(p, "document_id"), ops));
      }
      case "delete_document" -> {
        return change("document_updated", "delete", docs.delete(text(m, "document_id")));
      }
      case "restore_document" -> {
        return change("document_updated", "restore", docs.restore(text(m, "document_id")));
      }
      case "undo" -> {
        return change("document_updated", "undo", docs.undo(text(m, "document_id")));
      }
      case "redo" -> {
        return change("document_updated", "redo", docs.redo(text(m, "document_id")));
      }
      case "get_document" -> {
        String id = text(m, "document_id");
        Document d = docs.get(id).orElseThrow(() -> new DocumentException(DocumentException.Reason.NOT_FOUND,
            "no document '" + WireChecks.printable(id) + "' (or it is deleted)"));
        return reply("document", d);
      }
      case "get_document_at" -> {
        JsonNode v = m.get("version");
        if (v == null || !v.canConvertToLong() || !v.isIntegralNumber()) {
          throw new Refused("invalid_message", "'get_document_at' needs 'version': an integer from 1");
        }
        return reply("document", docs.at(text(m, "document_id"), v.longValue()));
      }
      case "list_documents" -> {
        ArrayNode out = JsonBody.MAPPER.createArrayNode();
        for (Document d : docs.list(query(m))) {
          out.add(document(d));
        }
        ObjectNode r = JsonBody.MAPPER.createObjectNode().put("type", "documents");
        r.set("documents", out);
        return new Outcome(r, false);
      }
      case "get_history" -> {
        String id = text(m, "document_id");
        long from = positive(m, "from_version", 1, Long.MAX_VALUE);
        int limit = (int) positive(m, "limit", MAX_HISTORY_PAGE, MAX_HISTORY_PAGE);
        List<Revision> revisions = docs.history(id, from, limit + 1); // one more: is there a next page?
        ArrayNode out = JsonBody.MAPPER.createArrayNode();
        for (Revision r : revisions.subList(0, Math.min(limit, revisions.size()))) {
          out.add(revision(r));
        }
        ObjectNode r = JsonBody.MAPPER.createObjectNode().put("type", "history").put("document_id", id);
        r.set("revisions", out);
        if (revisions.size() > limit) {
          r.put("next_version", revisions.get(limit).version());
        }
        return new Outcome(r, false);
      }
      default -> throw new Refused("unknown_type", "no message type '" + WireChecks.printable(type)
          + "'; see docs/SERVER.md, \"Documents over /ws\"");
    }
  }

  /** Member {@code name}, an integer from 1 to {@code max}, or {@code otherwise} when it is absent or null. */
  private static long positive(ObjectNode m, String name, long otherwise, long max) {
    JsonNode v = m.get(name);
    if (v == null || v.isNull()) {
      return otherwise;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 1 || v.longValue() > max) {
      throw new Refused("invalid_message", "'" + name + "' is an integer from 1"
          + (max == Long.MAX_VALUE ? "" : " to " + max));
    }
    return v.longValue();
  }

  private static DocumentQuery query(ObjectNode m) {
    DocumentQuery q = DocumentQuery.ALL;
    JsonNode t = m.get("title_contains");
    if (t != null && !t.isNull()) {
      q = q.titleContains(text(m, "title_contains"));
    }
    JsonNode pointer = m.get("pointer");
    if (pointer != null && !pointer.isNull()) {
      JsonNode value = m.get("equals");
      if (value == null) {
        throw new Refused("invalid_message", "'pointer' needs 'equals': the JSON value to find there");
      }
      q = q.where(text(m, "pointer"), value);
    } else if (m.has("equals")) {
      throw new Refused("invalid_message", "'equals' needs 'pointer': an RFC 6901 JSON pointer");
    }
    JsonNode deleted = m.get("include_deleted");
    if (deleted != null && !deleted.isNull()) {
      if (!deleted.isBoolean()) {
        throw new Refused("invalid_message", "'include_deleted' is true or false");
      }
      q = q.includeDeleted(deleted.booleanValue());
    }
    return q.limit((int) positive(m, "limit", DocumentQuery.ALL.limit(), DocumentQuery.ALL.limit()));
  }

  /** The message that tells the account's connections of a change: {@code action} as in the replies. */
  static ObjectNode pushed(String action, Document d) {
    return change(action.equals("create") ? "document_created" : "document_updated", action, d).reply();
  }

  private static Outcome change(String type, String action, Document d) {
    ObjectNode r = JsonBody.MAPPER.createObjectNode().put("type", type).put("action", action);
    r.set("document", document(d));
    return new Outcome(r, true);
  }

  private static Outcome reply(String type, Document d) {
    ObjectNode r = JsonBody.MAPPER.createObjectNode().put("type", type);
    r.set("document", document(d));
    return new Outcome(r, false);
  }

  static ObjectNode document(Document d) {
    ObjectNode o = JsonBody.MAPPER.createObjectNode().put("id", d.id()).put("title", d.title())
        .put("version", d.version()).put("deleted", d.deleted());
    o.set("content", d.content());
    return o.put("created_by", d.createdBy()).put("updated_by", d.updatedBy())
        .put("updated_at", d.updated().toString());
  }

  private static ObjectNode revision(Revision r) {
    ObjectNode o = JsonBody.MAPPER.createObjectNode().put("version", r.version()).put("id", r.id())
        .put("kind", r.kind().name().toLowerCase(Locale.ROOT)).put("user", r.user()).put("device", r.device())
        .put("time", r.time().toString()).put("hlc", Long.toUnsignedString(r.hlc()));
    o.set("patch", r.patch());
    o.set("reverse", r.reverse());
    o.put("applied", r.applied()).put("reason", r.reason()).put("target", r.target());
    ArrayNode paths = o.putArray("paths");
    r.paths().forEach(paths::add);
    return o;
  }

  static ObjectNode error(JsonNode requestId, String code, String message) {
    ObjectNode e = JsonBody.MAPPER.createObjectNode().put("type", "error").put("code", code)
        .put("message", message);
    return withRequestId(e, requestId);
  }

  /** Echoes the request's {@code request_id} (when it sent one) so a client can match replies. */
  static ObjectNode withRequestId(ObjectNode reply, JsonNode requestId) {
    if (requestId != null && (requestId.isTextual() || requestId.isIntegralNumber())) {
      reply.set("request_id", requestId);
    }
    return reply;
  }

  static String code(DocumentException.Reason reason) {
    return reason.name().toLowerCase(Locale.ROOT);
  }

  static String text(JsonNode m, String field) {
    JsonNode v = m.get(field);
    if (v == null || !v.isTextual()) {
      throw new Refused("invalid_message", "the message needs '" + field + "': a string");
    }
    return v.textValue();
  }

  private static JsonNode object(JsonNode m, String field) {
    JsonNode v = m.get(field);
    if (v == null || !v.isObject()) {
      throw new Refused("invalid_message", "the message needs '" + field + "': an object");
    }
    return v;
  }
}
