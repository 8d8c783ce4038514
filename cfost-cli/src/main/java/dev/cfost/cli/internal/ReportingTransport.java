package dev.cfost.cli.internal;

import dev.cfost.net.Connection;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.Topic;
import dev.cfost.net.Transport;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A transport that remembers why connecting to an address failed, which the peer itself only retries: so
 * that {@code sync} can stop at once when nobody listens, and the daemon's log says why a peer stays
 * away (once per failure, not at every retry). Thread-safe.
 */
final class ReportingTransport implements Transport {
  private final Transport delegate;
  private final Consumer<String> log;
  private final Map<PeerAddress, String> failing = new ConcurrentHashMap<>();

  /** @param log receives a line when an address starts failing or fails for a new reason */
  ReportingTransport(Transport delegate, Consumer<String> log) {
    this.delegate = delegate;
    this.log = log;
  }

  /** Why the last attempt to connect to {@code address} failed, or null if it did not. */
  String failure(PeerAddress address) {
    return failing.get(address);
  }

  @Override
  public Connection connect(PeerAddress address) throws IOException {
    try {
      Connection c = delegate.connect(address);
      failing.remove(address);
      return c;
    } catch (IOException e) {
      String reason = Errors.describe(e).replaceFirst("^I/O error: ", "");
      if (!reason.equals(failing.put(address, reason))) {
        log.accept("cannot connect to " + address + ": " + reason + " (retrying)");
      }
      throw e;
    }
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public PeerAddress start(Consumer<Connection> inbound) throws IOException {
    return delegate.start(inbound);
  }

  @Override
  public void announce(Topic topic) {
    delegate.announce(topic);
  }

  @Override
  public List<PeerAddress> lookup(Topic topic) {
    return delegate.lookup(topic);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
