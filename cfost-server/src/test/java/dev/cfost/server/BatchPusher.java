package dev.cfost.server;

import dev.cfost.Cursor;
import dev.cfost.net.SyncMessage;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Pushes a device's sealed batches over a {@link RawSocket} from index {@code from} on its own thread, at
 * most {@code window} unacknowledged, until all are acknowledged or the socket ends: the device side of the
 * tests that stop a server under it. {@link #sent} counts a batch before it is written (it may reach the
 * server and fail here), {@link #acked} the batches up to the last ack.
 */
final class BatchPusher extends Thread {
  private final List<SyncMessage.Changes> batches;
  /** The number of batches up to and including the one ending at a cursor. */
  private final Map<Cursor, Integer> upTo;
  private final int window;
  final RawSocket s;
  final AtomicInteger sent;
  final AtomicInteger acked;
  volatile String end;

  /**
   * Cuts everything {@code device} has into sealed batches of about {@code batchChanges} changes, as it
   * would send them, into {@code batches}; {@code upTo} maps each batch's end cursor (and the start) to the
   * number of batches up to it.
   */
  static void slice(UserDevice device, int batchChanges, List<SyncMessage.Changes> batches, Map<Cursor, Integer> upTo) {
    upTo.put(Cursor.START, 0);
    Cursor at = Cursor.START;
    while (true) {
      SyncMessage.Changes b = device.sealedBatch(at, batchChanges);
      if (b.changes().isEmpty()) {
        return;
      }
      batches.add(b);
      upTo.put(b.cursor(), batches.size());
      at = b.cursor();
    }
  }

  BatchPusher(RawSocket s, List<SyncMessage.Changes> batches, Map<Cursor, Integer> upTo, int window, int from) {
    super("pusher");
    this.batches = batches;
    this.upTo = upTo;
    this.window = window;
    setDaemon(true);
    this.s = s;
    this.sent = new AtomicInteger(from);
    this.acked = new AtomicInteger(from);
  }

  @Override
  public void run() {
    try {
      while (acked.get() < batches.size()) {
        while (sent.get() < batches.size() && sent.get() - acked.get() < window) {
          try {
            s.send(batches.get(sent.getAndIncrement())); // counted before: it may reach the server and fail here
          } catch (Exception e) {
            // The server closed the socket: what it sent before, and its close, are still in the queue.
            while (take(1)) {
              // the acks up to the close
            }
            return;
          }
        }
        if (!take(10)) {
          return;
        }
      }
      end = "done";
    } catch (InterruptedException e) {
      end = "interrupted";
    }
  }

  /** Takes the next message: true for received or ack; false, with {@link #end} said, for anything else. */
  private boolean take(int seconds) throws InterruptedException {
    Object m = s.received.poll(seconds, TimeUnit.SECONDS);
    if (m instanceof SyncMessage.Ack a) {
      acked.set(upTo.get(a.cursor()));
      return true;
    }
    if (m instanceof SyncMessage.Received) {
      return true;
    }
    end = m == null ? "nothing heard for " + seconds + " s" : m instanceof String closed ? closed : "unexpected " + m;
    return false;
  }

  /** Waits (at most 30 s) until the pusher has ended: all acknowledged, or the socket closed. */
  void finish() throws InterruptedException {
    join(30_000);
    if (isAlive()) {
      throw new AssertionError("the pusher still runs after 30 s (" + acked.get() + " acknowledged)");
    }
  }

  void awaitAcked(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (acked.get() < n) {
      if (!isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError(n + " batches not acknowledged (" + acked.get() + "; " + end + ")");
      }
      Thread.sleep(1);
    }
  }
}
