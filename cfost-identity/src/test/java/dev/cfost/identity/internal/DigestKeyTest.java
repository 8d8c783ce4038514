package dev.cfost.identity.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Digests as hash keys: equal by all their bytes, whatever the hash is made of. */
class DigestKeyTest {

  @Test
  void keysAreEqualByContentAndDifferAfterTheFirstEightBytes() {
    byte[] a = new byte[32];
    byte[] b = new byte[32];
    b[31] = 1; // same first 8 bytes, so the same hash: only the content tells them apart
    assertThat(DigestKey.of(a)).isEqualTo(DigestKey.of(a.clone())).hasSameHashCodeAs(DigestKey.of(a.clone()));
    assertThat(DigestKey.of(a)).isNotEqualTo(DigestKey.of(b)).hasSameHashCodeAs(DigestKey.of(b));
    assertThat(DigestKey.of(a).compareTo(DigestKey.of(b))).isNegative();
    assertThat(DigestKey.of(new byte[] {(byte) 0x80}).compareTo(DigestKey.of(new byte[] {1}))).isPositive();
  }

  @Test
  void keysOfOtherLengthsAsAMalformedSealCarriesAreKeysToo() {
    assertThat(DigestKey.of(new byte[] {1, 2})).isEqualTo(DigestKey.of(new byte[] {1, 2}))
        .isNotEqualTo(DigestKey.of(new byte[] {1, 2, 0}));
    assertThat(DigestKey.of(new byte[0])).isEqualTo(DigestKey.of(new byte[0]));
    assertThat(DigestKey.of(new byte[31])).isNotEqualTo(DigestKey.of(new byte[32]));
  }

  @Test
  void thousandsOfKeysThatShareTheirHashAreStillFoundEachByItsOwnContent() {
    // A sender can choose digests with one prefix: the map must still find each (a tree bin, not a list).
    Map<DigestKey, Integer> map = new HashMap<>();
    for (int i = 0; i < 5_000; i++) {
      byte[] d = new byte[32];
      d[30] = (byte) (i >> 8);
      d[31] = (byte) i;
      map.put(DigestKey.of(d), i);
    }
    assertThat(map).hasSize(5_000);
    for (int i = 0; i < 5_000; i++) {
      byte[] d = new byte[32];
      d[30] = (byte) (i >> 8);
      d[31] = (byte) i;
      assertThat(map.get(DigestKey.of(d))).isEqualTo(i);
    }
  }
}
