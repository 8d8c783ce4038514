package dev.cfost;

/**
 * A remote change was refused because it names an unknown table or column or is malformed in a field.
 *
 * <p>When a batch contains such a change, none of the batch is applied. {@link #index()} tells which
 * change of the batch (0-based) was wrong, or -1 when the problem is not tied to one change.
 */
public final class InvalidChangeException extends CfostException {
  private static final long serialVersionUID = 1L;
  private final int index;

  public InvalidChangeException(int index, String message) {
    super(index >= 0 ? "change #" + index + ": " + message : message);
    this.index = index;
  }

  /** The 0-based position of the refused change in its batch, or -1. */
  public int index() {
    return index;
  }
}
