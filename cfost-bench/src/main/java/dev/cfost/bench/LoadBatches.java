package dev.cfost.bench;

import dev.cfost.Cfost;
import dev.cfost.Change;
import dev.cfost.ChangeBatch;
import dev.cfost.Cursor;
import dev.cfost.Seal;
import dev.cfost.Values;
import dev.cfost.identity.ChangeSeals;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.net.SyncMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The writes of the load benchmark's devices, made and sealed before any clock starts so that the
 * benchmark's own CPU goes to the sockets: real changes of a real Cfost database (the rows of
 * {@link Rows}), cut into transactions of {@code rowsPerBatch} rows and given to the writing devices in
 * turn, each renumbered into its device's own stream (db_version {@code k + 1} for
 * its batch {@code k}, its own site id) and sealed with its key, as its session would send them
 * (docs/PROTOCOL.md, "Seals"). A batch is encoded once, as the {@code changes} message's text.
 *
 * <p>Also keeps what the store must hold at the end: per batch, the count of the cells it writes and an
 * order-independent checksum of them ({@link #cellHash}).
 */
final class LoadBatches {
  /** Per device, its encoded batches in order. */
  final List<List<String>> byDevice;
  /** Per device and batch, the cells it writes (sentinels apart) and their checksum. */
  private final long[][] cells;
  private final long[][] checksum;
  private final int[] database;
  final int changesPerBatch;
  /** A change of the first batch, template of the fan-out's one-change batches. */
  private final Change template;

  /**
   * @param database the database each device writes (an index into the databases' list)
   * @param databaseIds the databases' ids
   */
  LoadBatches(Path file, List<DeviceKeys> keys, List<byte[]> sites, int[] database, List<String> databaseIds,
      int batches, int rowsPerBatch, long seed) throws SQLException {
    int devices = keys.size();
    this.database = database.clone();
    List<List<Change>> transactions = transactions(file, devices * batches, rowsPerBatch, seed);
    template = transactions.get(0).stream().filter(c -> !c.isSentinel()).findFirst().orElseThrow();
    changesPerBatch = transactions.get(0).size();
    cells = new long[devices][batches];
    checksum = new long[devices][batches];
    byDevice = new ArrayList<>(devices);
    for (int d = 0; d < devices; d++) {
      List<String> encoded = new ArrayList<>(batches);
      String dbId = databaseIds.get(database[d]);
      for (int k = 0; k < batches; k++) {
        List<Change> original = transactions.get(k * devices + d);
        if (original.size() != changesPerBatch) {
          throw new IllegalStateException("a batch of " + original.size() + " changes, not " + changesPerBatch);
        }
        List<Change> batch = new ArrayList<>(original.size());
        for (int i = 0; i < original.size(); i++) {
          Change c = original.get(i);
          Change own = new Change(c.table(), c.pk(), c.cid(), c.val(), c.colVersion(), k + 1, sites.get(d), c.cl(), i);
          batch.add(own);
          if (!own.isSentinel()) {
            cells[d][k]++;
            checksum[d][k] += cellHash(own);
          }
        }
        long remaining = (long) (batches - k - 1) * batch.size();
        encoded.add(encode(dbId, keys.get(d), k, batch, remaining));
      }
      byDevice.add(List.copyOf(encoded));
    }
  }

  /**
   * The changes of {@code count} transactions of {@code rowsPerBatch} rows each: the rows are inserted
   * into a real Cfost database in one transaction (fast; one fsync), then its changes are cut row by row
   * (a row's changes are consecutive) into transactions, each as one commit of that many rows would be.
   */
  private static List<List<Change>> transactions(Path file, int count, int rowsPerBatch, long seed)
      throws SQLException {
    Cfost db = ServerBench.replica(file, java.time.Duration.ZERO); // captured by hand below
    try {
      try (Connection c = db.connect()) {
        new Rows(seed, (long) count * rowsPerBatch).insertAll(c);
      }
      db.capture();
      List<List<Change>> out = new ArrayList<>(count);
      List<Change> current = new ArrayList<>(2 * rowsPerBatch);
      int rowsInCurrent = 0;
      byte[] lastKey = null;
      Cursor cursor = Cursor.START;
      for (boolean more = true; more; ) {
        ChangeBatch b = db.changes(cursor, 50_000);
        for (Change c : b.changes()) {
          if (!Arrays.equals(c.pk(), lastKey)) {
            if (rowsInCurrent == rowsPerBatch) {
              out.add(current);
              current = new ArrayList<>(2 * rowsPerBatch);
              rowsInCurrent = 0;
            }
            rowsInCurrent++;
            lastKey = c.pk();
          }
          current.add(c);
        }
        cursor = b.next();
        more = !b.caughtUp();
      }
      out.add(current);
      if (out.size() != count) {
        throw new IllegalStateException("the source database gave " + out.size() + " transactions, not " + count);
      }
      return out;
    } finally {
      db.close();
    }
  }

  /**
   * The cells (sentinels apart) database {@code db} must hold, and their checksum, once each device's
   * first {@code sent[d]} batches are stored.
   */
  long[] expected(int db, int[] sent) {
    long n = 0;
    long sum = 0;
    for (int d = 0; d < database.length; d++) {
      if (database[d] == db) {
        for (int k = 0; k < sent[d]; k++) {
          n += cells[d][k];
          sum += checksum[d][k];
        }
      }
    }
    return new long[] {n, sum};
  }

  /**
   * {@code count} batches of one change each for the fan-out's writer: the same cell written again and
   * again, each time with a higher col_version (so each wins), as that device's stream.
   */
  List<String> fanOutBatches(String databaseId, DeviceKeys keys, byte[] site, int count) {
    List<String> out = new ArrayList<>(count);
    for (int k = 0; k < count; k++) {
      Object val = template.val() instanceof Long ? (Object) (long) k : "fan-out " + k;
      Change c = new Change(template.table(), template.pk(), template.cid(), val, template.colVersion() + k + 1,
          k + 1, site, template.cl(), 0);
      out.add(encode(databaseId, keys, k, List.of(c), 0));
    }
    return out;
  }

  private static String encode(String databaseId, DeviceKeys keys, int k, List<Change> batch, long remaining) {
    List<byte[]> digests = new ArrayList<>(batch.size());
    for (Change c : batch) {
      digests.add(ChangeSeals.digest(c));
    }
    Seal seal = new Seal(keys.deviceId().toString(), keys.sign(ChangeSeals.signedBytes(databaseId, digests)), digests);
    SyncMessage m = new SyncMessage.Changes(Cursor.since(k), Cursor.since(k + 1), batch, remaining, List.of(seal));
    return new String(SyncMessage.encode(m), StandardCharsets.UTF_8);
  }

  /** A cell's hash for the order-independent checksum: table, key, column, value and site. */
  static long cellHash(Change c) {
    String cell = c.table() + '\0' + Values.hex(c.pk()) + '\0' + c.cid() + '\0' + Values.typeName(c.val()) + '\0'
        + (c.val() instanceof byte[] b ? Values.hex(b) : String.valueOf(c.val())) + '\0' + Values.hex(c.siteId());
    long h = 1125899906842597L;
    for (int i = 0; i < cell.length(); i++) {
      h = 31 * h + cell.charAt(i);
    }
    return h ^ (h >>> 29) * 0x9E3779B97F4A7C15L;
  }
}
