package dev.cfost.server.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cfost.server.ServerConfig;
import dev.cfost.server.ServerStore;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.MethodNotAllowedResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.SessionHandler;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.session.NullSessionCache;
import org.eclipse.jetty.session.NullSessionDataStore;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's HTTP routes on Javalin: {@code /health}, {@code /ready}, the auth endpoints, the bearer
 * check before every other {@code /v1} path, and JSON errors for everything refused. Built by
 * {@code CfostServer}; not started here.
 */
public final class HttpApi {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);

  private HttpApi() {}

  /**
   * A Javalin app serving {@code store}, not yet started.
   *
   * @param ready whether the server takes requests (false once it is stopping)
   * @param metrics the server's metrics, served by {@code /metrics} and fed by every request
   */
  public static Javalin create(ServerConfig config, ServerStore store, BooleanSupplier ready, Clock clock,
      ServerMetrics metrics, SyncService sync) {
    SyncApi devices = new SyncApi(store, config.maxBodyBytes());
    SyncEndpoints endpoints = new SyncEndpoints(sync, devices, config.sseKeepAlive());
    AuthApi auth = new AuthApi(store, config.argon2(), config.accessTokenTtl(), config.refreshTokenTtl(),
        config.maxBodyBytes(), config.demo(), config.loginFailuresPerAccount(), config.loginFailuresPerAddress(),
        config.registrationsPerAddress(), config.loginWindow(), config.trustedProxies(), clock);
    DocumentBackend backend = store instanceof PostgresServerStore pg ? pg.documents()
        : new SqliteDocumentBackend(config.dataDir().resolve("documents"));
    DocumentSockets documents = new DocumentSockets(backend, auth::tokenUser, config.sessionsPerUser());
    return Javalin.create(c -> {
      c.startup.showJavalinBanner = false;
      c.startup.showOldJavalinVersionWarning = false;
      c.http.maxRequestSize = config.maxBodyBytes();
      c.http.prefer405over404 = true; // a path served for other methods: 405 with Allow (RFC 9110, 15.5.6)
      c.jetty.host = config.host();
      c.jetty.port = config.port();
      c.jetty.modifyServer(server -> {
        server.setStopTimeout(5_000);
        server.setErrorHandler(new JsonErrorHandler());
      });
      c.jetty.modifyServletContextHandler(HttpApi::keepNoHttpSessions);
      if (config.tlsKeystore() != null) {
        c.jetty.addConnector((server, http) -> {
          SslContextFactory.Server ssl = new SslContextFactory.Server();
          ssl.setKeyStorePath(config.tlsKeystore().toAbsolutePath().toString());
          ssl.setKeyStoreType("PKCS12");
          ssl.setKeyStorePassword(config.tlsPassword());
          ServerConnector connector = new ServerConnector(server,
              new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(http));
          connector.setHost(config.host());
          connector.setPort(config.port());
          return connector;
        });
      }
      c.routes.get("/health", ctx -> AuthApi.json(ctx, 200, status("ok")));
      c.routes.get("/ready", ctx -> ready(ctx, store, ready));
      HttpOps.install(c, metrics, config, auth::clientAddress);
      c.routes.before("/v1/*", ctx -> {
        if (ctx.path().equals("/v1/sync") || ctx.path().startsWith("/v1/sync/")) {
          devices.requireDevice(ctx); // the sync endpoints take a device token instead of an access token
        } else {
          auth.requireBearer(ctx);
        }
      });
      c.routes.post("/v1/auth/register", auth::register);
      c.routes.post("/v1/auth/login", auth::login);
      c.routes.post("/v1/auth/refresh", auth::refresh);
      c.routes.post("/v1/auth/logout", auth::logout);
      c.routes.get("/v1/account", auth::account);
      c.routes.post("/v1/devices/challenge", devices::challenge);
      c.routes.post("/v1/devices/token", devices::token);
      endpoints.install(c);
      documents.install(c);
      c.routes.exception(ApiException.class, HttpApi::refused);
      c.routes.exception(Exception.class, (e, ctx) -> {
        if (clientGone(e)) {
          // The client reset or closed its connection while the answer (a WebSocket upgrade, say) was written:
          // nothing failed here, and there is no one left to answer.
          LogEvent.info(LOG, "client_gone").with("method", ctx.method().name()).with("path", ctx.path())
              .with("reason", String.valueOf(e.getMessage())).log();
          return;
        }
        LogEvent.error(LOG, "internal_error").with("method", ctx.method().name()).with("path", ctx.path())
            .with("user", ctx.attribute(AuthApi.USER_ATTRIBUTE)).cause(e).log();
        refused(new ApiException(500, "internal_error", "the server failed to handle the request"), ctx);
      });
      c.routes.exception(MethodNotAllowedResponse.class, (e, ctx) -> {
        String allowed = e.getDetails().getOrDefault("availableMethods", "");
        refused(new ApiException(405, "method_not_allowed", ctx.path() + " takes " + allowed + ", not "
            + ctx.method()).header("Allow", allowed), ctx);
      });
      c.routes.error(404, ctx -> {
        // An endpoint's own 404 (no such document, say) has its JSON body already; Javalin's has text.
        String type = ctx.res().getContentType();
        if (ctx.result() == null || ctx.result().isEmpty() || type == null || !type.startsWith("application/json")) {
          refused(new ApiException(404, "not_found", "no endpoint " + ctx.method() + " " + ctx.path()), ctx);
        }
      });
    });
  }

  /**
   * This server keeps no HTTP session. Javalin still reads the session's attributes at every WebSocket
   * upgrade, refused ones too, which makes a session, and Jetty's default cache holds every session for
   * ever (no expiry): a heap that anyone could grow by asking for upgrades. So none is cached (a session
   * made for a request is dropped with it), and no session cookie is sent.
   */
  private static void keepNoHttpSessions(ServletContextHandler context) {
    SessionHandler sessions = context.getSessionHandler();
    NullSessionCache none = new NullSessionCache(sessions);
    none.setSessionDataStore(new NullSessionDataStore());
    sessions.setSessionCache(none);
    sessions.setUsingCookies(false);
  }

  /** True if {@code e} comes from writing to a connection the client has reset or closed. */
  static boolean clientGone(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof org.eclipse.jetty.io.EofException) {
        return true;
      }
    }
    return false;
  }

  private static void ready(Context ctx, ServerStore store, BooleanSupplier ready) {
    boolean ok = ready.getAsBoolean();
    if (ok) {
      try {
        store.account("ready-probe");
      } catch (RuntimeException e) {
        LogEvent.warn(LOG, "store_unavailable").with("error", e.toString()).log();
        ok = false;
      }
    }
    AuthApi.json(ctx, ok ? 200 : 503, status(ok ? "ready" : "unavailable"));
  }

  private static ObjectNode status(String status) {
    return JsonBody.MAPPER.createObjectNode().put("status", status);
  }

  /**
   * Answers a refused WebSocket upgrade with its JSON body: Javalin maps the exception of an upgrade's
   * before-handler to a status and headers, but writes no body for it.
   */
  static void refuseUpgrade(Context ctx, ApiException e) {
    refused(e, ctx);
    try {
      byte[] body = body(e).toString().getBytes(StandardCharsets.UTF_8);
      ctx.res().setContentLength(body.length);
      ctx.res().getOutputStream().write(body);
      ctx.res().flushBuffer();
    } catch (IOException gone) {
      // the client went away: nothing to answer
    }
  }

  private static void refused(ApiException e, Context ctx) {
    ctx.attribute(HttpOps.ERROR_ATTRIBUTE, e.code);
    for (Map.Entry<String, String> h : e.headers.entrySet()) {
      ctx.header(h.getKey(), h.getValue());
    }
    AuthApi.json(ctx, e.status, body(e));
  }

  private static ObjectNode body(ApiException e) {
    ObjectNode body = JsonBody.MAPPER.createObjectNode().put("error", e.code).put("message", e.getMessage());
    if (e.field != null) {
      body.put("field", e.field);
    }
    return body;
  }
}
