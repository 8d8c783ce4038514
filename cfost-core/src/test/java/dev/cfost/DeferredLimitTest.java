package dev.cfost;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, item 8: a peer that claims a newer schema makes this replica keep its changes for tables it does
 * not know. Without a bound, it could fill the disk; the bound refuses the batch (nothing of it is kept).
 */
class DeferredLimitTest {
  @TempDir Path dir;

  private static List<Change> forUnknownTable(int from, int n, byte[] site) {
    List<Change> out = new ArrayList<>(n);
    for (int i = from; i < from + n; i++) {
      byte[] key = ("k" + i).getBytes(StandardCharsets.US_ASCII);
      byte[] pk = new byte[3 + key.length];
      pk[0] = 1;
      pk[1] = 11;
      pk[2] = (byte) key.length;
      System.arraycopy(key, 0, pk, 3, key.length);
      out.add(new Change("future", pk, "x", "value " + i, 1, i + 1, site, 1, 0));
    }
    return out;
  }

  private static long deferred(Cfost db) throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM cfost_deferred")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void atMost100000DeferredChangesAreKeptAndABatchBeyondIsRefusedWhole() throws Exception {
    byte[] site = new byte[16];
    site[0] = 7;
    try (Cfost db = TestDb.open(dir.resolve("a.db"))) {
      for (int batch = 0; batch < 5; batch++) {
        assertThat(db.mergeAll(forUnknownTable(batch * 20_000, 20_000, site).iterator(), true).deferred())
            .isEqualTo(20_000);
      }
      assertThat(deferred(db)).isEqualTo(100_000);
      assertThatThrownBy(() -> db.mergeAll(forUnknownTable(100_000, 10, site).iterator(), true))
          .isInstanceOf(InvalidChangeException.class).hasMessageContaining("deferred");
      assertThat(deferred(db)).isEqualTo(100_000);
    }
  }

  /** Found in review: set-aside changes counted in the bound, so they could stop deferral for good. */
  @Test
  void setAsideChangesNeverFillTheBoundAndOnlyTheNewestOfThemAreKept() throws Exception {
    byte[] site = new byte[16];
    site[0] = 7;
    try (Cfost db = TestDb.open(dir.resolve("a.db"))) {
      db.mergeAll(forUnknownTable(0, 1, site).iterator(), true); // creates the engine's tables
      try (Connection c = db.connect(); Statement st = c.createStatement()) {
        st.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120000)"
            + " INSERT INTO cfost_deferred(tbl, change, failed) SELECT 'gone', 'x', 'refused by the schema' FROM n");
      }
      assertThat(db.mergeAll(forUnknownTable(1, 10, site).iterator(), true).deferred()).isEqualTo(10);
      try (Connection c = db.connect(); Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT count(*) FROM cfost_deferred WHERE failed IS NOT NULL")) {
        rs.next();
        assertThat(rs.getLong(1)).isEqualTo(10_000);
      }
      assertThat(deferred(db)).isEqualTo(10_000 + 11);
    }
  }

  /** As a sync session merges: one batch of a peer's stream, with its cursor. */
  private static MergeResult fromPeer(Cfost db, byte[] peer, List<Change> changes) {
    ChangeBatch batch = new ChangeBatch(changes, Cursor.START, true);
    return db.mergeFromPeer(peer, List.of(batch).iterator(), true);
  }

  /** Issue 10 item 8: one hostile peer at its quota must not stop another peer's deferral. */
  @Test
  void theBoundIsPerPeerSoAPeerAtItsCapDoesNotStopAnotherPeersDeferral() throws Exception {
    byte[] site = new byte[16];
    site[0] = 7;
    byte[] peerA = new byte[16];
    peerA[0] = 'A';
    byte[] peerB = new byte[16];
    peerB[0] = 'B';
    try (Cfost db = TestDb.open(dir.resolve("a.db"))) {
      for (int batch = 0; batch < 5; batch++) {
        assertThat(fromPeer(db, peerA, forUnknownTable(batch * 20_000, 20_000, site)).deferred()).isEqualTo(20_000);
      }
      assertThatThrownBy(() -> fromPeer(db, peerA, forUnknownTable(100_000, 10, site)))
          .isInstanceOf(InvalidChangeException.class).hasMessageContaining("deferred");
      assertThat(fromPeer(db, peerB, forUnknownTable(200_000, 10, site)).deferred()).isEqualTo(10);
      assertThat(db.mergeAll(forUnknownTable(300_000, 10, site).iterator(), true).deferred())
          .as("a bundle (no peer) counts apart too").isEqualTo(10);
      assertThat(deferred(db)).isEqualTo(100_020);
      try (Connection c = db.connect(); Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT hex(peer), count(*) FROM cfost_deferred GROUP BY peer ORDER BY peer")) {
        List<String> perPeer = new ArrayList<>();
        while (rs.next()) {
          perPeer.add(rs.getString(1) + "=" + rs.getLong(2));
        }
        assertThat(perPeer).containsExactly("=10", dev.cfost.Values.hex(peerA).toUpperCase() + "=100000",
            dev.cfost.Values.hex(peerB).toUpperCase() + "=10");
      }
    }
  }

  /** Issue 10 item 8: changes still waiting after 30 days are deleted, at the next merge or at open. */
  @Test
  void deferredChangesStillWaitingAfter30DaysAreDeleted() throws Exception {
    byte[] site = new byte[16];
    site[0] = 7;
    byte[] peerA = new byte[16];
    peerA[0] = 'A';
    long day = 86_400_000L;
    java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_700_000_000_000L);
    WallClock clock = now::get;
    try (Cfost db = TestDb.open(dir.resolve("a.db"), clock)) {
      fromPeer(db, peerA, forUnknownTable(0, 5, site));
      now.addAndGet(20 * day);
      fromPeer(db, peerA, forUnknownTable(5, 3, site));
      now.addAndGet(10 * day + 1); // the first five are 30 days and 1 ms old
      db.mergeAll(List.<Change>of().iterator(), true);
      assertThat(deferred(db)).isEqualTo(3);
    }
    now.addAndGet(20 * day);
    try (Cfost db = TestDb.open(dir.resolve("a.db"), clock)) {
      assertThat(deferred(db)).as("expired at open").isZero();
    }
  }
}
