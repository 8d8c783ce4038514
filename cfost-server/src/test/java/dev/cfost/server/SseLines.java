package dev.cfost.server;

import dev.cfost.net.SyncMessage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A small client of {@code GET /v1/sync/events} (SseStream is the full one): the events as they arrive, each with its {@code id}, read by a
 * daemon thread into a queue; {@link #await} waits at most 10 s.
 */
final class SseLines implements AutoCloseable {
  /** One event: its type, id (null if none) and message. */
  record Event(String type, String id, SyncMessage message) {}

  private static final Object END = new Object();
  final int status;
  private final Stream<String> lines;
  private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();

  private SseLines(int status, Stream<String> lines) {
    this.status = status;
    this.lines = lines;
  }

  /** Opens the stream; {@link #status} says whether the server took it (200) or refused it. */
  static SseLines open(int port, String pathAndQuery, String bearer) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
        .timeout(Duration.ofSeconds(10)).GET();
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    HttpResponse<Stream<String>> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
        .sendAsync(b.build(), HttpResponse.BodyHandlers.ofLines()).get(10, TimeUnit.SECONDS);
    SseLines s = new SseLines(r.statusCode(), r.body());
    if (r.statusCode() == 200) {
      Thread reader = new Thread(s::read, "sse-reader");
      reader.setDaemon(true);
      reader.start();
    } else {
      r.body().close();
    }
    return s;
  }

  private void read() {
    String type = null;
    String id = null;
    try {
      for (Iterator<String> it = lines.iterator(); it.hasNext(); ) {
        String line = it.next();
        if (line.startsWith("event: ")) {
          type = line.substring(7);
        } else if (line.startsWith("id: ")) {
          id = line.substring(4);
        } else if (line.startsWith("data: ")) {
          events.add(new Event(type, id, SyncMessage.decode(line.substring(6).getBytes(StandardCharsets.UTF_8))));
          type = null;
          id = null;
        }
      }
    } catch (RuntimeException e) {
      // closed by the test or the server
    } finally {
      events.add(END);
    }
  }

  /** The next event whose message is a {@code type}, skipping others; fails if the stream ends or after 10 s. */
  <T extends SyncMessage> T await(Class<T> type) throws InterruptedException {
    return type.cast(next(type).message());
  }

  /** Like {@link #await}, with the event's type and id. */
  Event next(Class<? extends SyncMessage> type) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      Object e = events.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (e == null) {
        throw new AssertionError("no " + type.getSimpleName() + " event within 10 s");
      }
      if (e == END) {
        events.add(END);
        throw new AssertionError("the stream ended before a " + type.getSimpleName() + " event");
      }
      if (type.isInstance(((Event) e).message())) {
        return (Event) e;
      }
    }
  }

  @Override
  public void close() {
    lines.close();
  }
}
