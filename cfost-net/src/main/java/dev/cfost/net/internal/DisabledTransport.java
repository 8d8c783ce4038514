package dev.cfost.net.internal;

import dev.cfost.net.Connection;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.Topic;
import dev.cfost.net.Transport;
import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;

/** Local only: accepts nothing, finds nothing, connects nowhere. */
public final class DisabledTransport implements Transport {
  @Override
  public String name() {
    return "disabled";
  }

  @Override
  public PeerAddress start(Consumer<Connection> inbound) {
    return null;
  }

  @Override
  public void announce(Topic topic) {}

  @Override
  public List<PeerAddress> lookup(Topic topic) {
    return List.of();
  }

  @Override
  public Connection connect(PeerAddress address) throws IOException {
    throw new IOException("sync is disabled: not connecting to " + address);
  }

  @Override
  public void close() {}
}
