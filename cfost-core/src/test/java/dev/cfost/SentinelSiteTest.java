package dev.cfost;

import static dev.cfost.TestDb.sql;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The site a row's sentinel records must not depend on the order in which a life's changes arrive: a
 * sentinel of the life and a cell of another site, or cells of two sites, merged in either order.
 */
class SentinelSiteTest {
  @TempDir Path dir;
  private int replicas;

  private static Change change(String cid, Object val, long colVersion, int site, long cl) {
    byte[] siteId = new byte[16];
    Arrays.fill(siteId, (byte) site);
    return new Change("t", dev.cfost.internal.PackedKey.pack(List.of("k")), cid, val, colVersion, 1, siteId, cl, 0);
  }

  private String sentinelSiteAfter(List<Change> changes) {
    try (Cfost db = TestDb.open(dir.resolve("r" + replicas++ + ".db"))) {
      sql(db, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, a)");
      db.replicate("t");
      for (Change c : changes) {
        db.merge(List.of(c)); // one at a time: the order is the arrival order
      }
      List<String> sentinels = new ArrayList<>();
      for (Change c : TestDb.allChanges(db, 100)) {
        if (c.isSentinel()) {
          sentinels.add(c.cl() + " " + Values.hex(c.siteId()));
        }
      }
      assertThat(sentinels).hasSize(1);
      return sentinels.get(0);
    }
  }

  @Test
  void aSentinelOfTheLifeSetsItsSiteWhetherItComesBeforeOrAfterACellOfAGreaterSite() {
    Change sentinel = change(Change.SENTINEL, null, 3, 3, 3);
    Change cell = change("a", "x", 2_000_000_000_000L, 4, 3);
    String sentinelFirst = sentinelSiteAfter(List.of(sentinel, cell));
    String cellFirst = sentinelSiteAfter(List.of(cell, sentinel));
    assertThat(cellFirst).as("a cell first, then the sentinel").isEqualTo(sentinelFirst);
    assertThat(sentinelFirst).isEqualTo("3 " + "03".repeat(16));
  }

  @Test
  void aLifeKnownOnlyByItsCellsTakesTheGreatestSiteOfThemInEitherOrder() {
    Change four = change("a", "x", 2_000_000_000_000L, 4, 3);
    Change five = change("a", "y", 1_000_000_000_000L, 5, 3); // an older edit: it loses the cell, not the site
    assertThat(sentinelSiteAfter(List.of(four, five))).isEqualTo(sentinelSiteAfter(List.of(five, four)))
        .isEqualTo("3 " + "05".repeat(16));
  }
}
