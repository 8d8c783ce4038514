package dev.cfost;

import static dev.cfost.TestDb.dump;
import static dev.cfost.TestDb.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.internal.PackedKey;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * col_version 0 (a real cr-sqlite peer sends it for a cell it never wrote in the row's life) against a
 * cell this replica never wrote: the replica's own site must play no part in the decision.
 */
class ColVersionZeroTest {
  private static final byte[] PK = PackedKey.pack(List.of("r"));

  @TempDir Path dir;

  @Test
  void colVersionZeroChangesFromTwoSitesEndIdenticalWhateverTheLocalSiteAndOrder() {
    Change created = new Change("t", PK, "w", "w", 1, 1, site(0x40), 1, 0);
    Change fromX = new Change("t", PK, "v", null, 0, 1, site(0x40), 1, 1);
    Change fromY = new Change("t", PK, "v", null, 0, 1, site(0x80), 1, 0);
    try (Cfost low = replica("low.db", 0x01); Cfost high = replica("high.db", 0xfe)) {
      for (Change c : List.of(created, fromX, fromY)) {
        low.merge(List.of(c));
      }
      for (Change c : List.of(created, fromY, fromX)) {
        high.merge(List.of(c));
      }
      assertThat(dump(low, "t")).isEqualTo(dump(high, "t"));
      assertThat(clocks(low)).isEqualTo(clocks(high)).contains("v=null@0 site 80 cl 1");
    }
  }

  @Test
  void aColVersionZeroChangeWinsACellNeverWrittenInTheRowsNewLife() {
    byte[] x = site(0x40);
    try (Cfost low = replica("low.db", 0x01); Cfost high = replica("high.db", 0xfe)) {
      for (Cfost db : List.of(low, high)) {
        db.merge(List.of(new Change("t", PK, "v", "old", 5, 1, x, 1, 0)));
        // A resurrection whose delete this replica never saw: the base row stays, its cells' clocks reset.
        db.merge(List.of(new Change("t", PK, Change.SENTINEL, null, 3, 2, x, 3, 0)));
        db.merge(List.of(new Change("t", PK, "v", "new", 0, 3, site(0x10), 3, 0)));
      }
      assertThat(dump(low, "t")).isEqualTo(dump(high, "t")).containsExactly("text:r | text:new | null:null");
      assertThat(clocks(low)).isEqualTo(clocks(high));
    }
  }

  private Cfost replica(String file, int site) {
    Cfost db = TestDb.openAsSite(CfostOptions.builder(dir.resolve(file)).captureInterval(Duration.ZERO).build(), site);
    sql(db, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v, w)");
    db.replicate("t");
    return db;
  }

  /** The replica's change stream without its local positions (db_version, seq). */
  private static TreeSet<String> clocks(Cfost db) {
    TreeSet<String> out = new TreeSet<>();
    for (Change c : TestDb.allChanges(db, 100)) {
      out.add(c.cid() + "=" + c.val() + "@" + c.colVersion() + " site " + Values.hex(c.siteId()).substring(0, 2)
          + " cl " + c.cl());
    }
    return out;
  }

  private static byte[] site(int b) {
    byte[] id = new byte[16];
    Arrays.fill(id, (byte) b);
    return id;
  }
}
