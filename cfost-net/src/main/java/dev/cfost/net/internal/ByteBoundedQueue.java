package dev.cfost.net.internal;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * A FIFO queue bounded by the bytes of what it holds, for what comes from or goes to the network. A
 * blocking {@link #put} waits for room (one item larger than the limit goes alone into an empty queue),
 * {@link #offer} refuses instead. Internally synchronized.
 */
final class ByteBoundedQueue<T> {
  private record Entry<T>(T item, long bytes) {}

  private final long limit;
  private final ArrayDeque<Entry<T>> items = new ArrayDeque<>();
  private long bytes;
  private boolean closed;

  ByteBoundedQueue(long limit) {
    this.limit = limit;
  }

  /** Waits until {@code item} fits (or the queue is empty), then adds it; false once closed. */
  synchronized boolean put(T item, long size) throws InterruptedException {
    if (!awaitRoom(size)) {
      return false;
    }
    add(item, size);
    return true;
  }

  /** Waits until {@code size} more bytes fit (or the queue is empty); false once closed. */
  synchronized boolean awaitRoom(long size) throws InterruptedException {
    while (!closed && !items.isEmpty() && bytes + size > limit) {
      wait();
    }
    return !closed;
  }

  /** Wakes and refuses every waiting and later {@link #put}; what is queued can still be taken. */
  synchronized void close() {
    closed = true;
    notifyAll();
  }

  /** Drops everything queued. */
  synchronized void clear() {
    items.clear();
    bytes = 0;
    notifyAll();
  }

  /** Adds {@code item} if it fits within {@code max} bytes in all (for this caller's share); false if not. */
  synchronized boolean offer(T item, long size, long max) {
    if (!items.isEmpty() && bytes + size > max) {
      return false;
    }
    add(item, size);
    return true;
  }

  /** Adds {@code item} whatever the bytes: markers, and an item after {@link #awaitRoom}. */
  synchronized void add(T item, long size) {
    items.add(new Entry<>(item, size));
    bytes += size;
    notifyAll();
  }

  synchronized T take() throws InterruptedException {
    while (items.isEmpty()) {
      wait();
    }
    return remove();
  }

  /** The next item, or null after {@code timeout} without one. */
  synchronized T poll(long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (items.isEmpty()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return null;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return remove();
  }

  /**
   * The next item if there is one, else null; its bytes stay counted until {@link #release}d: the caller
   * holds it for a while, and the bound still applies to it.
   */
  synchronized T pollHeld() {
    Entry<T> e = items.poll();
    return e == null ? null : e.item;
  }

  /** Stops counting {@code size} bytes of an item taken by {@link #pollHeld}. */
  synchronized void release(long size) {
    bytes = Math.max(0, bytes - size); // after a clear, nothing is counted
    notifyAll();
  }

  private T remove() {
    Entry<T> e = items.poll();
    bytes -= e.bytes;
    notifyAll();
    return e.item;
  }

  synchronized long bytes() {
    return bytes;
  }
}
