package dev.cfost.bench;

import static dev.cfost.bench.ServerBench.OVERLAP_USER;
import static dev.cfost.bench.ServerBench.seconds;

import dev.cfost.net.SyncProgress;
import java.io.IOException;
import java.net.URI;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * (1b) The initial sync with device B online while device A pushes: both hops at once, as when both devices
 * run {@code cfost start --server} and A brings its rows. Both devices are known to the server first (A has
 * synced the user's device list, B has caught up with it), as in daily use. Timed from A's start until B holds
 * every row of A; measure (1) instead times A -> server, then B connecting and pulling
 * everything (store and forward).
 */
final class OverlappedSync {
  private OverlappedSync() {}

  /** The summary line, and whether B ended equal to the raw table. */
  record Result(String summary, boolean same) {}

  /**
   * @param p a pair of its own user ({@link ServerBench#OVERLAP_USER}, registered on the server), without rows
   * @param rows A's rows, inserted (not timed) once A is known to the server: the raw insert's, so that B is
   *     compared with it
   * @param rawWall the raw insert's wall time, the mean of those before and after (1)
   */
  static Result run(ServerBench.Pair p, URI server, ChildProcess serverProcess, Rows rows, long rawWall,
      String rawFingerprint) throws Exception {
    System.out.printf(Locale.ROOT, "%n(1b) initial sync of %,d rows with B online while A pushes (another user);"
        + " load %.2f%n", rows.count(), SyncBench.load());
    ServerBench.Device first = new ServerBench.Device("overlap A", p.a(), p.keysA(), p.identityUser(), server,
        OVERLAP_USER);
    first.prepare();
    first.peer.start();
    ServerBench.await("the server has the overlap user's device list", 5 * 60_000L,
        () -> first.progress().connected() && first.progress().delivered());
    first.disconnect();
    long t = System.nanoTime();
    try (Connection c = p.a().connect()) {
      rows.insertAll(c);
    }
    p.a().capture();
    System.out.printf(Locale.ROOT, "  device A: %,d rows inserted and captured offline (not timed) in %.1f s%n",
        rows.count(), seconds(System.nanoTime() - t));
    try (ServerBench.Device a = new ServerBench.Device("overlap A", p.a(), p.keysA(), p.identityUser(), server,
            OVERLAP_USER);
        ServerBench.Device b = new ServerBench.Device("overlap B", p.b(), p.keysB(), p.identityUser(), server,
            OVERLAP_USER)) {
      b.prepare();
      b.peer.start();
      if (!b.eose.await(5, TimeUnit.MINUTES)) {
        throw new IOException("device B did not catch up with the device list within 5 minutes");
      }
      a.prepare();
      return timed(a, b, serverProcess, rows.count(), rawWall, rawFingerprint);
    }
  }

  private static long count(Connection c) {
    try {
      return Workloads.queryLong(c, "SELECT count(*) FROM " + Rows.TABLE);
    } catch (SQLException e) {
      throw new IllegalStateException("counting device B's rows: " + e.getMessage(), e);
    }
  }

  private static Result timed(ServerBench.Device a, ServerBench.Device b, ChildProcess server, long rows, long rawWall,
      String rawFingerprint) throws Exception {
    long received0 = b.progress().changesReceived();
    Connection bRows = b.db.connect(); // B's row count, read once A's changes are all on the server
    ThreadCpu.Usage serverCpu0 = server.cpu();
    ThreadCpu.Usage cpu0 = ThreadCpu.Usage.now();
    long t0 = System.nanoTime();
    a.peer.start();
    long[] pushedAt = {0};
    try {
      long[] countedAt = {0};
      ServerBench.await("device B holds every row of device A", 30 * 60_000L, () -> {
        SyncProgress pa = a.progress();
        if (!(pa.connected() && pa.delivered() && pa.changesSent() >= rows)) {
          return false;
        }
        long now = System.nanoTime();
        if (pushedAt[0] == 0) {
          pushedAt[0] = now;
        }
        // B's rows, not its counters: those count a batch again after a reconnection. Every 20 ms at most, so
        // that the count does not take B's cores.
        if (now - countedAt[0] < 20_000_000L) {
          return false;
        }
        countedAt[0] = now;
        return count(bRows) == rows;
      });
    } finally {
      bRows.close();
    }
    long total = System.nanoTime() - t0;
    ThreadCpu.Usage serverCpu1 = server.cpu();
    ThreadCpu.Usage cpu1 = ThreadCpu.Usage.now();
    String got;
    try (Connection c = b.db.connect()) {
      got = Workloads.fingerprint(c);
    }
    boolean same = got.equals(rawFingerprint);
    long cpu = serverCpu1.since(serverCpu0) + cpu1.since(cpu0);
    double ratio = (double) total / rawWall;
    System.out.printf(Locale.ROOT, "  A's changes all acknowledged by the server after %.2f s; B has them all after"
        + " %.2f s (%,d changes received); CPU: server %.2f s, this process %.2f s%n", seconds(pushedAt[0] - t0),
        seconds(total), b.progress().changesReceived() - received0, seconds(serverCpu1.since(serverCpu0)),
        seconds(cpu1.since(cpu0)));
    System.out.printf("  CPU by thread, server: %s%n", serverCpu1.breakdownSince(serverCpu0));
    System.out.printf("  CPU by thread, this process: %s%n", cpu1.breakdownSince(cpu0));
    System.out.printf(Locale.ROOT, "  B %s the raw table (%s)%n", same ? "equals" : "DIFFERS FROM", got);
    System.out.printf(Locale.ROOT, "  total %.2f s; raw insert %.2f s (the mean of (1)'s two); ratio %.2fx (target"
        + " <= 3x: %s)%n",
        seconds(total), seconds(rawWall), ratio, ratio <= 3 ? "met" : "MISSED");
    return new Result(String.format(Locale.ROOT, "(1b) initial sync %,d rows, B online while A pushes: total %.2f s;"
        + " ratio %.2fx (target <= 3x: %s); CPU of all processes %.2f s%s", rows, seconds(total), ratio,
        ratio <= 3 ? "met" : "missed", seconds(cpu), same ? "" : "; B DIFFERS from the raw table"), same);
  }
}
