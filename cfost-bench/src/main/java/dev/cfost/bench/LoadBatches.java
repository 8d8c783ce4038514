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
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The writes of the load benchmark's devices, made and sealed before any clock starts so that the
 * benchmark's own CPU goes to the sockets: real changes of a real Cfost database (the rows of
 * {@link Rows}, {@code rowsPerBatch} rows per transaction), then given to the writing devices in turn,
 * transaction by transaction, each renumbered into its device's own stream (db_version {@code k + 1} for
 * its batch {@code k}, its own site id) and sealed with its key, as its session would send them
 * (docs/PROTOCOL.md, "Seals"). A batch is encoded once, as the {@code changes} message's text.
 *
 * <p>Also keeps what the store must hold at the end: per database, the count of the written cells and an
 * order-independent checksum of them ({@link #cellHash}).
 */
final class LoadBatches {
  /** Per device, its encoded batches in order. */
  final List<List<String>> byDevice;
  /** Per database (index as in the constructor), the cells written to it and their checksum. */
  final long[] cells;
  final long[] checksum;
  final long changesPerDevice;
  /** A change of the first batch, template of the fan-out's one-change batches. */
  private final Change template;

  /**
   * @param database the database each device writes (an index into the databases' list)
   * @param databaseIds the databases' ids
   */
  LoadBatches(Path file, List<DeviceKeys> keys, List<byte[]> sites, int[] database, List<String> databaseIds,
      int batches, int rowsPerBatch, long seed) throws SQLException {
    int devices = keys.size();
    List<List<Change>> transactions = new ArrayList<>(devices * batches);
    Cfost db = ServerBench.replica(file, java.time.Duration.ZERO); // captured by hand, one commit at a time
    try {
      long[] versionAfter = new long[devices * batches];
      Rows rows = new Rows(seed, (long) devices * batches * rowsPerBatch);
      try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(Rows.INSERT)) {
        c.setAutoCommit(false);
        int[] inTransaction = {0};
        int[] done = {0};
        rows.forEach((id, n, label) -> {
          ps.setString(1, id);
          ps.setLong(2, n);
          ps.setString(3, label);
          ps.executeUpdate();
          if (++inTransaction[0] == rowsPerBatch) {
            c.commit();
            db.capture();
            versionAfter[done[0]++] = db.dbVersion();
            inTransaction[0] = 0;
          }
        });
        c.setAutoCommit(true);
      }
      for (int t = 0; t < versionAfter.length; t++) {
        transactions.add(new ArrayList<>(2 * rowsPerBatch));
      }
      Cursor cursor = Cursor.START;
      for (boolean more = true; more; ) {
        ChangeBatch b = db.changes(cursor, 50_000);
        for (Change c : b.changes()) {
          int t = Arrays.binarySearch(versionAfter, c.dbVersion());
          transactions.get(t >= 0 ? t : -t - 1).add(c);
        }
        cursor = b.next();
        more = !b.caughtUp();
      }
    } finally {
      db.close();
    }
    for (List<Change> t : transactions) {
      if (t.size() != transactions.get(0).size()) {
        // Each commit is captured as one db_version (captured after each); if not, the batches would differ.
        throw new IllegalStateException("the source database's transactions have " + t.size() + " and "
            + transactions.get(0).size() + " changes: commits were not captured one by one");
      }
    }
    template = transactions.get(0).stream().filter(c -> !c.isSentinel()).findFirst().orElseThrow();
    cells = new long[databaseIds.size()];
    checksum = new long[databaseIds.size()];
    byDevice = new ArrayList<>(devices);
    long perDevice = 0;
    for (int d = 0; d < devices; d++) {
      List<String> encoded = new ArrayList<>(batches);
      String dbId = databaseIds.get(database[d]);
      long sent = 0;
      for (int k = 0; k < batches; k++) {
        List<Change> original = transactions.get(k * devices + d);
        List<Change> batch = new ArrayList<>(original.size());
        for (int i = 0; i < original.size(); i++) {
          Change c = original.get(i);
          Change own = new Change(c.table(), c.pk(), c.cid(), c.val(), c.colVersion(), k + 1, sites.get(d), c.cl(), i);
          batch.add(own);
          if (!own.isSentinel()) {
            cells[database[d]]++;
            checksum[database[d]] += cellHash(own);
          }
        }
        sent += batch.size();
        long remaining = (long) (batches - k - 1) * batch.size();
        encoded.add(encode(dbId, keys.get(d), k, batch, remaining));
      }
      perDevice = sent;
      byDevice.add(List.copyOf(encoded));
    }
    changesPerDevice = perDevice;
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
