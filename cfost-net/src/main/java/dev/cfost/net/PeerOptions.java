package dev.cfost.net;

import dev.cfost.ChangeFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;

/** How a {@link Peer} syncs. Build with {@link #builder()}; every setting has a default. */
public final class PeerOptions {
  public final List<Transport> transports;
  public final List<PeerAddress> peers;
  public final ChangeFilter filter;
  public final String deviceId;
  public final boolean discovery;
  public final int maxBatchChanges;
  public final int maxBatchBytes;
  public final int window;
  public final long liveDebounceMillis;
  public final long catchUpTxMillis;
  public final int catchUpTxChanges;
  public final long pingMillis;
  public final long timeoutMillis;
  public final long backoffBaseMillis;
  public final long backoffMaxMillis;
  public final long discoveryMillis;
  public final long handshakeTimeoutMillis;
  public final long helloTimeoutMillis;
  public final int maxUnauthorized;
  public final long reauthorizeMillis;
  public final int maxDiscovered;
  public final long discoveryExpiryMillis;
  public final Executor listenerExecutor;
  public final PeerBook peerBook;
  public final PeerBook acknowledgements;
  public final PeerAuthorizer authorizer;
  public final BatchSealer sealer;

  private PeerOptions(Builder b) {
    this.transports = List.copyOf(b.transports);
    this.peers = List.copyOf(b.peers);
    this.filter = b.filter;
    this.deviceId = b.deviceId;
    this.discovery = b.discovery;
    this.maxBatchChanges = b.maxBatchChanges;
    this.maxBatchBytes = b.maxBatchBytes;
    this.window = b.window;
    this.liveDebounceMillis = b.liveDebounceMillis;
    this.catchUpTxMillis = b.catchUpTxMillis;
    this.catchUpTxChanges = b.catchUpTxChanges;
    this.pingMillis = b.pingMillis;
    this.timeoutMillis = b.timeoutMillis;
    this.backoffBaseMillis = b.backoffBaseMillis;
    this.backoffMaxMillis = b.backoffMaxMillis;
    this.discoveryMillis = b.discoveryMillis;
    this.handshakeTimeoutMillis = b.handshakeTimeoutMillis;
    this.helloTimeoutMillis = b.helloTimeoutMillis;
    this.maxUnauthorized = b.maxUnauthorized;
    this.reauthorizeMillis = b.reauthorizeMillis;
    this.maxDiscovered = b.maxDiscovered;
    this.discoveryExpiryMillis = b.discoveryExpiryMillis;
    this.listenerExecutor = b.listenerExecutor;
    this.peerBook = b.peerBook;
    this.acknowledgements = b.acknowledgements;
    this.authorizer = b.authorizer;
    this.sealer = b.sealer;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builder of {@link PeerOptions}. */
  public static final class Builder {
    private final List<Transport> transports = new ArrayList<>();
    private final List<PeerAddress> peers = new ArrayList<>();
    private ChangeFilter filter = ChangeFilter.ALL;
    private String deviceId;
    private boolean discovery = true;
    private int maxBatchChanges = 2000;
    private int maxBatchBytes = 1 << 20;
    private int window = 16;
    private long liveDebounceMillis = 2;
    private long catchUpTxMillis = 2_000;
    private int catchUpTxChanges = 1_000_000;
    private long pingMillis = 10_000;
    private long timeoutMillis = 35_000;
    private long backoffBaseMillis = 250;
    private long backoffMaxMillis = 30_000;
    private long discoveryMillis = 2_000;
    private long handshakeTimeoutMillis = 10_000;
    private long helloTimeoutMillis = 10_000;
    private int maxUnauthorized = 32;
    private long reauthorizeMillis = 30_000;
    private int maxDiscovered = 64;
    private long discoveryExpiryMillis = 600_000;
    private Executor listenerExecutor;
    private PeerBook peerBook;
    private PeerBook acknowledgements;
    private PeerAuthorizer authorizer;
    private BatchSealer sealer;

    private Builder() {}

    /**
     * Admits only the peers {@code authorizer} accepts (default: any peer of the same topic). Use it with
     * a transport that authenticates keys (TCP + TLS with {@link TlsIdentity#forKeys}).
     */
    public Builder authorizer(PeerAuthorizer authorizer) {
      this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
      return this;
    }

    /**
     * Seals every batch sent and accepts only batches whose changes {@code sealer} verifies (default:
     * none, nothing signed or checked). Use it with an {@link #authorizer}.
     */
    public Builder sealer(BatchSealer sealer) {
      this.sealer = Objects.requireNonNull(sealer, "sealer");
      return this;
    }

    /**
     * Keeps the peers in {@code book}: its addresses are connected at start, discovered ones are added,
     * and each session's start is recorded.
     */
    public Builder peerBook(PeerBook book) {
      this.peerBook = Objects.requireNonNull(book, "book");
      return this;
    }

    /**
     * Records in {@code book} only how far each peer acknowledged this side's changes ({@link PeerBook#ackedBy},
     * {@link PeerBook#pendingFor}), not its addresses: for a peer whose one peer is a sync server, beside a
     * LAN peer that keeps the book. A {@link #peerBook(PeerBook)} records them as well.
     */
    public Builder acknowledgementsIn(PeerBook book) {
      this.acknowledgements = Objects.requireNonNull(book, "book");
      return this;
    }

    /** Adds a transport; a peer needs at least one. */
    public Builder transport(Transport t) {
      transports.add(Objects.requireNonNull(t, "transport"));
      return this;
    }

    /** Adds a peer to connect to and keep connected. */
    public Builder peer(PeerAddress address) {
      peers.add(Objects.requireNonNull(address, "address"));
      return this;
    }

    /**
     * What this side sends: the tables and per-table row filters (see {@link ChangeFilter}); default
     * everything. The receiver's own changes are never echoed back.
     */
    public Builder filter(ChangeFilter filter) {
      this.filter = Objects.requireNonNull(filter, "filter");
      return this;
    }

    /** The id this device announces; default its site id. */
    public Builder deviceId(String deviceId) {
      this.deviceId = deviceId;
      return this;
    }

    /** Whether to announce and look up peers of the same topic on the transports; default true. */
    public Builder discovery(boolean discovery) {
      this.discovery = discovery;
      return this;
    }

    /** At most this many changes per batch (default 2000). */
    public Builder maxBatchChanges(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("maxBatchChanges must be >= 1: " + n);
      }
      this.maxBatchChanges = n;
      return this;
    }

    /** At most this many bytes per batch frame (default 1 MiB), unless one row alone is larger. */
    public Builder maxBatchBytes(int n) {
      if (n < 1024) {
        throw new IllegalArgumentException("maxBatchBytes must be >= 1024: " + n);
      }
      this.maxBatchBytes = n;
      return this;
    }

    /**
     * While catching up with a peer, the receiver merges consecutive batches in one transaction for up
     * to this long and this many changes (defaults 2 s and 1,000,000): far fewer commits, each an
     * fsync, and each B-tree page written once per transaction instead of once per batch (1,000,000
     * rows over loopback: 4.7x a raw insert with 0.5 s, 4.1x with 2 s, 3.4x with 10 s; see
     * docs/BENCHMARKS-SYNC.md). Memory does not grow with it. Writes by the application wait for that
     * transaction (SQLite has one writer), so keep it within their busy timeout. Live batches (the peer
     * caught up) are committed one by one, at once.
     */
    public Builder catchUpTransaction(long maxMillis, int maxChanges) {
      if (maxMillis < 0 || maxChanges < 1) {
        throw new IllegalArgumentException("need maxMillis >= 0 and maxChanges >= 1: " + maxMillis + ", " + maxChanges);
      }
      this.catchUpTxMillis = maxMillis;
      this.catchUpTxChanges = maxChanges;
      return this;
    }

    /**
     * Batches sent and not yet taken by the receiver, at most (default 16). While the receiver applies
     * a catch-up transaction, the sender can read and send this many batches ahead (a 1M-row initial
     * sync took 31.6 s with 4, 25.8 s with 16 or 32; docs/BENCHMARKS-SYNC.md). The receiver holds them
     * in its heap: with 2,000-change batches of small rows, about 0.4 MiB each.
     */
    public Builder window(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("window must be >= 1: " + n);
      }
      this.window = n;
      return this;
    }

