package dev.cfost;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * How to open a CFOST database. Build with {@link #builder(Path)}; every setting but the path has a
 * default.
 */
public final class CfostOptions {
  private final Path path;
  private final WallClock wallClock;
  private final Duration maxDrift;
  private final Duration captureInterval;
  private final Executor listenerExecutor;
  private final int mergeChunk;
  private final boolean schemaSync;

  private CfostOptions(Builder b) {
    this.path = b.path;
    this.wallClock = b.wallClock;
    this.maxDrift = b.maxDrift;
    this.captureInterval = b.captureInterval;
    this.listenerExecutor = b.listenerExecutor;
    this.mergeChunk = b.mergeChunk;
    this.schemaSync = b.schemaSync;
  }

  public static Builder builder(Path path) {
    return new Builder(path);
  }

  public Path path() {
    return path;
  }

  public WallClock wallClock() {
    return wallClock;
  }

  public Duration maxDrift() {
    return maxDrift;
  }

  public Duration captureInterval() {
    return captureInterval;
  }

  /** The executor for listeners, or null for the engine's own single listener thread. */
  public Executor listenerExecutor() {
    return listenerExecutor;
  }

  /** How many changes a merge validates and applies at a time. */
  public int mergeChunk() {
    return mergeChunk;
  }

  /** Whether table definitions travel with the data; see {@link Builder#schemaSync(boolean)}. */
  public boolean schemaSync() {
    return schemaSync;
  }

  /** Builder of {@link CfostOptions}. */
  public static final class Builder {
    private final Path path;
    private WallClock wallClock = WallClock.system();
    private Duration maxDrift = Duration.ofSeconds(60);
    private Duration captureInterval = Duration.ofMillis(50);
    private Executor listenerExecutor;
    private int mergeChunk = 10_000;
    private boolean schemaSync;

    private Builder(Path path) {
      this.path = Objects.requireNonNull(path, "path");
    }

    /** The physical clock under the hybrid logical clock; default {@link WallClock#system()}. */
    public Builder wallClock(WallClock wallClock) {
      this.wallClock = Objects.requireNonNull(wallClock, "wallClock");
      return this;
    }

    /** How far ahead of the local clock a remote clock may be before it is refused; default 60 s. */
    public Builder maxDrift(Duration maxDrift) {
      if (maxDrift.isNegative()) {
        throw new IllegalArgumentException("maxDrift must not be negative: " + maxDrift);
      }
      this.maxDrift = maxDrift;
      return this;
    }

    /**
     * How often the engine looks for commits made by other connections to the file and stamps them with
     * clocks; default 50 ms. Commits through {@link Cfost#connect()} do not wait for it: they are captured
     * right after they commit. {@link Duration#ZERO} turns the background capture off (writes are then
     * captured when changes are read or merged, or on {@link Cfost#capture()}).
     */
    public Builder captureInterval(Duration captureInterval) {
      if (captureInterval.isNegative()) {
        throw new IllegalArgumentException("captureInterval must not be negative: " + captureInterval);
      }
      this.captureInterval = captureInterval;
      return this;
    }

    /** Where listeners run; default one daemon thread per engine. */
    public Builder listenerExecutor(Executor executor) {
      this.listenerExecutor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * How many changes a merge validates and applies at a time; default 10,000. It bounds the heap a
     * merge holds, whatever its size. A merge of more changes than this is staged in a temporary table
     * and applied in key order, which is much faster for large merges (docs/BENCHMARKS.md, F12); the
     * staging uses SQLite's temporary directory (docs/ARCHITECTURE.md).
     */
    public Builder mergeChunk(int changes) {
      if (changes < 1) {
        throw new IllegalArgumentException("mergeChunk must be at least 1: " + changes);
      }
      this.mergeChunk = changes;
      return this;
    }

    /**
     * Whether the definitions of replicated tables travel with their rows; default off. On, this replica
     * sends the definition of each table it replicates (its columns, key, declared types, collations,
     * literal defaults, NOT NULL) and each column added since, and applies the definitions it receives:
     * a table it lacks is created and replicated, a column it lacks is added, before the rows that
     * need them are merged. A definition that contradicts a local table (key columns, their order or
     * type, a column's type affinity) is refused with an {@link InvalidChangeException} naming the table
     * and the difference. Definitions are structured data, validated like every identifier from the
     * wire; a peer never runs SQL here. A sync peer's changes for tables or columns that no definition
     * describes yet are kept aside ({@link MergeResult#deferred()}) and merged once it arrives.
     *
     * <p>Off by default: an application that creates its own tables keeps sole control of its schema,
     * and the change stream stays exactly cr-sqlite's. Off, definitions received from peers are stored
     * and relayed but not applied, and changes from a sync peer for tables or columns unknown here are
     * kept aside rather than refusing its batch. The {@code cfost} CLI turns it on.
     */
    public Builder schemaSync(boolean on) {
      this.schemaSync = on;
      return this;
    }

    public CfostOptions build() {
      return new CfostOptions(this);
    }
  }
}
