package dev.cfost.server;

import dev.cfost.server.internal.HttpApi;
import dev.cfost.server.internal.PostgresServerStore;
import dev.cfost.server.internal.SyncService;
import dev.cfost.server.internal.LogEvent;
import dev.cfost.server.internal.ServerMetrics;
import io.javalin.Javalin;
import java.io.IOException;
import java.net.BindException;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running sync server: the HTTP endpoints of docs/SERVER.md over the embedded SQLite store under the
 * configured data directory, or over PostgreSQL when {@link ServerConfig#postgresUrl} is set.
 *
 * <p><b>Lifecycle.</b> {@link #start} opens the store and listens; {@link #close} has {@code /ready} answer
 * 503 while the sync sessions finish the batches they are merging and close, then stops listening, lets
 * requests in flight finish (up to 5 s each step), and closes the store.
 * Both are thread-safe; {@code close} is idempotent.
 *
 * <pre>{@code
 * try (CfostServer server = CfostServer.start(ServerConfig.builder().port(0).dataDir(dir).build())) {
 *   System.out.println("listening on " + server.host() + ":" + server.port());
 * }
 * }</pre>
 */
public final class CfostServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CfostServer.class);

  private final ServerConfig config;
  private final ServerStore store;
  private final Javalin app;
  private final ServerMetrics metrics;
  private final AtomicBoolean closed;
  private final SyncService sync;

  private CfostServer(ServerConfig config, ServerStore store, Javalin app, ServerMetrics metrics,
      AtomicBoolean closed, SyncService sync) {
    this.sync = sync;
    this.config = config;
    this.store = store;
    this.app = app;
    this.metrics = metrics;
    this.closed = closed;
  }

  /**
   * Opens the store and starts listening.
   *
   * @throws IOException if the address cannot be bound (in use, or not this machine's)
   * @throws StoreException if the store cannot be opened
   */
  public static CfostServer start(ServerConfig config) throws IOException {
    ServerStore store = config.postgresUrl() == null ? ServerStore.openSqlite(config.dataDir())
        : ServerStore.openPostgres(config.postgresUrl(), null, config.postgresPassword(),
            PostgresServerStore.DEFAULT_POOL_SIZE, Clock.systemUTC());
    AtomicBoolean closed = new AtomicBoolean();
    ServerMetrics metrics = new ServerMetrics();
    Javalin app;
    SyncService sync = null;
    try {
      sync = SyncService.create(store, metrics, Math.max(4, 2 * Runtime.getRuntime().availableProcessors()),
          config.sessionsPerUser());
      app = HttpApi.create(config, store, () -> !closed.get(), Clock.systemUTC(), metrics, sync);
      app.start();
    } catch (RuntimeException e) {
      if (sync != null) {
        sync.close();
      }
      store.close();
      metrics.close();
      Throwable cause = e;
      while (cause != null && !(cause instanceof BindException)) {
        cause = cause.getCause();
      }
      if (cause != null) {
        throw new IOException("cannot listen on " + config.host() + ":" + config.port() + ": " + cause.getMessage(), e);
      }
      throw e;
    }
    CfostServer server = new CfostServer(config, store, app, metrics, closed, sync);
    LogEvent.info(LOG, "server_started").with("listen", config.host() + ":" + server.port())
        .with("scheme", config.tlsKeystore() == null ? "http" : "https").with("data", config.postgresUrl() == null ? config.dataDir()
            : "PostgreSQL " + ServerConfig.redact(config.postgresUrl()))
        .with("demo", config.demo() ? "true" : null).log();
    return server;
  }

  /** The port listened on: the configured one, or the one picked for port 0. */
  public int port() {
    return app.port();
  }

  /** The host (address) listened on, as configured. */
  public String host() {
    return config.host();
  }

  public ServerConfig config() {
    return config;
  }

  /** Stops listening, finishing requests in flight, then closes the store. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      sync.closeAll("going_away", "the server is stopping");
      app.stop();
    } finally {
      sync.close();
      store.close();
      metrics.close();
      LogEvent.info(LOG, "server_stopped").log();
    }
  }
}