    /** How long the sender waits after a local commit to gather more (default 2 ms). */
    public Builder liveDebounceMillis(long ms) {
      this.liveDebounceMillis = Math.max(0, ms);
      return this;
    }

    /** Ping interval and silence timeout (defaults 10 s and 35 s). */
    public Builder keepAlive(long pingMillis, long timeoutMillis) {
      if (pingMillis < 1 || timeoutMillis <= pingMillis) {
        throw new IllegalArgumentException("need 0 < ping < timeout: " + pingMillis + ", " + timeoutMillis);
      }
      this.pingMillis = pingMillis;
      this.timeoutMillis = timeoutMillis;
      return this;
    }

    /** Reconnection backoff: first delay and cap (defaults 250 ms and 30 s), with full jitter. */
    public Builder backoff(long baseMillis, long maxMillis) {
      if (baseMillis < 1 || maxMillis < baseMillis) {
        throw new IllegalArgumentException("need 0 < base <= max: " + baseMillis + ", " + maxMillis);
      }
      this.backoffBaseMillis = baseMillis;
      this.backoffMaxMillis = maxMillis;
      return this;
    }

    /** How often to look up peers of the topic (default 2 s). */
    public Builder discoveryInterval(long ms) {
      this.discoveryMillis = Math.max(50, ms);
      return this;
    }

