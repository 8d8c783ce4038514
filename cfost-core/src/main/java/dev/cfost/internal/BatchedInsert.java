package dev.cfost.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * An {@code INSERT} whose rows are written {@value #ROWS} at a time with one multi-row statement, which
 * saves the driver's per-statement work (about 1 µs a row measured with sqlite-jdbc; docs/BENCHMARKS.md,
 * F15). Rows are held until {@link #flush}, so the caller must flush before anything reads the table.
 *
 * <p>Not thread-safe: owned by the write transaction that made it. Public for the identity module's seal
 * index and the sync server's SQLite store, which write their rows the same way.
 */
public final class BatchedInsert implements AutoCloseable {
  static final int ROWS = 32;

  private final Connection c;
  private final String head;
  private final String marks;
  private final int width;
  private final List<Object[]> pending = new ArrayList<>(ROWS);
  private PreparedStatement one;
  private PreparedStatement many;

  /**
   * @param head the statement up to {@code VALUES}, e.g. {@code INSERT INTO t(a, b)}
   * @param width the number of values in a row
   */
  public BatchedInsert(Connection c, String head, int width) {
    this.c = c;
    this.head = head;
    this.width = width;
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < width; i++) {
      sb.append(i == 0 ? "?" : ", ?");
    }
    this.marks = sb.append(')').toString();
  }

  /** Adds a row; {@code values} is kept, not copied, until it is written. */
  public void add(Object[] values) throws SQLException {
    if (values.length != width) {
      throw new IllegalArgumentException("a row of " + values.length + " values for " + width + " columns");
    }
    pending.add(values);
    if (pending.size() == ROWS) {
      if (many == null) {
        many = c.prepareStatement(head + " VALUES " + String.join(", ", java.util.Collections.nCopies(ROWS, marks)));
      }
      bindAll(many);
      many.executeUpdate();
      pending.clear();
    }
  }

  /** Writes the rows still held, one statement each. */
  public void flush() throws SQLException {
    if (pending.isEmpty()) {
      return;
    }
    if (one == null) {
      one = c.prepareStatement(head + " VALUES " + marks);
    }
    for (Object[] row : pending) {
      for (int i = 0; i < width; i++) {
        Sql.bind(one, i + 1, row[i]);
      }
      one.executeUpdate();
    }
    pending.clear();
  }

  /** Forgets the rows still held (their transaction rolled back to a savepoint). */
  void discard() {
    pending.clear();
  }

  private void bindAll(PreparedStatement ps) throws SQLException {
    int p = 1;
    for (Object[] row : pending) {
      for (Object v : row) {
        Sql.bind(ps, p++, v);
      }
    }
  }

  @Override
  public void close() throws SQLException {
    pending.clear();
    if (one != null) {
      one.close();
    }
    if (many != null) {
      many.close();
    }
  }
}
