package dev.cfost.net;

import dev.cfost.Cfost;
import dev.cfost.CfostException;
import dev.cfost.CfostOptions;
import dev.cfost.Change;
import dev.cfost.ChangeBatch;
import dev.cfost.Cursor;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Replicas of one database on a faulty {@link MemoryNetwork}, driven by one seeded schedule of writes,
 * partitions and heals, fault rates (loss, duplication, reordering, delay), restarts (engine closed and
 * reopened on its file) and schema changes (a column added on every replica at once, with the schema
 * version raised, as an application release does), on wall clocks up to 25 s off either way. After each
 * write the writer's own new changes are read from its stream into a {@link MergeModel}; at the end every
 * replica must hold exactly the model's rows. docs/RELIABILITY.md says what is deterministic and what is
 * not.
 *
 * <p>Only the thread that calls {@link #run} and {@link #settle} drives it.
 */
final class NetworkSimulation implements AutoCloseable {
  static final String TABLE = "item";
  private static final int KEYS = 60;
  private static final int MAX_ADDED_COLUMNS = 4;
  /** Wall clocks are off by up to this many ms either way: at most 50 s apart, under the 60 s default drift. */
  private static final int MAX_CLOCK_OFFSET = 25_000;
  /** Protocol errors that a faulty network never justifies: each one is a defect. */
  private static final Set<String> DEFECT_CODES = Set.of("invalid_change", "clock_drift", "internal",
      "malformed_frame", "unknown_message", "frame_too_large");

  private final long seed;
  private final Random random;
  private final Path dir;
  private final MemoryNetwork net;
  private final MergeModel model = new MergeModel();
  private final List<String> columns = new ArrayList<>(List.of("title", "n"));
  private final Replica[] replicas;
  private final Set<List<Integer>> links = new HashSet<>();
  /** What the schedule did, by kind, in order of first use. */
  final Map<String, Long> counts = new LinkedHashMap<>();
  /** Errors peers reported, by protocol code or exception class. */
  final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
  /** Errors that no injected fault explains, with the replica that reported them. */
  final List<String> defects = new CopyOnWriteArrayList<>();
  private long step;

  /** One replica: its file, and its engine and peer while it is up. */
  private final class Replica {
    final int index;
    final String name;
    final Path file;
    Cfost db;
    Connection app; // the application's connection, open while the replica is up
    Peer peer;
    byte[] site;
    Cursor read = Cursor.START; // how far the model has read this replica's stream
    int downFor = -1; // steps left before it reopens; -1 while up
    final long clockOffset; // its wall clock's error, within the engines' default maximum drift

    Replica(int index) {
      this.index = index;
      this.clockOffset = random.nextInt(2 * MAX_CLOCK_OFFSET + 1) - MAX_CLOCK_OFFSET;
      this.name = "p" + index;
      this.file = dir.resolve(name + ".db");
    }

    boolean up() {
      return db != null;
    }
  }

  NetworkSimulation(long seed, int peers, Path dir) throws IOException {
    this.seed = seed;
    this.random = new Random(seed);
    this.dir = dir;
    this.net = new MemoryNetwork(seed);
    this.replicas = new Replica[peers];
    for (int i = 0; i < peers; i++) {
      replicas[i] = new Replica(i);
      links.add(List.of(i, (i + 1) % peers)); // a ring, so every replica is reachable by relay
      int chord = random.nextInt(peers);
      if (chord != i && !links.contains(List.of(chord, i))) {
        links.add(List.of(i, chord));
      }
    }
    for (Replica r : replicas) {
      open(r);
    }
  }

  /** Runs {@code operations} steps of the schedule. */
  void run(int operations) throws Exception {
    for (int i = 0; i < operations; i++) {
      step++;
      for (Replica r : replicas) {
        if (r.downFor > 0) {
          r.downFor--;
        } else if (r.downFor == 0) {
          open(r);
        }
      }
      if (operations >= 10_000 && step % (operations / 10) == 0) {
        System.out.printf("simulation seed %d: %d of %d operations, %s%n", seed, step, operations, counts);
      }
      int roll = random.nextInt(100);
      if (operations > MAX_ADDED_COLUMNS && step % (operations / (MAX_ADDED_COLUMNS + 1)) == 0
          && columns.size() < 2 + MAX_ADDED_COLUMNS) {
        addColumnEverywhere();
      } else if (roll < 60) {
        write();
      } else if (roll < 66) {
        int a = random.nextInt(replicas.length);
        int b = random.nextInt(replicas.length);
        if (a != b) {
          net.partition(replicas[a].name, replicas[b].name);
          count("partitions");
        }
      } else if (roll < 70) {
        net.heal();
        count("heals");
      } else if (roll < 74) {
        faults();
      } else if (roll < 77) {
        restart();
      } else {
        Thread.sleep(1 + random.nextInt(8));
        count("pauses");
      }
    }
  }

  private void write() throws SQLException {
    List<Replica> up = Arrays.stream(replicas).filter(Replica::up).toList();
    if (up.isEmpty()) {
      return;
    }
    Replica r = up.get(random.nextInt(up.size()));
    String key = "k" + random.nextInt(KEYS);
    int kind = random.nextInt(100);
    Connection c = r.app;
    if (kind < 35) {
      upsert(c, key, r);
      count("writes: upserts");
    } else if (kind < 50) {
      StringBuilder sql = new StringBuilder("INSERT OR REPLACE INTO " + TABLE + "(id");
      columns.forEach(col -> sql.append(", ").append(col));
      sql.append(") VALUES (?").append(", ?".repeat(columns.size())).append(')');
      try (PreparedStatement s = c.prepareStatement(sql.toString())) {
        s.setString(1, key);
        for (int i = 0; i < columns.size(); i++) {
          s.setObject(i + 2, value(r));
        }
        s.executeUpdate();
      }
      count("writes: insert or replace");
    } else if (kind < 85) {
      String col = columns.get(random.nextInt(columns.size()));
      try (PreparedStatement s = c.prepareStatement("UPDATE " + TABLE + " SET " + col + " = ? WHERE id = ?")) {
        s.setObject(1, value(r));
        s.setString(2, key);
        s.executeUpdate();
      }
      count("writes: updates");
    } else {
      try (PreparedStatement s = c.prepareStatement("DELETE FROM " + TABLE + " WHERE id = ?")) {
        s.setString(1, key);
        s.executeUpdate();
      }
      count("writes: deletes");
    }
    observe(r);
  }

  private void upsert(Connection c, String key, Replica r) throws SQLException {
    String col = columns.get(random.nextInt(columns.size()));
    try (PreparedStatement s = c.prepareStatement("INSERT INTO " + TABLE + "(id, " + col + ") VALUES (?, ?)"
        + " ON CONFLICT(id) DO UPDATE SET " + col + " = excluded." + col)) {
      s.setString(1, key);
      s.setObject(2, value(r));
      s.executeUpdate();
    }
  }

  /** A value no other write uses (so a lost write shows), sometimes an integer or NULL. */
  private Object value(Replica r) {
    int kind = random.nextInt(20);
    if (kind == 0) {
      return null;
    }
    if (kind < 5) {
      return step * 100 + r.index;
    }
    return r.name + "-" + step;
  }

  /** Reads the replica's stream since the model last did, keeping the changes made there. */
  private void observe(Replica r) {
    ChangeBatch batch;
    do {
      batch = r.db.changes(r.read, 10_000);
      for (Change c : batch.changes()) {
        if (Arrays.equals(c.siteId(), r.site)) {
          model.apply(c);
        }
      }
      r.read = batch.next();
    } while (!batch.caughtUp());
  }

  private void faults() {
    long max = random.nextInt(4) == 0 ? 0 : random.nextInt(25);
    net.latency(0, max)
        .loss(random.nextInt(3) == 0 ? 0 : random.nextDouble() * 0.02)
        .duplicates(random.nextDouble() * 0.1)
        .reordering(random.nextDouble() * 0.1);
    count("fault rates changed");
  }

  private void restart() throws IOException {
    List<Replica> up = Arrays.stream(replicas).filter(Replica::up).toList();
    if (up.size() <= 1) {
      return;
    }
    Replica r = up.get(random.nextInt(up.size()));
    close(r);
    r.downFor = random.nextInt(4) == 0 ? 0 : random.nextInt(40);
    count("restarts");
  }

  /** An application release: every replica that runs gets the column now, the others when they open. */
  private void addColumnEverywhere() {
    columns.add("c" + (columns.size() - 1));
    for (Replica r : replicas) {
      if (r.up()) {
        upgrade(r);
      }
    }
    count("columns added");
  }

  private void upgrade(Replica r) {
    Nodes.sql(r.db, "CREATE TABLE IF NOT EXISTS " + TABLE + "(id TEXT PRIMARY KEY NOT NULL, title TEXT, n)");
    r.db.replicate(TABLE);
    Set<String> have = new HashSet<>(columnsOf(r.db));
    for (String col : columns) {
      if (!have.contains(col)) {
        r.db.addColumn(TABLE, col);
      }
    }
    Nodes.sql(r.db, "PRAGMA user_version = " + (columns.size() - 2));
  }

  private void open(Replica r) throws IOException {
    long offset = r.clockOffset;
    r.db = Cfost.open(CfostOptions.builder(r.file).captureInterval(Duration.ofMillis(5))
        .wallClock(() -> System.currentTimeMillis() + offset).build());
    r.app = r.db.connect();
    r.site = r.db.siteId();
    upgrade(r);
    PeerOptions.Builder options = PeerOptions.builder().transport(Transports.memory(net, r.name))
        .discovery(false).backoff(10, 200).keepAlive(300, 3_000).maxBatchChanges(1 + random.nextInt(60));
    for (List<Integer> link : links) {
      if (link.get(0) == r.index) {
        options.peer(new PeerAddress(replicas[link.get(1)].name, 0));
      }
    }
    r.peer = Peer.create(r.db, options.build());
    r.peer.addListener(new PeerListener() {
      @Override
      public void onError(String peerId, Throwable error) {
        String kind = error instanceof SyncException e ? e.code() : error.getClass().getSimpleName();
        errors.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
        if (DEFECT_CODES.contains(kind) || error instanceof CfostException && !(error instanceof SyncException)) {
          defects.add(r.name + " from " + peerId + ": " + error);
        }
      }
    });
    r.peer.start();
    r.downFor = -1;
  }

  private void close(Replica r) {
    try {
      r.app.close();
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
    r.peer.close();
    r.db.close();
    r.peer = null;
    r.db = null;
  }

  /**
   * Opens every replica, heals the network, stops loss, and waits up to {@code seconds} until every
   * replica holds exactly the model's rows and keeps no change aside. Returns a description of the first
   * difference if they do not.
   */
  String settle(int seconds) throws Exception {
    for (Replica r : replicas) {
      if (!r.up()) {
        open(r);
      }
    }
    net.heal();
    net.latency(0, 2).loss(0).duplicates(0.02).reordering(0.02);
    Map<String, String> expected = model.expected(columns);
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (true) {
      String difference = null;
      for (Replica r : replicas) {
        Map<String, String> actual = dump(r.db);
        if (!actual.equals(expected)) {
          difference = r.name + " differs from the model: " + firstDifference(expected, actual);
          break;
        }
      }
      if (difference == null) {
        difference = keptAside();
      }
      if (difference == null) {
        return null;
      }
      if (System.nanoTime() > deadline) {
        return difference;
      }
      Thread.sleep(100);
    }
  }

  /**
   * Every replica has every column by now, so no change for a column it lacked may still wait, and none
   * may have been set aside as failed.
   */
  private String keptAside() throws SQLException {
    for (Replica r : replicas) {
      try (Connection c = r.db.connect(); Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT count(*) FROM cfost_deferred")) {
        rs.next();
        if (rs.getLong(1) > 0 || r.db.failedDeferredChanges() > 0) {
          return r.name + " still keeps " + rs.getLong(1) + " changes aside, " + r.db.failedDeferredChanges() + " failed";
        }
      }
    }
    return null;
  }

  private static String firstDifference(Map<String, String> expected, Map<String, String> actual) {
    Set<String> keys = new TreeSet<>(expected.keySet());
    keys.addAll(actual.keySet());
    int differences = 0;
    String first = null;
    for (String k : keys) {
      if (!Objects.equals(expected.get(k), actual.get(k))) {
        differences++;
        if (first == null) {
          first = "expected " + expected.get(k) + ", found " + actual.get(k);
        }
      }
    }
    return differences + " rows, first: " + first;
  }

  int rowsExpected() {
    return model.expected(columns).size();
  }

  long changesModelled() {
    return model.applied();
  }

  private Map<String, String> dump(Cfost db) throws SQLException {
    StringBuilder sql = new StringBuilder("SELECT id");
    for (String col : columns) {
      sql.append(", typeof(").append(col).append("), ").append(col);
    }
    sql.append(" FROM ").append(TABLE);
    Map<String, String> rows = new TreeMap<>();
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql.toString())) {
      while (rs.next()) {
        StringBuilder line = new StringBuilder(rs.getString(1));
        for (int i = 0; i < columns.size(); i++) {
          String type = rs.getString(2 + 2 * i);
          line.append('|').append(type).append(':').append(type.equals("null") ? "" : rs.getString(3 + 2 * i));
        }
        rows.put(rs.getString(1), line.toString());
      }
    }
    return rows;
  }

  private static List<String> columnsOf(Cfost db) {
    List<String> out = new ArrayList<>();
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT name FROM pragma_table_info('" + TABLE + "')")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
    return out;
  }

  private void count(String what) {
    counts.merge(what, 1L, Long::sum);
  }

  @Override
  public void close() {
    for (Replica r : replicas) {
      if (r.up()) {
        close(r);
      }
    }
    net.close();
  }
}
