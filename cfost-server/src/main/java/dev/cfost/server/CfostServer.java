package dev.cfost.server;

import dev.cfost.server.internal.HttpApi;
import dev.cfost.server.internal.SyncService;
import io.javalin.Javalin;
import java.io.IOException;
import java.net.BindException;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running sync server: the HTTP endpoints of docs/SERVER.md over the embedded SQLite store under the
 * configured data directory.
 *
 * <p><b>Lifecycle.</b> {@link #start} opens the store and listens; {@link #close} stops taking requests
 * ({@code /ready} answers 503 at once), lets requests in flight finish (up to 5 s), then closes the store.
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
  private final AtomicBoolean closed;
  private final SyncService sync;

  private CfostServer(ServerConfig config, ServerStore store, Javalin app, AtomicBoolean closed, SyncService sync) {
    this.sync = sync;
    this.config = config;
    this.store = store;
    this.app = app;
    this.closed = closed;
  }

  /**
   * Opens the store and starts listening.
   *
   * @throws IOException if the address cannot be bound (in use, or not this machine's)
   * @throws StoreException if the store cannot be opened
   */
  public static CfostServer start(ServerConfig config) throws IOException {
    ServerStore store = ServerStore.openSqlite(config.dataDir());
    AtomicBoolean closed = new AtomicBoolean();
    Javalin app;
    SyncService sync = null;
    try {
      sync = SyncService.create(store, Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));
      app = HttpApi.create(config, store, () -> !closed.get(), Clock.systemUTC(), sync);
      app.start();
    } catch (RuntimeException e) {
      if (sync != null) {
        sync.close();
      }
      store.close();
      Throwable cause = e;
      while (cause != null && !(cause instanceof BindException)) {
        cause = cause.getCause();
      }
      if (cause != null) {
        throw new IOException("cannot listen on " + config.host() + ":" + config.port() + ": " + cause.getMessage(), e);
      }
      throw e;
    }
    CfostServer server = new CfostServer(config, store, app, closed, sync);
    LOG.info("listening on {}:{} ({}), data in {}{}", config.host(), server.port(),
        config.tlsKeystore() == null ? "http" : "https", config.dataDir(), config.demo() ? ", DEMO MODE" : "");
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
      LOG.info("stopped");
    }
  }
}
