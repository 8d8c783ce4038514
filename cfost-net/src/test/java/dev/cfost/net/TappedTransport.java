package dev.cfost.net;

import java.io.IOException;
import java.security.PublicKey;
import java.util.List;
import java.util.function.Consumer;

/**
 * A transport whose connections pass every frame through a {@link Tap}: for tests that watch the messages
 * of real sessions, or drop or hold some of them back.
 */
final class TappedTransport implements Transport {
  /** What a test does with the frames; each method runs on the thread that sends or reads the frame. */
  interface Tap {
    /** Before {@code frame} is written to {@code connection}: false drops it (or the tap sends it later). */
    default boolean sending(Connection connection, byte[] frame) throws IOException {
      return true;
    }

    /** After {@code frame} was written. */
    default void sent(byte[] frame) {}

    /** After {@code frame} was read, before the session sees it: false drops it, and the next one is read. */
    default boolean received(byte[] frame) {
      return true;
    }
  }

  private final Transport inner;
  private final Tap tap;

  TappedTransport(Transport inner, Tap tap) {
    this.inner = inner;
    this.tap = tap;
  }

  @Override
  public String name() {
    return inner.name();
  }

  @Override
  public PeerAddress start(Consumer<Connection> inbound) throws IOException {
    return inner.start(c -> inbound.accept(new Tapped(c)));
  }

  @Override
  public void announce(Topic topic) {
    inner.announce(topic);
  }

  @Override
  public List<PeerAddress> lookup(Topic topic) {
    return inner.lookup(topic);
  }

  @Override
  public Connection connect(PeerAddress address) throws IOException {
    return new Tapped(inner.connect(address));
  }

  @Override
  public void close() {
    inner.close();
  }

  private final class Tapped implements Connection {
    private final Connection c;

    Tapped(Connection c) {
      this.c = c;
    }

    @Override
    public void send(byte[] frame) throws IOException {
      if (tap.sending(c, frame)) {
        c.send(frame);
        tap.sent(frame);
      }
    }

    @Override
    public byte[] receive() throws IOException {
      while (true) {
        byte[] frame = c.receive();
        if (frame == null || tap.received(frame)) {
          return frame;
        }
      }
    }

    @Override
    public PublicKey peerPublicKey() {
      return c.peerPublicKey();
    }

    @Override
    public void authorized() {
      c.authorized();
    }

    @Override
    public String remote() {
      return c.remote();
    }

    @Override
    public void close() {
      c.close();
    }
  }
}
