package dev.cfost;

import static dev.cfost.TestDb.sql;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Invariant 4: the clock never goes backwards, also across a restart with the wall clock stepped back. */
class ClockPersistenceTest {
  @TempDir Path dir;

  @Test
  void aRestartWithTheWallClockSteppedBackStillIssuesLaterVersions() {
    AtomicLong wall = new AtomicLong(1_800_000_000_000L);
    long before;
    try (Cfost db = TestDb.open(dir.resolve("c.db"), wall::get)) {
      sql(db, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
      db.replicate("t");
      sql(db, "INSERT INTO t VALUES ('x', 1)");
      before = TestDb.allChanges(db, 10).get(0).colVersion();
    }
    wall.addAndGet(-3_600_000); // an hour back, as after a bad NTP step
    try (Cfost db = TestDb.open(dir.resolve("c.db"), wall::get)) {
      sql(db, "CREATE TABLE u(id TEXT PRIMARY KEY NOT NULL, v)");
      db.replicate("u");
      sql(db, "INSERT INTO u VALUES ('y', 1)");
      long after = TestDb.allChanges(db, 10).stream().filter(c -> c.table().equals("u")).findFirst()
          .orElseThrow().colVersion();
      assertThat(after).isGreaterThan(before);
    }
  }

  @Test
  void aLaterLocalEditBeatsAnEarlierRemoteOneEvenWithASlowWallClock() {
    AtomicLong fast = new AtomicLong(1_800_000_010_000L);
    AtomicLong slow = new AtomicLong(1_800_000_000_000L);
    try (Cfost a = TestDb.open(dir.resolve("a.db"), fast::get); Cfost b = TestDb.open(dir.resolve("b.db"), slow::get)) {
      for (Cfost db : new Cfost[] {a, b}) {
        sql(db, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, v)");
        db.replicate("t");
      }
      sql(a, "INSERT INTO t VALUES ('x', 'from the fast clock')");
      TestDb.pull(b, a, 10);
      // b saw a's edit, so its next edit is causally later and must win although b's wall clock is behind.
      sql(b, "UPDATE t SET v = 'later, on the slow clock' WHERE id = 'x'");
      TestDb.pull(a, b, 10);
      assertThat(TestDb.dump(a, "t")).containsExactly("text:x | text:later, on the slow clock");
    }
  }
}
