package dev.cfost;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A collection of JSON documents with a full history, acting as one user ({@link Cfost#documents}).
 *
 * <p>Every change is a revision: a forward and a reverse RFC 6902 patch with the device, the user and the
 * hybrid-clock time. Revisions are insert-only rows of the replicated table {@code document_revisions},
 * so they sync like any table, peer to peer and through the server. A document is the fold of its
 * revisions in the order of their hybrid-clock time, then their device's site id; a revision that
 * arrives late is put in its place (the later ones are rewound with their reverse patches and replayed),
 * and one that no longer applies where the order puts it becomes a no-op, its reason kept in the history.
 * Replicas that received the same revisions hold the same documents and histories.
 *
 * <p>Undo and redo are revisions too, so they sync. Undo reverts the user's own last change, not a later
 * edit of someone else; when such an edit touched what the undo would change, it is refused
 * ({@link DocumentException.Reason#CANNOT_UNDO}) rather than overwrite it. See docs/DOCUMENTS.md.
 *
 * <p>Thread-safe. Calls read what other replicas sent since the last call before they act. Every refusal
 * is a {@link DocumentException} naming what was wrong, and nothing of the refused call is written.
 */
public interface Documents {

  /** The user these calls act as. */
  String user();

  /** Creates a document with a new random id. */
  default Document create(String title, JsonNode content) {
    return create(java.util.UUID.randomUUID().toString(), title, content);
  }

  /**
   * Creates a document with the given id: 1 to 128 letters, digits and {@code . _ -} (a UUID fits).
   *
   * @throws DocumentException ALREADY_EXISTS, or INVALID naming the id or title
   */
  Document create(String id, String title, JsonNode content);

  /** The current version, or empty if there is no such document or it is deleted. */
  Optional<Document> get(String id);

  /**
   * Applies an RFC 6902 patch: all of it or nothing.
   *
   * @throws DocumentException NOT_FOUND, DELETED, INVALID (a malformed patch) or PATCH_FAILED (naming the
   *     operation that failed and why)
   */
  Document update(String id, JsonNode patch);

  /**
   * Applies each patch as its own revision, in order, in one transaction: all of them or none. The same
   * history as {@link #update} once per patch, but the current version is written once, at the end (for a
   * run of small edits, such as keystrokes, to a large document).
   *
   * @throws DocumentException as {@link #update}, naming the patch (counted from 0); INVALID for no patches
   */
  Document updateEach(String id, List<JsonNode> patches);

  /** Replaces the content with a whole new JSON; the patch stored is computed. No change, no revision. */
  Document replace(String id, JsonNode content);

  /** Deletes; the revision's reverse holds the whole document, and {@link #restore} brings it back. */
  Document delete(String id);

  /** Restores a deleted document as it was when deleted. */
  Document restore(String id);

  /** Documents that match, ordered by id. */
  List<Document> list(DocumentQuery query);

  /** Every revision of a document, oldest first. */
  default List<Revision> history(String id) {
    return history(id, 1, Integer.MAX_VALUE);
  }

  /**
   * At most {@code limit} revisions of a document from version {@code fromVersion} on, oldest first: a
   * long history a page at a time.
   *
   * @throws IllegalArgumentException if {@code fromVersion} or {@code limit} is below 1
   * @throws DocumentException NOT_FOUND
   */
  List<Revision> history(String id, long fromVersion, int limit);

  /**
   * The document as of {@code version} (1 to its current version), folded from the nearest checkpoint.
   *
   * @throws DocumentException NOT_FOUND or NO_SUCH_VERSION
   */
  Document at(String id, long version);

  /** Who changed what and when: the revisions of every document made at or after {@code since}, by time. */
  List<Revision> audit(Instant since);

  /**
   * Reverts this user's last change to the document that is not undone yet, as a new revision.
   *
   * @throws DocumentException CANNOT_UNDO if there is none, or a later edit of someone else changed what
   *     it would revert (the message names the location)
   */
  Document undo(String id);

  /**
   * Re-applies what this user's last undo reverted, as a new revision; possible until the user makes a
   * new change to the document.
   *
   * @throws DocumentException CANNOT_REDO
   */
  Document redo(String id);
}
