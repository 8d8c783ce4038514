package dev.cfost;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The process that {@link CrashIT} kills with SIGKILL: one workload per run, reporting its progress.
 *
 * <p>Every report is one stdout line starting with {@value #PREFIX}, written and flushed as soon as the
 * step it names has returned, so that the parent can choose when to kill and, after the kill, read what
 * the child had acknowledged. When the workload is done the child prints {@code done} and blocks until it
 * is killed; it never exits by itself unless the workload failed (exit status 1, stack trace on stderr).
 * Engines are left open on purpose: {@link Cfost#close()} would capture again and race the kill.
 *
 * <ul>
 *   <li>{@code local <db> <seedRows> <newRows>}: one plain-JDBC transaction over a replicated table while
 *       the engine's background capture runs ({@link #localTransaction}).
 *   <li>{@code capture <db> <rows>}: background capture off; commits {@code rows} inserts, then
 *       {@link Cfost#capture()}.
 *   <li>{@code merge <db> <changes.jsonl>}: one {@link Cfost#mergeAll} of a JSON Lines file, read lazily.
 *   <li>{@code pull <db> <source> <batch>}: {@link TestDb#pull}'s loop, reporting each merged batch and
 *       each saved cursor.
 * </ul>
 */
final class CrashChild {
  static final String PREFIX = "@crash ";
  /** The replicated table of every scenario: one value column of each SQLite storage class. */
  static final String TABLE = "item";
  static final String TABLE_DDL =
      "CREATE TABLE item(id TEXT PRIMARY KEY NOT NULL, n INTEGER, label TEXT, r REAL, b BLOB)";
  static final int PROGRESS_EVERY = 2_000;

  private CrashChild() {}

  public static void main(String[] args) {
    try {
      switch (args[0]) {
        case "local" -> local(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
        case "capture" -> capture(Path.of(args[1]), Integer.parseInt(args[2]));
        case "merge" -> merge(Path.of(args[1]), Path.of(args[2]));
        case "pull" -> pull(Path.of(args[1]), Path.of(args[2]), Integer.parseInt(args[3]));
        default -> throw new IllegalArgumentException("unknown workload '" + args[0] + "'");
      }
      say("done");
      System.in.read(); // blocks until the parent kills us; end of input means the parent is gone
      System.exit(2);
    } catch (Throwable t) {
      t.printStackTrace();
      say("error " + t);
      System.exit(1);
    }
  }

  static void say(String line) {
    System.out.println(PREFIX + line);
    System.out.flush();
  }

  private static void local(Path file, int seedRows, int newRows) throws SQLException {
    Cfost db = Cfost.open(file); // background capture on: it stamps the commit as soon as it lands
    say("opened");
    try (Connection c = db.connect()) {
      localTransaction(c, seedRows, newRows, true);
    }
    db.capture();
    say("captured");
  }

  /**
   * The local transaction of the {@code local} workload, in one plain-JDBC transaction: inserts
   * {@code newRows} rows {@code n000000...}, sets {@code n += 1000000, label = 'upd'} on every even seed
   * row and deletes every seed row {@code i} with {@code i % 10 == 5}. Reports {@code progress <ops>}.
   */
  static void localTransaction(Connection c, int seedRows, int newRows, boolean report) throws SQLException {
    c.setAutoCommit(false);
    long ops = 0;
    try (PreparedStatement insert = c.prepareStatement("INSERT INTO item VALUES (?, ?, 'new', ?, ?)");
        PreparedStatement update = c.prepareStatement("UPDATE item SET n = n + 1000000, label = 'upd' WHERE id = ?");
        PreparedStatement delete = c.prepareStatement("DELETE FROM item WHERE id = ?")) {
      int total = Math.max(newRows, seedRows);
      for (int i = 0; i < total; i++) {
        if (i < newRows) {
          insert.setString(1, String.format("n%06d", i));
          insert.setLong(2, i);
          insert.setDouble(3, i / 4.0);
          insert.setBytes(4, blob(i));
          insert.executeUpdate();
          ops++;
        }
        if (i < seedRows && i % 2 == 0) {
          update.setString(1, seedId(i));
          update.executeUpdate();
          ops++;
        }
        if (i < seedRows && i % 10 == 5) {
          delete.setString(1, seedId(i));
          delete.executeUpdate();
          ops++;
        }
        if (report && i % PROGRESS_EVERY == 0) {
          say("progress " + ops);
        }
      }
    }
    c.commit();
    if (report) {
      say("committed " + ops);
    }
  }

  static String seedId(int i) {
    return String.format("s%06d", i);
  }

  static byte[] blob(int i) {
    return new byte[] {(byte) (i >>> 24), (byte) (i >>> 16), (byte) (i >>> 8), (byte) i};
  }

  private static void capture(Path file, int rows) throws SQLException {
    Cfost db = Cfost.open(CfostOptions.builder(file).captureInterval(Duration.ZERO).build());
    say("opened");
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO item VALUES (?, ?, ?, ?, ?)")) {
        for (int i = 0; i < rows; i++) {
          insert.setString(1, String.format("c%06d", i));
          insert.setLong(2, i);
          insert.setString(3, i % 3 == 0 ? null : "label " + i);
          insert.setDouble(4, i * 1.5);
          insert.setBytes(5, blob(i));
          insert.executeUpdate();
        }
      }
      c.commit();
    }
    say("committed " + rows);
    long start = System.nanoTime();
    db.capture();
    say("captured " + (System.nanoTime() - start) / 1_000_000);
  }

  private static void merge(Path file, Path changes) throws IOException {
    Cfost db = Cfost.open(file);
    say("opened");
    try (BufferedReader in = Files.newBufferedReader(changes, StandardCharsets.UTF_8)) {
      MergeResult r = db.mergeAll(new Iterator<>() {
        int index;
        String next = readLine(in);

        @Override
        public boolean hasNext() {
          return next != null;
        }

        @Override
        public Change next() {
          if (next == null) {
            throw new NoSuchElementException();
          }
          Change c = ChangeJson.read(next, index++);
          next = readLine(in);
          if (index % PROGRESS_EVERY == 0) {
            say("progress " + index);
          }
          return c;
        }
      });
      say("merged " + r.received() + " " + r.dbVersion());
    }
  }

  private static String readLine(BufferedReader in) {
    try {
      return in.readLine();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void pull(Path file, Path sourceFile, int batch) {
    Cfost to = Cfost.open(file);
    Cfost from = Cfost.open(sourceFile);
    say("opened");
    long moved = 0;
    Cursor cursor = to.peerCursor(from.siteId());
    while (true) {
      ChangeBatch b = from.changes(cursor, batch);
      if (!b.changes().isEmpty()) {
        to.merge(b.changes());
      }
      moved += b.changes().size();
      say("merged " + moved + " " + b.changes().size());
      cursor = b.next();
      to.savePeerCursor(from.siteId(), cursor);
      say("saved " + moved + " " + b.changes().size());
      if (b.caughtUp()) {
        return;
      }
    }
  }
}
