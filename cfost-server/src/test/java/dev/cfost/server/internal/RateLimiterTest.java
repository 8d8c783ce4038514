package dev.cfost.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
  /** A clock the test moves. */
  private static final class Manual extends Clock {
    long millis = 1_000_000;

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }
  }

  private final Manual clock = new Manual();
  private final RateLimiter limiter = new RateLimiter("test", 3, Duration.ofMinutes(15), clock);

  @Test
  void aKeyPastItsLimitWaitsUntilItsOldestEventLeavesTheWindow() {
    limiter.record("k");
    clock.millis += 60_000;
    limiter.record("k");
    assertThat(limiter.retryAfter("k")).isZero();
    limiter.record("k");
    assertThat(limiter.retryAfter("k")).isEqualTo(Duration.ofMinutes(14));
    assertThat(limiter.retryAfter("other")).isZero();
    clock.millis += Duration.ofMinutes(14).toMillis();
    assertThat(limiter.retryAfter("k")).as("the first event left the window").isZero();
    limiter.record("k");
    assertThat(limiter.retryAfter("k")).isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void clearingAKeyForgetsItsEvents() {
    for (int i = 0; i < 5; i++) {
      limiter.record("k");
    }
    assertThat(limiter.retryAfter("k")).isPositive();
    limiter.clear("k");
    assertThat(limiter.retryAfter("k")).isZero();
  }

  @Test
  void keysAreBoundedAndExpiredOnesAreSweptFirst() {
    for (int i = 0; i < RateLimiter.MAX_KEYS; i++) {
      limiter.record("old" + i);
    }
    for (int i = 0; i < 3; i++) {
      limiter.record("hot");
    }
    assertThat(limiter.retryAfter("hot")).isPositive();
    clock.millis += Duration.ofMinutes(16).toMillis();
    for (int i = 0; i < 3; i++) {
      limiter.record("new");
    }
    assertThat(limiter.retryAfter("new")).as("room was made by sweeping expired keys").isPositive();
    assertThat(limiter.retryAfter("hot")).isZero();
  }
}
