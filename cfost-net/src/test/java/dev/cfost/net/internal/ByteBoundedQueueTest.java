package dev.cfost.net.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class ByteBoundedQueueTest {
  @Test
  void anItemTakenHeldStillCountsUntilReleased() throws Exception {
    ByteBoundedQueue<String> q = new ByteBoundedQueue<>(10);
    q.put("a", 6);
    q.put("b", 4);
    assertEquals("a", q.pollHeld());
    assertEquals("b", q.pollHeld());
    assertNull(q.pollHeld());
    assertEquals(10, q.bytes());
    q.put("c", 4); // the queue holds nothing: one item goes in whatever is held, as into an empty queue
    CompletableFuture<Boolean> d = CompletableFuture.supplyAsync(() -> {
      try {
        return q.put("d", 4);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    try {
      d.get(200, TimeUnit.MILLISECONDS);
      throw new AssertionError("a put found room while the held items filled the bound");
    } catch (TimeoutException expected) {
      assertFalse(d.isDone());
    }
    q.release(6); // 4 held and "c": "d" does not fit yet
    Thread.sleep(100);
    assertFalse(d.isDone());
    q.release(4);
    assertTrue(d.get(5, TimeUnit.SECONDS));
    assertEquals(8, q.bytes());
  }

  @Test
  void aReleaseAfterAClearCountsNothingBelowZero() {
    ByteBoundedQueue<String> q = new ByteBoundedQueue<>(10);
    q.add("a", 6);
    assertEquals("a", q.pollHeld());
    q.clear();
    q.release(6);
    assertEquals(0, q.bytes());
  }
}
