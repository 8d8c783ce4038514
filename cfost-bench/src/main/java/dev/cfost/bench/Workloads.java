package dev.cfost.bench;

import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import dev.cfost.Change;
import dev.cfost.ChangeBatch;
import dev.cfost.Cursor;
import dev.cfost.MergeResult;
import dev.cfost.bench.Stopwatch.Span;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Collections;
import java.util.Iterator;
import java.util.NoSuchElementException;

/** The measured operations. Each returns its own wall and CPU time, so setup stays outside the figures. */
final class Workloads {
  /** The batch size of the change reads, as a sync session would use. */
  static final int BATCH = 2000;

  /**
   * PRAGMA cache_size of the application's connections in MiB; 0 keeps what {@code Cfost.connect()} sets
   * (64 MiB), so that the plain baseline runs with the same cache as the replicated table.
   */
  static int appCacheMib;

  /** The page cache {@code Cfost.connect()} gives its connections. */
  static final int CONNECT_CACHE_MIB = 64;

  private Workloads() {}

  /** Applies the application-side connection settings of this run (the page cache size). */
  static Connection appSettings(Connection c) throws SQLException {
    int mib = appCacheMib > 0 ? appCacheMib : CONNECT_CACHE_MIB;
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA cache_size = " + (-1024L * mib));
    }
    return c;
  }

  /**
   * Opens a plain SQLite connection with the settings of {@code Cfost.connect()} (WAL, synchronous FULL,
   * the same page cache).
   * With {@code generatedKeys} false the driver no longer runs {@code SELECT last_insert_rowid()} after
   * every INSERT (sqlite-jdbc's default does, which costs a statement prepare per row).
   */
  static Connection plainConnection(Path file, boolean generatedKeys) throws SQLException {
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + file
        + (generatedKeys ? "" : "?jdbc.get_generated_keys=false"));
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA busy_timeout = 30000");
      s.execute("PRAGMA journal_mode = WAL");
      s.execute("PRAGMA synchronous = FULL");
    }
    return appSettings(c);
  }

  /** An engine without background capture: the benchmark decides when writes are captured. */
  static Cfost openEngine(Path file) {
    return Cfost.open(CfostOptions.builder(file).captureInterval(Duration.ZERO).build());
  }

  /** Creates the table in a new engine database and makes it replicated; returns the engine. */
  static Cfost replicatedTable(Path file) throws SQLException {
    Cfost db = openEngine(file);
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute(Rows.DDL);
    }
    db.replicate(Rows.TABLE);
    return db;
  }

  /** The application's transaction: every row inserted with one prepared statement, one commit. */
  static Span insert(Connection c, Rows rows) throws SQLException {
    Stopwatch t = Stopwatch.start();
    c.setAutoCommit(false);
    try (PreparedStatement ps = c.prepareStatement(Rows.INSERT)) {
      rows.insert(ps);
    }
    c.commit();
    Span span = t.stop();
    c.setAutoCommit(true);
    return span;
  }

  /** Inserts into a plain (not replicated) table of a fresh file. */
  static Span insertPlain(Path file, Rows rows, boolean generatedKeys) throws SQLException {
    try (Connection c = plainConnection(file, generatedKeys)) {
      try (Statement s = c.createStatement()) {
        s.execute(Rows.DDL);
      }
      return insert(c, rows);
    }
  }

  /**
   * Inserts through a plain connection (generated keys off) into a replicated table of a fresh file,
   * with no engine open: another connection writing the file, as the engine allows.
   */
  static Span insertReplicatedNoKeys(Path file, Rows rows) throws SQLException {
    replicatedTable(file).close();
    try (Connection c = plainConnection(file, false)) {
      return insert(c, rows);
    }
  }

  /** What an extraction read. */
  record Extraction(Span span, long changes, long batches, Span spill) {}

  /**
   * Reads every change with {@code changes(cursor, BATCH)} until caught up, writing each batch to the
   * spill; the time spent writing the spill is measured apart and subtracted.
   */
  static Extraction extract(Cfost db, ChangeSpill.Writer spill) throws IOException {
    Stopwatch t = Stopwatch.start();
    Span spillSpan = Stopwatch.ZERO;
    long changes = 0;
    long batches = 0;
    Cursor cursor = Cursor.START;
    while (true) {
      ChangeBatch batch = db.changes(cursor, BATCH);
      batches++;
      changes += batch.changes().size();
      Stopwatch s = Stopwatch.start();
      for (Change c : batch.changes()) {
        spill.write(c);
      }
      spillSpan = spillSpan.plus(s.stop());
      cursor = batch.next();
      if (batch.caughtUp()) {
        break;
      }
    }
    Span total = t.stop();
    return new Extraction(total.minus(spillSpan), changes, batches, spillSpan);
  }

  /** Iterates the spill without merging: the decoding cost included in {@link #mergeSpill}. */
  static Timed<Long> decodeOnly(Path spill) throws IOException {
    Stopwatch t = Stopwatch.start();
    long n = 0;
    try (ChangeSpill.Reader in = new ChangeSpill.Reader(spill)) {
      while (in.hasNext()) {
        in.next();
        n++;
      }
    }
    return new Timed<>(t.stop(), n);
  }

  /** Merges the spilled changes into an empty replica with one {@code mergeAll}. */
  static Timed<MergeResult> mergeSpill(Cfost replica, Path spill) throws IOException {
    try (ChangeSpill.Reader in = new ChangeSpill.Reader(spill)) {
      Stopwatch t = Stopwatch.start();
      MergeResult r = replica.mergeAll(in);
      return new Timed<>(t.stop(), r);
    }
  }

  /** Merges the spilled changes read out of key order (see {@link ChangeSpill.Interleaved}). */
  static Timed<MergeResult> mergeInterleaved(Cfost replica, Path spill, long changes) throws IOException {
    try (ChangeSpill.Interleaved in = new ChangeSpill.Interleaved(spill, changes, INTERLEAVED_RUNS)) {
      Stopwatch t = Stopwatch.start();
      MergeResult r = replica.mergeAll(in);
      return new Timed<>(t.stop(), r);
    }
  }

  static final int INTERLEAVED_RUNS = 16;

  /** Merges straight from the source: {@code mergeAll} over an iterator that pulls change batches. */
  static Timed<MergeResult> mergeStreamed(Cfost replica, Cfost source) {
    Stopwatch t = Stopwatch.start();
    MergeResult r = replica.mergeAll(new Pull(source));
    return new Timed<>(t.stop(), r);
  }

  record Timed<T>(Span span, T value) {}

  /** What a benchmark does in its directory; returns the process's exit status. */
  interface InDirectory {
    int run(Path dir) throws Exception;
  }

  /**
   * Runs {@code body} in a new directory under {@code base} (a temporary one named {@code tempPrefix...}
   * if null), deletes the directory, then exits the JVM with the status {@code body} returned.
   */
  static void runInNewDirectory(Path base, String tempPrefix, InDirectory body) throws Exception {
    Path dir = base == null ? java.nio.file.Files.createTempDirectory(tempPrefix)
        : java.nio.file.Files.createTempDirectory(java.nio.file.Files.createDirectories(base), "run-");
    int status;
    try {
      status = body.run(dir);
    } finally {
      deleteTree(dir);
    }
    System.exit(status);
  }

  /** Deletes {@code dir} and everything below it, if it exists. */
  static void deleteTree(java.nio.file.Path dir) throws java.io.IOException {
    if (!java.nio.file.Files.exists(dir)) {
      return;
    }
    try (java.util.stream.Stream<java.nio.file.Path> paths = java.nio.file.Files.walk(dir)) {
      for (java.nio.file.Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        java.nio.file.Files.delete(p);
      }
    }
  }

  /** The first column of the first row {@code sql} gives, as a long; -1 if no row. */
  static long queryLong(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getLong(1) : -1;
    }
  }

  /** count(*), sum(n) and the total label length of the table: equal on every correct copy. */
  static String fingerprint(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*), sum(n), sum(length(label)), count(DISTINCT id) FROM items")) {
      rs.next();
      return rs.getLong(1) + "/" + rs.getLong(2) + "/" + rs.getLong(3) + "/" + rs.getLong(4);
    }
  }

  /** The change stream of a replica as an iterator, fetching one batch at a time. */
  private static final class Pull implements Iterator<Change> {
    private final Cfost source;
    private Cursor cursor = Cursor.START;
    private Iterator<Change> batch = Collections.emptyIterator();
    private boolean caughtUp;

    Pull(Cfost source) {
      this.source = source;
    }

    @Override
    public boolean hasNext() {
      while (!batch.hasNext() && !caughtUp) {
        ChangeBatch b = source.changes(cursor, BATCH);
        cursor = b.next();
        caughtUp = b.caughtUp();
        batch = b.changes().iterator();
      }
      return batch.hasNext();
    }

    @Override
    public Change next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return batch.next();
    }
  }
}
