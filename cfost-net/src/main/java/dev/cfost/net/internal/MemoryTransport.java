package dev.cfost.net.internal;

import dev.cfost.net.Connection;
import dev.cfost.net.MemoryNetwork;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.Topic;
import dev.cfost.net.Transport;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A node of a {@link MemoryNetwork}. Announcing makes the node findable by topic; connections are pairs
 * of queues fed by the network's scheduler with the network's faults applied.
 */
public final class MemoryTransport implements Transport {
  private static final byte[] EOF = new byte[0];

  private final MemoryNetwork net;
  private final String name;
  private volatile Consumer<Connection> inbound;
  private final Set<Topic> topics = ConcurrentHashMap.newKeySet();
  private final Set<End> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  public MemoryTransport(MemoryNetwork net, String name) {
    this.net = net;
    this.name = name;
  }

  @Override
  public String name() {
    return "memory";
  }

  @Override
  public PeerAddress start(Consumer<Connection> inbound) {
    this.inbound = inbound;
    closed = false;
    return new PeerAddress(name, 0);
  }

  @Override
  public void announce(Topic topic) {
    topics.add(topic);
  }

  @Override
  public List<PeerAddress> lookup(Topic topic) {
    List<PeerAddress> out = new ArrayList<>();
    for (String other : net.nodeNames()) {
      MemoryTransport t = net.node(other);
      if (!other.equals(name) && t != null && !t.closed && t.topics.contains(topic) && net.reachable(name, other)) {
        out.add(new PeerAddress(other, 0));
      }
    }
    return out;
  }

  @Override
  public Connection connect(PeerAddress address) throws IOException {
    MemoryTransport target = net.node(address.host());
    if (closed || target == null || target.closed || target.inbound == null) {
      throw new IOException("no node listening at " + address);
    }
    if (!net.reachable(name, address.host())) {
      throw new IOException("partitioned from " + address);
    }
    End mine = new End(name, address.host());
    End theirs = new End(address.host(), name);
    mine.other = theirs;
    theirs.other = mine;
    open.add(mine);
    target.open.add(theirs);
    target.inbound.accept(theirs);
    return mine;
  }

  /** Breaks every connection between this node and {@code other}. */
  public void breakConnectionsTo(String other) {
    for (End e : open) {
      if (e.peer.equals(other)) {
        e.abort();
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    topics.clear();
    for (End e : open) {
      e.close();
    }
  }

  /** One end of a connection: frames sent here are delivered to {@link #other}'s queue. */
  private final class End implements Connection {
    final String self;
    final String peer;
    End other;
    final LinkedBlockingQueue<byte[]> inbox = new LinkedBlockingQueue<>();
    private long lastDelivery; // guarded by this: keeps order when frames are not reordered
    private volatile boolean ended;

    End(String self, String peer) {
      this.self = self;
      this.peer = peer;
    }

    @Override
    public void send(byte[] frame) throws IOException {
      if (ended || other.ended) {
        throw new IOException("connection to " + peer + " is closed");
      }
      if (!net.reachable(self, peer)) {
        abort();
        throw new IOException("partitioned from " + peer);
      }
      long[] fate = net.fate();
      if (fate == null) {
        net.clock().schedule(this::abort, 1, TimeUnit.MILLISECONDS); // a lost frame breaks the stream
        return;
      }
      boolean reorder = fate[fate.length - 1] == -1;
      byte[] copy = frame.clone();
      long now = System.nanoTime() / 1_000_000L;
      for (long delay : fate) {
        if (delay < 0) {
          continue;
        }
        long at;
        synchronized (this) {
          at = reorder ? now + delay : Math.max(now + delay, lastDelivery);
          if (!reorder) {
            lastDelivery = at;
          }
        }
        net.clock().schedule(() -> {
          if (!other.ended) {
            other.inbox.add(copy);
          }
        }, Math.max(0, at - now), TimeUnit.MILLISECONDS);
      }
    }

    @Override
    public byte[] receive() throws IOException {
      try {
        byte[] f = inbox.take();
        if (f == EOF) {
          inbox.add(EOF);
          return null;
        }
        return f;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      }
    }

    @Override
    public String remote() {
      return peer + ":0";
    }

    /**
     * Closes this end. The other end still receives the frames already sent, then end of stream, as
     * with a TCP FIN.
     */
    @Override
    public void close() {
      if (ended) {
        return;
      }
      ended = true;
      inbox.add(EOF);
      open.remove(this);
      End o = other;
      long now = System.nanoTime() / 1_000_000L;
      long at;
      synchronized (this) {
        at = Math.max(now, lastDelivery);
      }
      net.clock().schedule(() -> {
        if (!o.ended) {
          o.inbox.add(EOF);
        }
      }, at - now, TimeUnit.MILLISECONDS);
    }

    /** Breaks the connection at once in both directions, as a reset or a partition does. */
    void abort() {
      End o = other;
      for (End e : new End[] {this, o}) {
        if (!e.ended) {
          e.ended = true;
          e.inbox.add(EOF);
          open.remove(e);
        }
      }
    }
  }
}
