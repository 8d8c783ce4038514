package dev.cfost.bench;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.SplittableRandom;

/**
 * The benchmark's rows, generated on the fly from a seed so that every variant inserts exactly the same
 * rows without holding them in memory: an id TEXT primary key shaped like a UUID, an INTEGER and a
 * TEXT of 8 to 40 characters.
 */
final class Rows {
  static final String DDL = "CREATE TABLE items(id TEXT PRIMARY KEY NOT NULL, n INTEGER, label TEXT)";
  static final String INSERT = "INSERT INTO items(id, n, label) VALUES (?, ?, ?)";
  static final String TABLE = "items";

  private static final char[] HEX = "0123456789abcdef".toCharArray();
  private static final char[] WORD = "abcdefghijklmnopqrstuvwxyz     ABCDEFGHIJ0123456789".toCharArray();

  private final long seed;
  private final long count;

  Rows(long seed, long count) {
    this.seed = seed;
    this.count = count;
  }

  long count() {
    return count;
  }

  /** Receives one generated row; the strings are fresh per row. */
  interface Sink {
    void row(String id, long n, String label) throws SQLException;
  }

  /** Generates every row, in the same order each time. */
  void forEach(Sink sink) throws SQLException {
    SplittableRandom random = new SplittableRandom(seed);
    char[] id = new char[36];
    char[] label = new char[40];
    for (long i = 0; i < count; i++) {
      uuid(random.nextLong(), random.nextLong(), id);
      long n = random.nextLong(1_000_000_000L);
      int len = 8 + random.nextInt(33);
      for (int j = 0; j < len; j++) {
        label[j] = WORD[random.nextInt(WORD.length)];
      }
      sink.row(new String(id), n, new String(label, 0, len));
    }
  }

  /** Inserts every row with one prepared statement (the caller owns the transaction). */
  void insert(PreparedStatement ps) throws SQLException {
    forEach((id, n, label) -> {
      ps.setString(1, id);
      ps.setLong(2, n);
      ps.setString(3, label);
      ps.executeUpdate();
    });
  }

  /** Inserts every row in one transaction on {@code c}, with one prepared statement. */
  void insertAll(java.sql.Connection c) throws SQLException {
    c.setAutoCommit(false);
    try (PreparedStatement ps = c.prepareStatement(INSERT)) {
      insert(ps);
    }
    c.commit();
    c.setAutoCommit(true);
  }

  private static void uuid(long hi, long lo, char[] out) {
    int p = 0;
    for (int i = 0; i < 32; i++) {
      if (i == 8 || i == 12 || i == 16 || i == 20) {
        out[p++] = '-';
      }
      long word = i < 16 ? hi : lo;
      out[p++] = HEX[(int) (word >>> (60 - 4 * (i % 16))) & 0xf];
    }
  }
}
