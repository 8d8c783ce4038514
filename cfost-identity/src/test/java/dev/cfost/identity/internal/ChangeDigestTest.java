package dev.cfost.identity.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.Change;
import dev.cfost.Values;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The digest's bytes are protocol (docs/PROTOCOL.md, "Seals"): devices of every version must agree on
 * them. The expected values were produced by the first implementation; a faster encoding must keep them.
 */
class ChangeDigestTest {
  private static final byte[] PK = {1, 11, 3, 'a', 'b', 'c'};
  private static final byte[] SITE = new byte[16];

  static {
    Arrays.fill(SITE, (byte) 0x5a);
  }

  private static Change change(String cid, Object val) {
    return new Change("items", PK, cid, val, 1_733_000_000_123L, 17, SITE, 3, 2);
  }

  @Test
  void everyValueTypeKeepsTheDigestOfTheFirstEncoding() {
    assertThat(hex(change("n", null))).isEqualTo(GOLDEN_NULL);
    assertThat(hex(change("n", -42L))).isEqualTo(GOLDEN_LONG);
    assertThat(hex(change("x", -0.0))).isEqualTo(GOLDEN_REAL);
    assertThat(hex(change("label", "caf\u00e9 \ud83d\ude00 \u4e2d"))).isEqualTo(GOLDEN_TEXT);
    assertThat(hex(change("blob", new byte[] {0, (byte) 0xff, 7}))).isEqualTo(GOLDEN_BLOB);
    assertThat(hex(new Change("t\u00e4ble", new byte[300], "c\u00f6l", "x".repeat(70_000), Long.MIN_VALUE, 0,
        SITE, Long.MAX_VALUE, 0))).isEqualTo(GOLDEN_LONG_FIELDS);
  }

  @Test
  void threadsDigestingAtOnceEachGetTheGoldenDigests() throws Exception {
    // Each thread keeps its own BLAKE2b state and buffer: interleaved sizes (one past the buffer's bound)
    // and a refused change in between must leave nothing behind for the next digest.
    Change big = new Change("t\u00e4ble", new byte[300], "c\u00f6l", "x".repeat(70_000), Long.MIN_VALUE, 0,
        SITE, Long.MAX_VALUE, 0);
    List<Change> changes = List.of(change("n", null), big, change("n", -42L), change("x", -0.0),
        change("label", "caf\u00e9 \ud83d\ude00 \u4e2d"), change("blob", new byte[] {0, (byte) 0xff, 7}));
    List<String> golden = List.of(GOLDEN_NULL, GOLDEN_LONG_FIELDS, GOLDEN_LONG, GOLDEN_REAL, GOLDEN_TEXT, GOLDEN_BLOB);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<List<String>>> runs = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int shift = t;
        runs.add(pool.submit(() -> {
          List<String> wrong = new ArrayList<>();
          for (int i = 0; i < 600; i++) {
            int k = (i + shift) % changes.size();
            if (i % 50 == 0) {
              assertThatThrownBy(() -> ChangeDigest.of(change("label", "a\ud800b")))
                  .isInstanceOf(IllegalArgumentException.class);
            }
            if (!hex(changes.get(k)).equals(golden.get(k))) {
              wrong.add(k + "@" + i);
            }
          }
          return wrong;
        }));
      }
      for (Future<List<String>> run : runs) {
        assertThat(run.get(60, TimeUnit.SECONDS)).isEmpty();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void anEncodingLargerThanTheThreadsBufferDigestsAlikeOnItsOwnBuffer() {
    // Values just under and over the bound of the kept buffer: each digest is the same when computed
    // again after the others, and no two of them are alike.
    List<String> first = new ArrayList<>();
    for (int n = ChangeDigest.SCRATCH_MAX - 200; n < ChangeDigest.SCRATCH_MAX + 200; n += 7) {
      first.add(hex(change("blob", new byte[n])));
    }
    List<String> again = new ArrayList<>();
    for (int n = ChangeDigest.SCRATCH_MAX - 200; n < ChangeDigest.SCRATCH_MAX + 200; n += 7) {
      again.add(hex(change("blob", new byte[n])));
    }
    assertThat(again).isEqualTo(first).doesNotHaveDuplicates();
    assertThat(hex(change("n", -42L))).isEqualTo(GOLDEN_LONG);
  }

  @Test
  void aLoneSurrogateAnywhereIsRefusedByName() {
    assertThatThrownBy(() -> ChangeDigest.of(change("label", "a\ud800b")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("text value");
    assertThatThrownBy(() -> ChangeDigest.of(new Change("it\udc00", PK, "n", 1L, 1, 1, SITE, 1, 0)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("table name");
    assertThatThrownBy(() -> ChangeDigest.of(change("\ud83d", 1L)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("column name");
  }

  private static String hex(Change c) {
    return Values.hex(ChangeDigest.of(c));
  }

  private static final String GOLDEN_NULL =
      "8615ce6f051a38465e0a76daea7e27a595cc239f8fe50486cf965133774d7461";
  private static final String GOLDEN_LONG =
      "1457f46149af717222e29f194f6837e0c69f82a7a4b2a42bbabdd14b55569271";
  private static final String GOLDEN_REAL =
      "54ea29127029d22418a3742f6981af82b90ff593a28db3bc12504ba7d46b3e8b";
  private static final String GOLDEN_TEXT =
      "76530e9dab0c565fad3f317c6a14ca7d346d7a4baa9b0bed4ae544f5109e6a56";
  private static final String GOLDEN_BLOB =
      "c8cb61be1fed5b79f9b1374dd53bcd0e6782fbca65594c2931890d2fef55d942";
  private static final String GOLDEN_LONG_FIELDS =
      "ef0ae50c40a7c3fcd089883e29b88140e47088bfa6db8640b748b3e84387976e";
}
