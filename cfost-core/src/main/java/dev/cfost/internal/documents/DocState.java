package dev.cfost.internal.documents;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.ByteArrayOutputStream;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.Inflater;

/**
 * A document's state while revisions are folded: its content and flags. Only used by the thread that
 * holds the {@link DocumentStore}'s lock.
 */
final class DocState {
  /** What applying one revision did: applied with its effective reverse, or a no-op with its reason. */
  record Outcome(boolean applied, String reason, JsonPatch reverse) {
    static Outcome noop(String reason) {
      return new Outcome(false, reason, null);
    }
  }

  final long ord;
  final String id;
  String title;
  JsonNode body;
  boolean created;
  boolean deleted;
  long version;
  long createdHlc;
  String createdBy;

  DocState(long ord, String id) {
    this.ord = ord;
    this.id = id;
  }

  Outcome apply(RevisionRecord r) {
    switch (r.action()) {
      case CREATE:
        if (created) {
          return Outcome.noop("the document already exists");
        }
        created = true;
        deleted = false;
        body = Json.copy(r.content());
        title = r.title();
        createdHlc = r.hlc();
        createdBy = r.user();
        return new Outcome(true, null, null);
      case PATCH: {
        String refused = refusedEdit();
        if (refused != null) {
          return Outcome.noop(refused);
        }
        try {
          JsonPatch.Applied a = r.forward().apply(body);
          body = a.root();
          return new Outcome(true, null, a.reverse());
        } catch (PatchException e) {
          return Outcome.noop(e.getMessage());
        }
      }
      case DELETE: {
        String refused = refusedEdit();
        if (refused != null) {
          return Outcome.noop(refused);
        }
        deleted = true;
        return new Outcome(true, null, null);
      }
      case RESTORE:
        if (!created) {
          return Outcome.noop("the document does not exist");
        }
        if (!deleted) {
          return Outcome.noop("the document is not deleted");
        }
        deleted = false;
        return new Outcome(true, null, null);
      default:
        throw new AssertionError(r.action());
    }
  }

  /** Why a patch or a delete cannot apply now, or null. */
  String refusedEdit() {
    return !created ? "the document does not exist" : deleted ? "the document is deleted" : null;
  }

  /** Takes back a revision that applied, given the reverse it had. */
  void unapply(RevisionRecord r, JsonPatch reverse) {
    switch (r.action()) {
      case CREATE:
        created = false;
        body = null;
        title = null;
        createdHlc = 0;
        createdBy = null;
        break;
      case PATCH:
        body = reverse.apply(body).root();
        break;
      case DELETE:
        deleted = false;
        break;
      case RESTORE:
        deleted = true;
        break;
      default:
        throw new AssertionError(r.action());
    }
  }

  /**
   * The state for a checkpoint, deflated: content repeats a lot (keys, short strings). Written straight
   * into the deflater: a long document's text is never built as a string.
   */
  byte[] checkpoint() {
    ArrayNode a = JsonNodeFactory.instance.arrayNode(6);
    a.add(created).add(deleted).add(title).add(createdHlc).add(createdBy);
    a.add(body);
    Deflater d = new Deflater(Deflater.BEST_SPEED);
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    try (DeflaterOutputStream z = new DeflaterOutputStream(out, d, 8192)) {
      Json.MAPPER.writeValue(z, a);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot write a checkpoint of " + id, e);
    } finally {
      d.end();
    }
    return out.toByteArray();
  }

  void restoreCheckpoint(byte[] deflated, long atVersion) {
    Inflater inf = new Inflater();
    try {
      inf.setInput(deflated);
      ByteArrayOutputStream out = new ByteArrayOutputStream(deflated.length * 4);
      byte[] buf = new byte[8192];
      while (!inf.finished()) {
        int n = inf.inflate(buf);
        if (n == 0 && (inf.needsInput() || inf.needsDictionary())) {
          throw new IllegalStateException("checkpoint " + atVersion + " of " + id + " is truncated");
        }
        out.write(buf, 0, n);
      }
      JsonNode a = Json.parse(out.toString(java.nio.charset.StandardCharsets.UTF_8), "checkpoint");
      created = a.get(0).asBoolean();
      deleted = a.get(1).asBoolean();
      title = a.get(2).isNull() ? null : a.get(2).asText();
      createdHlc = a.get(3).asLong();
      createdBy = a.get(4).isNull() ? null : a.get(4).asText();
      body = a.get(5).isNull() ? null : a.get(5);
      version = atVersion;
    } catch (DataFormatException e) {
      throw new IllegalStateException("checkpoint " + atVersion + " of " + id + " is corrupt", e);
    } finally {
      inf.end();
    }
  }
}
