package dev.cfost.server;

import dev.cfost.net.SyncMessage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A client of {@code GET /v1/sync/events} with java.net.http that reads the stream as it arrives and
 * parses it as Server-Sent Events: for tests that watch the events and their ids.
 *
 * <p>Lines come through {@code BodySubscribers.fromLineSubscriber} rather than {@code BodyHandlers.ofLines()}:
 * closing the latter's stream waits for the lock of the reader blocked in it (until the next keep-alive),
 * whereas a subscription is cancelled at once.
 */
final class SseStream implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(10);
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  /**
   * One event ({@code comment} null), or one comment line ({@code event}, {@code id}, {@code data} null);
   * {@code arrived} is the {@link System#nanoTime()} at which its last line was read off the connection.
   */
  record Event(String event, String id, String data, String comment, long arrived) {
    SyncMessage message() {
      return SyncMessage.decode(data.getBytes(StandardCharsets.UTF_8));
    }
  }

  private final BlockingQueue<Object> queue; // Event, or a String "ended: ..."
  private final Flow.Subscription[] subscription;
  final HttpResponse.ResponseInfo response;

  private SseStream(BlockingQueue<Object> queue, Flow.Subscription[] subscription, HttpResponse.ResponseInfo response) {
    this.queue = queue;
    this.subscription = subscription;
    this.response = response;
  }

  /** Opens {@code /v1/sync/events?QUERY} with the device token and extra headers; waits for the headers. */
  static SseStream open(int port, String query, String deviceToken, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/sync/events?" + query))
        .header("Authorization", "Bearer " + deviceToken).header("Accept", "text/event-stream").GET();
    headers.forEach(b::header);
    BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    Flow.Subscription[] subscription = new Flow.Subscription[1];
    CompletableFuture<HttpResponse.ResponseInfo> info = new CompletableFuture<>();
    Flow.Subscriber<String> lines = new Flow.Subscriber<>() {
      private String event;
      private String id;
      private StringBuilder data;

      @Override
      public void onSubscribe(Flow.Subscription s) {
        synchronized (subscription) {
          subscription[0] = s;
        }
        s.request(Long.MAX_VALUE);
      }

      @Override
      public void onNext(String line) {
        if (line.isEmpty()) {
          if (data != null) {
            queue.add(new Event(event == null ? "message" : event, id, data.toString(), null, System.nanoTime()));
          }
          event = null;
          id = null;
          data = null;
        } else if (line.startsWith(":")) {
          queue.add(new Event(null, null, null, line.substring(1).strip(), System.nanoTime()));
        } else {
          int colon = line.indexOf(':');
          String field = colon < 0 ? line : line.substring(0, colon);
          String value = colon < 0 ? "" : line.substring(colon + 1).replaceFirst("^ ", "");
          switch (field) {
            case "event" -> event = value;
            case "id" -> id = value;
            case "data" -> data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
            default -> queue.add("ended: an unknown field in line '" + line + "'");
          }
        }
      }

      @Override
      public void onError(Throwable t) {
        queue.add("ended: " + t);
      }

      @Override
      public void onComplete() {
        queue.add("ended: the server closed the stream");
      }
    };
    CLIENT.sendAsync(b.build(), i -> {
      info.complete(i);
      return HttpResponse.BodySubscribers.fromLineSubscriber(lines, s -> null, StandardCharsets.UTF_8, "\n");
    }).whenComplete((r, e) -> {
      if (e != null) {
        info.completeExceptionally(e);
      }
    });
    return new SseStream(queue, subscription, info.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
  }

  String header(String name) {
    return response.headers().firstValue(name).orElse(null);
  }

  /** The next event or comment; fails if the stream ends or nothing comes within {@link #WAIT}. */
  Event nextEventOrComment() throws InterruptedException {
    Object o = queue.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    if (o == null) {
      throw new AssertionError("no event within " + WAIT);
    }
    if (o instanceof String s) {
      queue.add(s);
      throw new AssertionError("the stream " + s);
    }
    return (Event) o;
  }

  /** The next event, skipping comments. */
  Event next() throws InterruptedException {
    while (true) {
      Event e = nextEventOrComment();
      if (e.comment() == null) {
        return e;
      }
    }
  }

  /** The next event, which must be of this type; returns its message. */
  <T extends SyncMessage> T next(Class<T> type) throws InterruptedException {
    Event e = next();
    SyncMessage m = e.message();
    if (!type.isInstance(m)) {
      throw new AssertionError("expected a " + type.getSimpleName() + " event, got " + e);
    }
    return type.cast(m);
  }

  /** Waits until the stream ends (the server closed it); fails after {@link #WAIT}. */
  String awaitEnd() throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      Object o = queue.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (o == null) {
        throw new AssertionError("the stream did not end within " + WAIT);
      }
      if (o instanceof String s) {
        return s;
      }
    }
  }

  @Override
  public void close() {
    synchronized (subscription) {
      if (subscription[0] != null) {
        subscription[0].cancel();
      }
    }
  }
}
