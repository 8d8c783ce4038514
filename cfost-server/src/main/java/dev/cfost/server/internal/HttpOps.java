package dev.cfost.server.internal;

import dev.cfost.server.ServerConfig;
import io.javalin.config.JavalinConfig;
import io.javalin.config.JavalinState;
import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import io.javalin.router.ParsedEndpoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's side of the HTTP server: {@code GET /metrics} for loopback and {@code metrics.allow}
 * clients, and a hook after every request that counts it (by route template and status), counts its
 * refusal by error code and failed authentications by kind, and logs it at DEBUG.
 *
 * <p><b>Who may read /metrics.</b> The client as the auth endpoints see it (the peer, or behind a trusted
 * proxy the forwarded client) must be a loopback address or lie in {@code metrics.allow}. A request that
 * carries {@code X-Forwarded-For} or {@code Forwarded} from a peer that is not a trusted proxy came
 * through a proxy nobody declared: its client is unknown, so it is refused, even though the peer (the
 * proxy, often on loopback) would pass.
 */
public final class HttpOps {
  /** The error code of a refused request, set by the handler that refuses it; read after the request. */
  public static final String ERROR_ATTRIBUTE = "cfost.error";
  /** Route label of requests that matched no endpoint: their raw paths would make series without bound. */
  static final String UNMATCHED = "unmatched";
  private static final Logger LOG = LoggerFactory.getLogger(HttpOps.class);
  /** Which refusals are failed authentications, and of what kind. */
  private static final Map<String, String> AUTH_FAILURES = Map.of(
      "invalid_credentials", "login_refused",
      "unauthorized", "bad_token",
      "invalid_token", "bad_token",
      "invalid_grant", "bad_refresh_token");

  private final ServerMetrics metrics;
  private final List<IpRange> allowed = new ArrayList<>();
  private final Set<String> trustedProxies;
  private final Function<Context, String> clientAddress;
  private final JavalinState javalin;

  private HttpOps(ServerMetrics metrics, ServerConfig config, Function<Context, String> clientAddress,
      JavalinState javalin) {
    this.metrics = metrics;
    this.javalin = javalin;
    this.trustedProxies = config.trustedProxies();
    this.clientAddress = clientAddress;
    for (String range : config.metricsAllow()) {
      allowed.add(IpRange.parse(range));
    }
  }

  /**
   * Adds {@code /metrics} and the request hook to a Javalin configuration.
   *
   * @param clientAddress the client of a request as the auth endpoints count it (trusted proxies applied)
   */
  public static void install(JavalinConfig c, ServerMetrics metrics, ServerConfig config,
      Function<Context, String> clientAddress) {
    HttpOps ops = new HttpOps(metrics, config, clientAddress, c.unsafe);
    c.routes.get("/metrics", ops::metrics);
    c.requestLogger.http(ops::requestEnded);
  }

  private void metrics(Context ctx) {
    String client = clientAddress.apply(ctx);
    if (!mayReadMetrics(ctx, client)) {
      LogEvent.info(LOG, "metrics_refused").with("addr", client).log();
      throw new ApiException(403, "forbidden", "/metrics is served to loopback clients and to the addresses of"
          + " metrics.allow only");
    }
    ctx.status(200);
    ctx.contentType("text/plain; version=0.0.4; charset=utf-8");
    ctx.header("Cache-Control", "no-store");
    ctx.result(metrics.scrape());
  }

  private boolean mayReadMetrics(Context ctx, String client) {
    String peer = ServerConfig.ipLiteral(ctx.req().getRemoteAddr());
    boolean forwarded = ctx.header("X-Forwarded-For") != null || ctx.header("Forwarded") != null;
    if (forwarded && (peer == null || !trustedProxies.contains(peer))) {
      return false;
    }
    if (isLoopback(client)) {
      return true;
    }
    for (IpRange r : allowed) {
      if (r.contains(client)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isLoopback(String address) {
    String ip = ServerConfig.ipLiteral(address);
    return ip != null && (ip.startsWith("127.") || "0:0:0:0:0:0:0:1".equals(ip));
  }

  private void requestEnded(Context ctx, Float millis) {
    String route = route(ctx);
    int status = ctx.statusCode();
    metrics.httpRequest(ctx.method().name(), route, status, Duration.ofNanos((long) (millis * 1_000_000L)));
    String code = ctx.attribute(ERROR_ATTRIBUTE);
    if (code != null) {
      metrics.error(code);
      String kind = AUTH_FAILURES.get(code);
      if (kind == null && "too_many_requests".equals(code) && "/v1/auth/login".equals(route)) {
        kind = "rate_limited";
      }
      if (kind != null) {
        metrics.authFailure(kind);
      }
    }
    LogEvent.debug(LOG, "http_request").with("method", ctx.method().name()).with("route", route)
        .with("status", status).with("ms", Math.round(millis)).with("code", code)
        .with("addr", clientAddress.apply(ctx)).log();
  }

  /**
   * The template of the request's endpoint ({@code /v1/auth/login}), never the raw path: the one that
   * handled it, else (refused by a before-handler, such as the bearer check) the one it would have reached.
   */
  private String route(Context ctx) {
    Endpoint handled = ctx.endpoints().matchedHttpEndpoint();
    if (handled != null) {
      return handled.path;
    }
    ParsedEndpoint would = javalin.internalRouter.findFirstHttpHandlerEntry(ctx.method(), ctx.path());
    return would == null ? UNMATCHED : would.endpoint.path;
  }
}
