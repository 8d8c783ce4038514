package dev.cfost;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;

/**
 * One revision of a document, as its history keeps it.
 *
 * @param documentId the document
 * @param version its place in the document's history, from 1; a revision that arrives late moves the
 *     versions after it up by one
 * @param id the revision's id, stable on every replica
 * @param kind what the author did
 * @param user who made it
 * @param device the site id (hex) of the replica it was made on
 * @param hlc its hybrid-clock time, which with the device orders the history
 * @param patch the forward RFC 6902 patch as written; for a create the content, for a delete or a
 *     restore null
 * @param reverse the patch that undoes it as it applied here; for a delete the whole document (a restore
 *     brings it back); for a create, a restore or a no-op null
 * @param applied false for a no-op: a revision that could not apply where the merge order put it
 * @param reason why it was a no-op, or null
 * @param target for an undo or a redo, the id of the revision it reverts; else null
 * @param paths the locations the patch wrote ("what"): for a create, delete or restore, {@code ""}
 */
public record Revision(String documentId, long version, String id, Kind kind, String user, String device,
    long hlc, JsonNode patch, JsonNode reverse, boolean applied, String reason, String target,
    List<String> paths) {

  /** What the author did. */
  public enum Kind { CREATE, UPDATE, DELETE, RESTORE, UNDO, REDO }

  public Revision {
    paths = List.copyOf(paths);
  }

  /** When it was made, from its hybrid-clock time. */
  public Instant time() {
    return Instant.ofEpochMilli(hlc >>> 16);
  }
}
