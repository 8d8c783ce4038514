package dev.cfost.net;

import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Test helpers: replicas with a schema, SQL, table dumps, and waiting for a condition. */
final class Nodes {
  private Nodes() {}

  static Cfost replica(Path file) {
    Cfost db = Cfost.open(CfostOptions.builder(file).captureInterval(Duration.ofMillis(5)).build());
    sql(db, "CREATE TABLE IF NOT EXISTS todo(id TEXT PRIMARY KEY NOT NULL, title TEXT, owner TEXT)");
    db.replicate("todo");
    return db;
  }

  static void sql(Cfost db, String... statements) {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }

  static List<String> dump(Cfost db) {
    List<String> rows = new ArrayList<>();
    try (Connection c = db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, title, owner FROM todo ORDER BY id")) {
      while (rs.next()) {
        rows.add(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3));
      }
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
    return rows;
  }

  static long count(Cfost db) {
    return dump(db).size();
  }

  /** Waits up to {@code seconds} for {@code condition}; fails with {@code what} otherwise. */
  static void await(String what, int seconds, BooleanSupplier condition) {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        StringBuilder dump = new StringBuilder();
        Thread.getAllStackTraces().forEach((t, stack) -> {
          if (t.getName().startsWith("cfost")) {
            dump.append(t.getName()).append(' ').append(t.getState()).append('\n');
            for (int i = 0; i < Math.min(8, stack.length); i++) {
              dump.append("    at ").append(stack[i]).append('\n');
            }
          }
        });
        System.err.println("cfost threads when the wait for '" + what + "' timed out:\n" + dump);
        throw new AssertionError("timed out after " + seconds + " s waiting for: " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted");
      }
    }
  }
}