    /**
     * Bounds what a connection costs before its peer is authorized: the TLS handshake must finish within
     * {@code handshakeMillis} and the peer's {@code hello} arrive within {@code helloMillis} after it
     * (defaults 10 s each), and at most {@code maxPending} accepted connections may be in each of those
     * stages at once (default 32; more are closed at once). Until authorized, frames are at most 64 KiB.
     */
    public Builder unauthorizedLimits(long handshakeMillis, long helloMillis, int maxPending) {
      if (handshakeMillis < 1 || helloMillis < 1 || maxPending < 1) {
        throw new IllegalArgumentException("need timeouts >= 1 ms and maxPending >= 1: " + handshakeMillis + ", "
            + helloMillis + ", " + maxPending);
      }
      this.handshakeTimeoutMillis = handshakeMillis;
      this.helloTimeoutMillis = helloMillis;
      this.maxUnauthorized = maxPending;
      return this;
    }

    /**
     * How often the {@link #authorizer} checks every live session again (default 30 s). It also checks
     * them after local commits and merges (a revocation arrives as one) and before each batch is sent, so
     * this bounds how long a revoked peer that sends and receives nothing stays connected.
     */
    public Builder reauthorizeEvery(long millis) {
      if (millis < 1) {
        throw new IllegalArgumentException("reauthorizeEvery must be >= 1 ms: " + millis);
      }
      this.reauthorizeMillis = millis;
      return this;
    }

    /**
     * At most {@code n} discovered addresses are kept (default 64): anyone on the LAN can announce any
     * number under the topic. Further ones are ignored until kept ones expire.
     */
    public Builder maxDiscovered(int n) {
      if (n < 0) {
        throw new IllegalArgumentException("maxDiscovered must not be negative: " + n);
      }
      this.maxDiscovered = n;
      return this;
    }

    /** A discovered address no longer announced for this long is let go (default 10 min). */
    public Builder discoveryExpiry(long ms) {
      this.discoveryExpiryMillis = Math.max(1, ms);
      return this;
    }

    /** Where listeners run; default one daemon thread per peer. */
    public Builder listenerExecutor(Executor executor) {
      this.listenerExecutor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    public PeerOptions build() {
      if (transports.isEmpty()) {
        throw new IllegalStateException("a peer needs at least one transport (Transports.disabled() for none)");
      }
      return new PeerOptions(this);
    }
  }
}
