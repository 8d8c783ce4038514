package dev.cfost.server.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server's metrics, served by {@code GET /metrics} in Prometheus's text format: one registry per
 * server, owned here. Every metric is listed in docs/SERVER.md, "Metrics"; a new one is added there too.
 *
 * <p>Label values come from the server's own vocabulary (transports, close reasons, error codes, route
 * templates), never from a request's raw path or a user id: each label value makes a series, and a
 * client must not be able to make series without bound.
 *
 * <p>Thread-safe: called from Jetty's request threads and the sync sessions' threads.
 */
public final class ServerMetrics implements AutoCloseable {
  /** Buckets of the latency histograms, from 1 ms to 10 s: Prometheus derives percentiles from them. */
  private static final Duration[] BUCKETS = {
      Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
      Duration.ofSeconds(10)};

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final Map<String, AtomicInteger> open = new ConcurrentHashMap<>();
  private final Counter changesIn;
  private final Counter changesOut;
  private final Counter batchesIn;
  private final Counter batchesOut;
  private final Timer merge;

  public ServerMetrics() {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    gc.bindTo(registry);
    changesIn = Counter.builder("cfost.sync.changes.received").description("changes received from devices")
        .register(registry);
    changesOut = Counter.builder("cfost.sync.changes.sent").description("changes sent to devices")
        .register(registry);
    batchesIn = Counter.builder("cfost.sync.batches.received").description("batches received from devices")
        .register(registry);
    batchesOut = Counter.builder("cfost.sync.batches.sent").description("batches sent to devices")
        .register(registry);
    merge = Timer.builder("cfost.sync.merge").description("time to merge one received batch into the store")
        .serviceLevelObjectives(BUCKETS).register(registry);
    for (String transport : new String[] {"websocket", "sse"}) {
      gauge(transport); // present at 0 from the start, so a dashboard shows the series before a client comes
    }
  }

  // ---- sync connections (WebSocket /v1/sync, HTTP + SSE)

  /** A sync connection of {@code transport} ({@code websocket} or {@code sse}) was accepted. */
  public void connectionOpened(String transport) {
    gauge(transport).incrementAndGet();
  }

  /**
   * A sync connection of {@code transport} ended, for {@code reason}: a short word of the server's
   * vocabulary ({@code client_closed}, {@code server_stopping}, {@code protocol_error}, {@code idle},
   * {@code revoked}, ...), never free text.
   */
  public void connectionClosed(String transport, String reason) {
    gauge(transport).decrementAndGet();
    Counter.builder("cfost.sync.connections.closed").description("sync connections ended, by reason")
        .tag("transport", transport).tag("reason", reason).register(registry).increment();
  }

  private AtomicInteger gauge(String transport) {
    return open.computeIfAbsent(transport, t -> {
      AtomicInteger n = new AtomicInteger();
      registry.gauge("cfost.sync.connections.open", Tags.of("transport", t), n);
      return n;
    });
  }

  /** {@code n} changes arrived from a device (call {@link #batchIn} too for each batch). */
  public void changesIn(int n) {
    changesIn.increment(n);
  }

  /** {@code n} changes left for a device (call {@link #batchOut} too for each batch). */
  public void changesOut(int n) {
    changesOut.increment(n);
  }

  /** A batch arrived from a device. */
  public void batchIn() {
    batchesIn.increment();
  }

  /** A batch left for a device. */
  public void batchOut() {
    batchesOut.increment();
  }

  /** The time one received batch took to merge (validation, the store's transaction). */
  public void recordMerge(Duration took) {
    merge.record(took);
  }

  /** The merge timer, for {@code Timer.Sample} or {@code merge.record(() -> ...)}. */
  public Timer mergeTimer() {
    return merge;
  }

  // ---- refusals

  /**
   * A client failed to authenticate: {@code kind} is {@code login_refused} (wrong login or password),
   * {@code bad_token} (a bearer missing, unknown, expired or revoked), {@code bad_refresh_token},
   * {@code rate_limited} (a login refused before checking, past the limits) or {@code bad_device_proof}.
   */
  public void authFailure(String kind) {
    Counter.builder("cfost.auth.failures").description("failed authentications, by kind")
        .tag("kind", kind).register(registry).increment();
  }

  /** A request or a sync session was refused or failed with error {@code code} (the body's "error"). */
  public void error(String code) {
    Counter.builder("cfost.errors").description("refusals and failures, by error code")
        .tag("code", code).register(registry).increment();
  }

  /** An HTTP request ended: {@code route} is the matched route template ({@code /v1/auth/login}). */
  void httpRequest(String method, String route, int status, Duration took) {
    Timer.builder("cfost.http.requests").description("HTTP requests, by route template and status")
        .tags("method", method, "route", route, "status", Integer.toString(status))
        .serviceLevelObjectives(BUCKETS).register(registry).record(took);
  }

  /** The registry, for meters this class does not define yet. */
  public MeterRegistry registry() {
    return registry;
  }

  /** Every metric in Prometheus's text format (version 0.0.4). */
  public String scrape() {
    return registry.scrape();
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
