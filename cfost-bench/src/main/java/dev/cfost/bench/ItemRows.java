package dev.cfost.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.SplittableRandom;

/**
 * The sync benchmark's rows in {@code items(id TEXT PRIMARY KEY NOT NULL, n INTEGER, label TEXT)},
 * generated on the fly from a seed (never held in memory): a UUID-shaped id, an INTEGER and a TEXT of 8
 * to 40 characters. The generator is the one of {@code ./bench}, so a seed gives the same rows in both.
 */
final class ItemRows {
  static final String DDL = "CREATE TABLE items(id TEXT PRIMARY KEY NOT NULL, n INTEGER, label TEXT)";
  static final String INSERT = "INSERT INTO items(id, n, label) VALUES (?, ?, ?)";
  static final String TABLE = "items";

  private static final char[] HEX = "0123456789abcdef".toCharArray();
  private static final char[] WORD = "abcdefghijklmnopqrstuvwxyz     ABCDEFGHIJ0123456789".toCharArray();

  private final long seed;
  private final long count;

  ItemRows(long seed, long count) {
    this.seed = seed;
    this.count = count;
  }

  long count() {
    return count;
  }

  /** Inserts every row with one prepared statement in one transaction on {@code c}. */
  void insertAll(Connection c) throws SQLException {
    c.setAutoCommit(false);
    try (PreparedStatement ps = c.prepareStatement(INSERT)) {
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
        ps.setString(1, new String(id));
        ps.setLong(2, n);
        ps.setString(3, new String(label, 0, len));
        ps.executeUpdate();
      }
    }
    c.commit();
    c.setAutoCommit(true);
  }

  /** count(*), sum(n), total label length and distinct ids of the table: equal on every correct copy. */
  static String fingerprint(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*), sum(n), sum(length(label)), count(DISTINCT id) FROM items")) {
      rs.next();
      return rs.getLong(1) + "/" + rs.getLong(2) + "/" + rs.getLong(3) + "/" + rs.getLong(4);
    }
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
