package dev.cfost.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import dev.cfost.Change;
import dev.cfost.ChangeBatch;
import dev.cfost.Cursor;
import dev.cfost.Values;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * The server merges exactly like a device: random changes (every SQLite type, -0.0, small col_versions
 * and causal lengths so that ties and new lives are frequent, three sites) are delivered with duplicates
 * to a store and to a real cfost-core replica holding the same tables; both then stream the same rows,
 * causal lengths, cells, clocks and values.
 *
 * <p>Delivered in one order to the replica and in that order and another to the store (cut into other
 * batches for each), all three agree on everything, the sentinels' sites included: a life begun by a cell
 * takes the greatest site of its cells until a sentinel of the life comes, which then sets the site in any
 * order (before, the site was that of whichever came first, so it depended on the order of arrival).
 */
final class ServerStoreConvergence {
  static final String[] SCHEMA = {
    "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, a, b)",
    "CREATE TABLE u(k INTEGER PRIMARY KEY, x)",
  };

  private ServerStoreConvergence() {}

  static Arbitrary<Object> values() {
    return Arbitraries.oneOf(
        Arbitraries.just(null),
        Arbitraries.longs().between(-2, 2).map(Object.class::cast),
        Arbitraries.of(Long.MAX_VALUE, Long.MIN_VALUE).map(Object.class::cast),
        Arbitraries.of(0.0, -0.0, 1.0, 0.5, -1e300, Double.POSITIVE_INFINITY).map(Object.class::cast),
        Arbitraries.of("", "a", "b", "é", "1").map(Object.class::cast),
        Arbitraries.bytes().between((byte) 0, (byte) 2).array(byte[].class).ofMaxSize(2).map(Object.class::cast));
  }

  static Arbitrary<Change> changes() {
    return changes(2);
  }

  /** Changes to the rows of keys 0 to {@code maxKey} of two tables. */
  static Arbitrary<Change> changes(int maxKey) {
    return Combinators.combine(
            Arbitraries.integers().between(0, 4), // table and column: t.-1, t.a, t.b, u.-1, u.x
            Arbitraries.integers().between(0, maxKey), // key
            values(),
            Arbitraries.longs().between(0, 3), // col_version
            Arbitraries.longs().between(1, 4), // cl
            Arbitraries.integers().between(1, 3)) // site
        .as((column, key, val, colVersion, cl, site) -> {
          String table = column < 3 ? "t" : "u";
          String cid = List.of("-1", "a", "b", "-1", "x").get(column);
          Object pk = table.equals("t") ? "k" + key : (Object) (long) key;
          boolean sentinel = cid.equals(Change.SENTINEL);
          return new Change(table, TestChanges.pk(pk), cid, sentinel ? null : val, sentinel ? cl : colVersion, 1,
              TestChanges.site(site), cl, 0);
        });
  }

  static Arbitrary<List<Change>> changeSets() {
    return changes().list().ofMinSize(1).ofMaxSize(30);
  }

  /**
   * Sets over up to 300 rows, for batches of up to 300 changes: a store that looks a batch's rows up ahead
   * (the SQLite store, from 9 rows a batch) does it with such sets.
   */
  static Arbitrary<List<Change>> largeChangeSets() {
    return changes(149).list().ofMinSize(150).ofMaxSize(500);
  }

  /**
   * Delivers {@code changes} to both in their own random orders and batches of 1 to {@code maxBatch}; compares
   * their streams.
   */
  static void check(ServerStore store, Path dir, List<Change> changes, long seed, int maxBatch) throws Exception {
    Random random = new Random(seed);
    try (Cfost replica = Cfost.open(CfostOptions.builder(dir.resolve("replica.db"))
        .captureInterval(Duration.ZERO).maxDrift(Duration.ofDays(1)).build())) {
      try (Connection c = replica.connect(); Statement s = c.createStatement()) {
        for (String sql : SCHEMA) {
          s.execute(sql);
        }
      }
      replica.replicate("t");
      replica.replicate("u");
      List<Change> order = shuffled(changes, random);
      for (List<Change> batch : batches(order, random, maxBatch)) {
        store.applyBatch("alice", "same-order", batch, List.of());
      }
      for (List<Change> batch : batches(order, random, maxBatch)) {
        replica.merge(batch);
      }
      for (List<Change> batch : batches(shuffled(changes, random), random, maxBatch)) {
        store.applyBatch("alice", "other-order", batch, List.of());
      }
      List<Change> expected = replicaStream(replica);
      assertThat(rows(serverStream(store, "same-order"))).isEqualTo(rows(expected));
      assertThat(rows(serverStream(store, "other-order"))).as("delivered in another order").isEqualTo(rows(expected));
    }
  }

  /** The changes shuffled, a few of them twice. */
  private static List<Change> shuffled(List<Change> changes, Random random) {
    List<Change> all = new ArrayList<>(changes);
    for (Change c : changes) {
      if (random.nextInt(4) == 0) {
        all.add(c);
      }
    }
    Collections.shuffle(all, random);
    return all;
  }

  /** The changes in their order, cut into batches of 1 to {@code max}. */
  private static List<List<Change>> batches(List<Change> all, Random random, int max) {
    List<List<Change>> out = new ArrayList<>();
    for (int i = 0; i < all.size(); ) {
      int n = Math.min(all.size() - i, 1 + random.nextInt(max));
      out.add(all.subList(i, i + n));
      i += n;
    }
    return out;
  }

  private static List<Change> serverStream(ServerStore store, String db) {
    List<Change> out = new ArrayList<>();
    long position = 0;
    StoredChanges page;
    do {
      page = store.changesAfter("alice", db, position, 7);
      out.addAll(page.changes());
      position = page.position();
    } while (!page.caughtUp());
    return out;
  }

  private static List<Change> replicaStream(Cfost replica) {
    List<Change> out = new ArrayList<>();
    Cursor cursor = Cursor.START;
    ChangeBatch batch;
    do {
      batch = replica.changes(cursor, 7);
      out.addAll(batch.changes());
      cursor = batch.next();
    } while (!batch.caughtUp());
    return out;
  }

  /**
   * Per row: its causal length, whether its sentinel is streamed and from which site, and every streamed
   * cell with col_version, value (storage class and bits) and site. Stream order and db_version are each
   * replica's own.
   */
  static Map<String, SortedSet<String>> rows(List<Change> stream) {
    Map<String, SortedSet<String>> out = new TreeMap<>();
    for (Change c : stream) {
      SortedSet<String> row = out.computeIfAbsent(c.table() + "/" + Values.hex(c.pk()), k -> new TreeSet<>());
      row.add("cl " + c.cl());
      row.add(c.isSentinel() ? "sentinel site " + (c.siteId()[0] & 0xff)
          : c.cid() + " = " + TestChanges.describe(c.val()) + " v" + c.colVersion() + " site " + (c.siteId()[0] & 0xff));
    }
    return out;
  }

  static Path tempDir() {
    try {
      return Files.createTempDirectory("cfost-server-prop");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void delete(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
