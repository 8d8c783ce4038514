package dev.cfost.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on 127.0.0.1 in front of a server, for soak tests: it forwards bytes both ways, and
 * {@link #cutOne} breaks a random connection abruptly (both sockets reset, whatever is in flight is lost), as
 * a flapping network does. Two threads per connection; {@link #close} ends them all.
 */
final class CuttingProxy implements AutoCloseable {
  private final ServerSocket listening;
  private final int target;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong cuts = new AtomicLong();
  private volatile boolean closed;

  /** One client connection and its connection to the server. */
  private record Link(Socket client, Socket server) {
    void reset() {
      for (Socket s : List.of(client, server)) {
        try {
          s.setSoLinger(true, 0); // close sends RST: the other end sees the connection broken, not ended
          s.close();
        } catch (IOException e) {
          // already closed
        }
      }
    }
  }

  CuttingProxy(int targetPort) throws IOException {
    this.target = targetPort;
    this.listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "cutting-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return listening.getLocalPort();
  }

  long accepted() {
    return accepted.get();
  }

  long cuts() {
    return cuts.get();
  }

  int open() {
    return links.size();
  }

  /** Resets one random live connection; false if there was none. */
  boolean cutOne(Random random) {
    List<Link> now = new ArrayList<>(links);
    if (now.isEmpty()) {
      return false;
    }
    Link victim = now.get(random.nextInt(now.size()));
    if (links.remove(victim)) {
      cuts.incrementAndGet();
      victim.reset();
    }
    return true;
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = listening.accept();
      } catch (IOException e) {
        return; // closed
      }
      Socket server = new Socket();
      try {
        server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target), 5_000);
      } catch (IOException e) {
        new Link(client, server).reset();
        continue;
      }
      accepted.incrementAndGet();
      Link link = new Link(client, server);
      links.add(link);
      pump(link, client, server, "up");
      pump(link, server, client, "down");
      if (closed) {
        link.reset();
      }
    }
  }

  /**
   * Copies {@code from} to {@code to}. An orderly end is passed on as one (half-close), and the link is
   * closed once both directions ended; a failure resets the link.
   */
  private void pump(Link link, Socket from, Socket to, String direction) {
    Thread t = new Thread(() -> {
      byte[] buffer = new byte[16 * 1024];
      try {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
          out.write(buffer, 0, n);
          out.flush();
        }
        to.shutdownOutput();
        if (from.isOutputShutdown() && links.remove(link)) { // the other direction ended first
          link.client.close();
          link.server.close();
        }
      } catch (IOException e) {
        if (links.remove(link)) { // cut here, or the other end went away
          link.reset();
        }
      }
    }, "cutting-proxy-" + direction);
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    listening.close();
    for (Link l : links) {
      links.remove(l);
      l.reset();
    }
  }
}
