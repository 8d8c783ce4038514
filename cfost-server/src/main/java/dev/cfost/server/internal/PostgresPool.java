package dev.cfost.server.internal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.cfost.server.StoreException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;

/**
 * The PostgreSQL store's connections: a bounded HikariCP pool (at most {@code size} connections, READ
 * COMMITTED, no auto-commit), each unit of work one transaction on one connection. Thread-safe.
 */
final class PostgresPool implements Transactions, AutoCloseable {
  private final HikariDataSource ds;
  /** The URL and credentials, for the listening connection, which is not the pool's. */
  final String url;
  final Properties credentials;
  private volatile boolean closed;

  private PostgresPool(HikariDataSource ds, String url, Properties credentials) {
    this.ds = ds;
    this.url = url;
    this.credentials = credentials;
  }

  /**
   * Opens the pool; the first connection is made now, so a wrong URL or password fails here.
   *
   * @param user the user, or null for the URL's ({@code ?user=...}) or the driver's default
   * @param password the password, or null for the URL's or none ({@code ~/.pgpass} is read by the driver)
   */
  static PostgresPool open(String url, String user, String password, int size) {
    if (url == null || !url.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException("a PostgreSQL JDBC URL starts with 'jdbc:postgresql:', not '"
          + WireChecks.printable(url == null ? null : url.replaceAll("password=[^&]*", "password=...")) + "'");
    }
    Properties credentials = new Properties();
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    if (user != null) {
      config.setUsername(user);
      credentials.setProperty("user", user);
    }
    if (password != null) {
      config.setPassword(password);
      credentials.setProperty("password", password);
    }
    config.setPoolName("cfost-server-store");
    config.setMaximumPoolSize(size);
    config.setMinimumIdle(Math.min(2, size));
    config.setAutoCommit(false);
    config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
    config.setConnectionTimeout(10_000);
    config.addDataSourceProperty("ApplicationName", "cfost-server");
    config.addDataSourceProperty("reWriteBatchedInserts", "true");
    try {
      return new PostgresPool(new HikariDataSource(config), url, credentials);
    } catch (RuntimeException e) { // HikariPool.PoolInitializationException: unreachable, refused, bad password
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new StoreException("cannot connect to PostgreSQL: " + cause.getMessage(), e);
    }
  }

  @Override
  public <T> T tx(String what, StoreFile.Work<T> work) {
    if (closed) {
      throw new IllegalStateException("the server store is closed");
    }
    try (Connection c = ds.getConnection()) {
      try {
        T out = work.run(c);
        c.commit();
        return out;
      } catch (SQLException e) {
        rollback(c);
        throw new StoreException(what + " failed in PostgreSQL: " + e.getMessage(), e);
      } catch (RuntimeException | Error e) {
        rollback(c);
        throw e;
      }
    } catch (SQLException e) { // no connection within the timeout, or closing it failed
      if (closed) {
        throw new IllegalStateException("the server store is closed", e);
      }
      throw new StoreException(what + " failed: no PostgreSQL connection: " + e.getMessage(), e);
    }
  }

  private static void rollback(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // The connection is broken; the pool drops it. The original error matters more.
    }
  }

  @Override
  public void close() {
    closed = true;
    ds.close(); // waits for connections in use to come back, closing them
  }
}
