package dev.cfost.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.BusyHandler;

class FineBusyWaitTest {
  @TempDir Path dir;

  @Test
  void waitsForTheWriteLockUntilItsTimeoutThenReportsTheDatabaseLocked() throws Exception {
    String url = "jdbc:sqlite:" + dir.resolve("t.db");
    try (Connection holder = DriverManager.getConnection(url); Connection waiter = DriverManager.getConnection(url);
        Statement h = holder.createStatement(); Statement w = waiter.createStatement()) {
      h.execute("PRAGMA journal_mode = WAL");
      h.execute("CREATE TABLE t(x)");
      BusyHandler.setHandler(waiter, new FineBusyWait(1000));
      h.execute("BEGIN IMMEDIATE");
      long start = System.nanoTime();
      assertThatThrownBy(() -> w.execute("BEGIN IMMEDIATE")).isInstanceOf(SQLException.class)
          .hasMessageContaining("locked");
      long waitedMillis = (System.nanoTime() - start) / 1_000_000;
      assertThat(waitedMillis).as("ms waited before giving up").isGreaterThanOrEqualTo(1000).isLessThan(20_000);

      // An interrupted thread is taken as cancelled: it does not wait (nor spin), and keeps its interrupt.
      Thread.currentThread().interrupt();
      long before = System.nanoTime();
      assertThatThrownBy(() -> w.execute("BEGIN IMMEDIATE")).hasMessageContaining("locked");
      assertThat(Thread.interrupted()).as("the interrupt is kept").isTrue();
      assertThat((System.nanoTime() - before) / 1_000_000).as("ms an interrupted thread waited").isLessThan(900);

      // A later wait starts its own clock: the lock freed meanwhile is taken.
      var later = java.util.concurrent.CompletableFuture.runAsync(() -> {
        try {
          w.execute("BEGIN IMMEDIATE");
          w.execute("INSERT INTO t VALUES (1)");
          w.execute("COMMIT");
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
      });
      Thread.sleep(100);
      h.execute("COMMIT");
      later.get(5, java.util.concurrent.TimeUnit.SECONDS);
    }
  }
}
