package dev.cfost;

import static dev.cfost.TestDb.dump;
import static dev.cfost.TestDb.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.internal.PackedKey;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.LongFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Keys that SQLite calls equal are one row, however the peer encoded them: a non-minimal integer
 * encoding, 1 and 1.0, -0.0 and 0.0, a number for a TEXT key. A replica that receives such variants ends
 * identical to one that received the canonical encoding, and the row's causal length carries on.
 */
class OneRowOneKeyTest {
  private static final byte[] SITE = Values.unhex("0102030405060708090a0b0c0d0e0f10");

  @TempDir Path dir;

  static Stream<Arguments> variants() {
    LongFunction<byte[]> integer = n -> pk(n);
    LongFunction<byte[]> nonMinimal = n -> Values.unhex("0111" + String.format("%04x", n)); // 2 bytes for 1
    LongFunction<byte[]> real = n -> pk((double) n);
    return Stream.of(
        Arguments.of("INTEGER", integer, nonMinimal, "integer:1"),
        Arguments.of("INTEGER", integer, real, "integer:1"),
        Arguments.of("", integer, real, "integer:1"),
        Arguments.of("", integer, nonMinimal, "integer:1"),
        Arguments.of("NUMERIC", integer, real, "integer:1"),
        Arguments.of("REAL", real, integer, "real:1.0"),
        Arguments.of("TEXT", (LongFunction<byte[]>) n -> pk(Long.toString(n)), integer, "text:1"));
  }

  @ParameterizedTest(name = "{0} key, {3}")
  @MethodSource("variants")
  void aRowReachedThroughEqualKeysOfOtherEncodingsIsOneRow(String declared, LongFunction<byte[]> canonical,
      LongFunction<byte[]> variant, String keyShown) {
    try (Cfost plain = replica("plain.db", declared); Cfost hostile = replica("hostile.db", declared)) {
      for (List<Change[]> batch : history(canonical, variant)) {
        plain.merge(padded(canonical, batch, 0));
        hostile.merge(padded(canonical, batch, 1));
      }
      assertThat(dump(hostile, "t")).isEqualTo(dump(plain, "t")).contains(keyShown + " | text:f")
          .noneMatch(r -> r.contains(":2 |"));
      assertThat(clocks(hostile)).isEqualTo(clocks(plain));
      // The causal length carried on: the row is in its third life, not restarted at 1.
      assertThat(TestDb.allChanges(hostile, 1000)).filteredOn(c -> c.pk()[c.pk().length - 1] == 1)
          .allMatch(c -> c.cl() == 3);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("zeros")
  void minusZeroAndZeroAreOneKey(String declared, String keyShown) {
    LongFunction<byte[]> zero = n -> n == 1 ? pk(0.0) : pk(n + 0.5);
    LongFunction<byte[]> minusZero = n -> n == 1 ? pk(-0.0) : pk(n + 0.5);
    try (Cfost plain = replica("plain.db", declared); Cfost hostile = replica("hostile.db", declared)) {
      for (List<Change[]> batch : history(zero, minusZero)) {
        plain.merge(padded(zero, batch, 0));
        hostile.merge(padded(zero, batch, 1));
      }
      assertThat(dump(hostile, "t")).isEqualTo(dump(plain, "t")).contains(keyShown + " | text:f");
      assertThat(clocks(hostile)).isEqualTo(clocks(plain));
    }
  }

  static Stream<Arguments> zeros() {
    return Stream.of(Arguments.of("REAL", "real:0.0"), Arguments.of("", "integer:0"));
  }

  /**
   * Batches of [canonical, variant] pairs: each replica takes one side. Row 1 lives, dies and lives again
   * (cl 3, value 'f'); row 2 is created and deleted within one batch.
   */
  private static List<List<Change[]>> history(LongFunction<byte[]> c, LongFunction<byte[]> v) {
    List<List<Change[]>> out = new ArrayList<>();
    out.add(List.<Change[]>of(pair(c, c, 1, "v", "a", 5, 1)));
    out.add(List.<Change[]>of(pair(c, v, 1, Change.SENTINEL, null, 2, 2)));
    out.add(List.<Change[]>of(pair(c, v, 1, "v", "c", 7, 3)));
    out.add(List.<Change[]>of(pair(c, c, 1, "v", "f", 10, 3), pair(c, v, 1, "v", "e", 9, 3)));
    out.add(List.<Change[]>of(pair(c, v, 1, "v", "x", 1, 1)));
    out.add(List.<Change[]>of(pair(c, c, 2, "v", "a", 5, 1), pair(c, v, 2, Change.SENTINEL, null, 2, 2)));
    return out;
  }

  private static Change[] pair(LongFunction<byte[]> c, LongFunction<byte[]> v, long key, String cid, Object val,
      long colVersion, long cl) {
    return new Change[] {
        new Change("t", c.apply(key), cid, val, colVersion, 1, SITE, cl, 0),
        new Change("t", v.apply(key), cid, val, colVersion, 1, SITE, cl, 0)};
  }

  /** One side of a batch, with 20 other rows: enough for the engine's many-keys lookup. */
  private static List<Change> padded(LongFunction<byte[]> canonical, List<Change[]> batch, int side) {
    List<Change> out = new ArrayList<>();
    for (Change[] p : batch) {
      out.add(p[side]);
    }
    for (long n = 100; n < 120; n++) {
      out.add(new Change("t", canonical.apply(n), "v", "pad", out.size() + 1, 1, SITE, 1, 0));
    }
    return out;
  }

  private Cfost replica(String file, String declared) {
    Cfost db = TestDb.open(dir.resolve(file));
    sql(db, "CREATE TABLE t(id " + declared + " PRIMARY KEY NOT NULL, v TEXT)");
    db.replicate("t");
    return db;
  }

  private static TreeSet<String> clocks(Cfost db) {
    TreeSet<String> out = new TreeSet<>();
    for (Change c : TestDb.allChanges(db, 1000)) {
      out.add(Values.hex(c.pk()) + " " + c.cid() + "=" + c.val() + "@" + c.colVersion() + " cl " + c.cl());
    }
    return out;
  }

  private static byte[] pk(Object v) {
    return PackedKey.pack(List.of(v));
  }
}
