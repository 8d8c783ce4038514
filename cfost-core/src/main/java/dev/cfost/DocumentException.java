package dev.cfost;

/**
 * A document operation that was refused; nothing of it was written. {@link #reason()} says which kind of
 * refusal, the message says what exactly.
 */
public class DocumentException extends CfostException {
  private static final long serialVersionUID = 1L;

  /** Why an operation was refused. */
  public enum Reason {
    /** No document has that id. */
    NOT_FOUND,
    /** The document is deleted: restore it first. */
    DELETED,
    /** A document with that id exists already. */
    ALREADY_EXISTS,
    /** Restore of a document that is not deleted. */
    NOT_DELETED,
    /** An id, title, content or patch that is malformed. */
    INVALID,
    /** A well-formed patch that does not apply to the current version. */
    PATCH_FAILED,
    /** The user has nothing to undo, or later edits by others make the undo impossible. */
    CANNOT_UNDO,
    /** The user has nothing to redo, or later edits make the redo impossible. */
    CANNOT_REDO,
    /** No such version of the document. */
    NO_SUCH_VERSION
  }

  private final Reason reason;

  public DocumentException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
