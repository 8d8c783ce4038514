package dev.cfost.net.internal;

import dev.cfost.net.Connection;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.TlsIdentity;
import dev.cfost.net.Topic;
import dev.cfost.net.Transport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TCP with TLS 1.3 (AES-GCM suites first: on JDK 17 they run several times faster than ChaCha20), both
 * sides presenting their device certificate. Peers are accepted at the TLS layer whatever their
 * certificate; the session then checks the topic (device authorization arrives with the identity work).
 * Discovery is mDNS when enabled.
 *
 * <p>Threads: one accept thread, one short-lived thread per accepted connection for its handshake (at
 * most {@code maxPending} at once: more connections are closed at once), and one timer thread that closes
 * a connection whose handshake has not finished by its deadline (a peer that sends its handshake a byte
 * at a time never trips a read timeout).
 */
public final class TcpTransport implements Transport {
  private static final Logger log = LoggerFactory.getLogger(TcpTransport.class);
  private static final String[] PROTOCOLS = {"TLSv1.3"};
  private static final String[] SUITES = {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
      "TLS_CHACHA20_POLY1305_SHA256"};
  private static final int CONNECT_TIMEOUT_MS = 5_000;

  private final SSLContext tls;
  private final InetSocketAddress listen;
  private final int maxFrame;
  private final MdnsDiscovery mdns;
  private volatile long handshakeMillis = 10_000;
  private volatile int maxPending = 32;
  private final java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.concurrent.atomic.AtomicLong refusedPending = new java.util.concurrent.atomic.AtomicLong();
  private static final java.util.concurrent.ScheduledExecutorService DEADLINES =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cfost-tcp-deadline");
        t.setDaemon(true);
        return t;
      });
  private volatile SSLServerSocket server;
  private volatile boolean closed;
  /** Sockets that {@link #connect} is connecting or handshaking: close ends those dials at once. */
  private final java.util.Set<java.net.Socket> dialling = java.util.concurrent.ConcurrentHashMap.newKeySet();

  public TcpTransport(TlsIdentity identity, InetSocketAddress listen, int maxFrame, boolean mdns) throws IOException {
    this.tls = identity.context();
    this.listen = listen;
    this.maxFrame = maxFrame;
    this.mdns = mdns ? new MdnsDiscovery() : null;
  }

  @Override
  public void handshakeLimits(long timeoutMillis, int maxPending) {
    if (timeoutMillis < 1 || maxPending < 1) {
      throw new IllegalArgumentException("need a timeout >= 1 ms and maxPending >= 1: " + timeoutMillis + ", " + maxPending);
    }
    this.handshakeMillis = timeoutMillis;
    this.maxPending = maxPending;
  }

  @Override
  public String name() {
    return "tcp+tls";
  }

  @Override
  public PeerAddress start(Consumer<Connection> inbound) throws IOException {
    if (listen == null) {
      return null;
    }
    SSLServerSocket s = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket();
    s.setReuseAddress(true);
    try {
      s.bind(listen);
    } catch (IOException e) {
      s.close();
      throw new IOException("cannot listen on " + listen.getHostString() + ":" + listen.getPort() + ": " + e.getMessage(), e);
    }
    s.setEnabledProtocols(PROTOCOLS);
    s.setEnabledCipherSuites(SUITES);
    s.setNeedClientAuth(true);
    server = s;
    Thread accept = new Thread(() -> acceptLoop(s, inbound), "cfost-tcp-accept-" + s.getLocalPort());
    accept.setDaemon(true);
    accept.start();
    String host = listen.getAddress() == null || listen.getAddress().isAnyLocalAddress()
        ? "127.0.0.1" : listen.getAddress().getHostAddress();
    return new PeerAddress(host, s.getLocalPort());
  }

  private void acceptLoop(SSLServerSocket s, Consumer<Connection> inbound) {
    while (!closed) {
      Socket socket;
      try {
        socket = s.accept();
      } catch (IOException e) {
        if (!closed) {
          log.warn("accepting on port {} failed: {}", s.getLocalPort(), e.toString());
        }
        return;
      }
      if (pending.incrementAndGet() > maxPending) {
        pending.decrementAndGet();
        closeQuietly(socket);
        if (refusedPending.getAndIncrement() % 100 == 0) { // one line per 100: a flood must not flood the log
          log.warn("closed a connection from {}: {} TLS handshakes already in progress ({} closed so far)",
              socket.getInetAddress().getHostAddress(), maxPending, refusedPending.get());
        }
        continue;
      }
      java.util.concurrent.ScheduledFuture<?> deadline = DEADLINES.schedule(() -> closeQuietly(socket),
          handshakeMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
      Thread handshake = new Thread(() -> {
        try {
          SSLSocket ssl = (SSLSocket) socket;
          ssl.setTcpNoDelay(true);
          ssl.setSoTimeout((int) Math.min(Integer.MAX_VALUE, handshakeMillis));
          ssl.startHandshake();
          if (!deadline.cancel(false)) {
            throw new IOException("no TLS handshake within " + handshakeMillis + " ms");
          }
          ssl.setSoTimeout(0);
          String remote = socket.getInetAddress().getHostAddress() + ":" + socket.getPort();
          inbound.accept(new FramedConnection(ssl, remote, maxFrame));
        } catch (IOException e) {
          log.info("TLS handshake with {} failed: {}", socket.getRemoteSocketAddress(), e.toString());
          closeQuietly(socket);
        } finally {
          deadline.cancel(false);
          pending.decrementAndGet();
        }
      }, "cfost-tcp-handshake");
      handshake.setDaemon(true);
      handshake.start();
    }
  }

  @Override
  public void announce(Topic topic) {
    if (mdns != null && server != null) {
      mdns.announce(topic, server.getLocalPort());
    }
  }

  @Override
  public List<PeerAddress> lookup(Topic topic) {
    return mdns == null ? List.of() : mdns.lookup(topic);
  }

  @Override
  public Connection connect(PeerAddress address) throws IOException {
    SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket();
    dialling.add(socket);
    if (closed) { // after close's sweep of the dials: this one ends here
      dialling.remove(socket);
      closeQuietly(socket);
      throw new IOException("the TCP transport is closed");
    }
    // Connect and handshake together under one deadline: a read timeout alone restarts with every byte,
    // so a peer that drip-feeds its handshake would hold the connection (and a dialing thread) for ever.
    long limit = handshakeMillis;
    java.util.concurrent.ScheduledFuture<?> kill = DEADLINES.schedule(() -> closeQuietly(socket), limit,
        java.util.concurrent.TimeUnit.MILLISECONDS);
    try {
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(address.host(), address.port()), CONNECT_TIMEOUT_MS);
      socket.setEnabledProtocols(PROTOCOLS);
      socket.setEnabledCipherSuites(SUITES);
      socket.setSoTimeout(CONNECT_TIMEOUT_MS);
      socket.startHandshake();
      if (!kill.cancel(false)) {
        throw new IOException("no TLS handshake with " + address + " within " + limit + " ms");
      }
      socket.setSoTimeout(0);
      return new FramedConnection(socket, address.toString(), maxFrame);
    } catch (IOException e) {
      kill.cancel(false);
      closeQuietly(socket);
      throw e;
    } finally {
      dialling.remove(socket);
    }
  }

  @Override
  public void close() {
    closed = true;
    if (server != null) {
      closeQuietly(server);
    }
    if (mdns != null) {
      mdns.close();
    }
    for (java.net.Socket s : dialling) {
      closeQuietly(s); // a peer that never answers would otherwise hold its dialer, and the peer's stop, 5 s
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
