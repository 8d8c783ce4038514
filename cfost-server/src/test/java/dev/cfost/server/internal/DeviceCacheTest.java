package dev.cfost.server.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.identity.DeviceKeys;
import dev.cfost.server.ServerDevice;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DeviceCacheTest {
  private final DeviceKeys keys = DeviceKeys.generate();
  private final ServerDevice active = new ServerDevice("alice", keys.deviceId().toString(), keys.publicKey(), false);
  private final ServerDevice revoked = new ServerDevice("alice", keys.deviceId().toString(), keys.publicKey(), true);

  @Test
  void aReadIsKeptUntilTheNextWrite() {
    DeviceCache cache = new DeviceCache();
    AtomicInteger reads = new AtomicInteger();
    List<ServerDevice> table = new ArrayList<>(List.of(active));

    assertThat(cache.devices("alice", u -> { reads.incrementAndGet(); return table; })).containsExactly(active);
    assertThat(cache.devices("alice", u -> { reads.incrementAndGet(); return table; })).containsExactly(active);
    assertThat(reads).hasValue(1);

    assertThatThrownBy(() -> cache.devices("alice", u -> table).clear()) // one list for every caller
        .isInstanceOf(UnsupportedOperationException.class);
    table.set(0, revoked);
    cache.written();
    assertThat(cache.devices("alice", u -> { reads.incrementAndGet(); return table; })).containsExactly(revoked);
    assertThat(reads).hasValue(2);
  }

  @Test
  void aReadThatAWriteOvertookIsNotKept() {
    DeviceCache cache = new DeviceCache();
    // The read sees the device still active, and the revocation commits before the read returns.
    List<ServerDevice> stale = cache.devices("alice", u -> {
      cache.written();
      return List.of(active);
    });
    assertThat(stale).containsExactly(active);

    assertThat(cache.devices("alice", u -> List.of(revoked))).containsExactly(revoked);
    assertThat(cache.device(active.deviceId(), id -> {
      cache.written();
      return java.util.Optional.of(active);
    })).contains(active);
    assertThat(cache.device(active.deviceId(), id -> java.util.Optional.of(revoked))).contains(revoked);
  }
}
