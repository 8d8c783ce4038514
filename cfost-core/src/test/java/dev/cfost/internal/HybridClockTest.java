package dev.cfost.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.ClockDriftException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HybridClockTest {
  final AtomicLong wall = new AtomicLong(1_800_000_000_000L);
  final HybridClock clock = new HybridClock(wall::get, 60_000, 0);

  @Test
  void followsTheWallClockWhenItMovesForward() {
    long t = clock.now();
    assertThat(HybridClock.millis(t)).isEqualTo(wall.get());
    assertThat(HybridClock.counter(t)).isZero();
    wall.addAndGet(3);
    assertThat(HybridClock.millis(clock.now())).isEqualTo(wall.get());
  }

  @Test
  void staysMonotonicWhenTheWallClockStepsBack() {
    long before = clock.now();
    wall.addAndGet(-10_000);
    long after = clock.now();
    assertThat(after).isGreaterThan(before);
    assertThat(HybridClock.millis(after)).isEqualTo(HybridClock.millis(before));
    assertThat(HybridClock.counter(after)).isEqualTo(1);
  }

  @Test
  void counterOverflowAdvancesTheLogicalMillisecond() {
    long last = clock.now();
    for (int i = 0; i < 70_000; i++) {
      long t = clock.now();
      assertThat(t).isGreaterThan(last);
      last = t;
    }
    assertThat(HybridClock.millis(last)).isEqualTo(wall.get() + 1);
    assertThat(HybridClock.counter(last)).isEqualTo(70_000 - 65_536);
  }

  @Test
  void aRemoteClockTooFarAheadIsRefusedAndNotAdopted() {
    long before = clock.now();
    long remote = HybridClock.timestamp(wall.get() + 60_001, 0);
    assertThatThrownBy(() -> clock.receive(remote))
        .isInstanceOf(ClockDriftException.class)
        .hasMessageContaining("60001 ms ahead")
        .hasMessageContaining("maximum drift is 60000 ms");
    assertThat(clock.last()).isEqualTo(before);
    assertThat(clock.now()).isLessThan(remote);
  }

  @Test
  void aRemoteClockWithinTheDriftIsAdoptedAndLaterEventsFollowIt() {
    long remote = HybridClock.timestamp(wall.get() + 59_000, 7);
    long received = clock.receive(remote);
    assertThat(received).isGreaterThan(remote);
    assertThat(clock.now()).isGreaterThan(received);
  }

  @Test
  void receiveFollowsTheKulkarniRules() {
    long local = clock.now(); // (w, 0)
    long sameMillis = HybridClock.timestamp(wall.get(), 5);
    assertThat(clock.receive(sameMillis)).isEqualTo(HybridClock.timestamp(wall.get(), 6));
    long behind = HybridClock.timestamp(wall.get() - 100, 9);
    assertThat(clock.receive(behind)).isEqualTo(HybridClock.timestamp(wall.get(), 7));
    wall.addAndGet(50);
    assertThat(clock.receive(behind)).isEqualTo(HybridClock.timestamp(wall.get(), 0));
    assertThat(local).isLessThan(clock.last());
  }

  @Test
  void restartsFromThePersistedClock() {
    long persisted = HybridClock.timestamp(wall.get() + 5_000, 3);
    HybridClock restarted = new HybridClock(wall::get, 60_000, persisted);
    assertThat(restarted.now()).isEqualTo(persisted + 1);
  }
}
