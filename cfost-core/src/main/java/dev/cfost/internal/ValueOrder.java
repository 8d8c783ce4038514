package dev.cfost.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The deterministic value order of the merge rule's third step, as cr-sqlite 0.16 orders values
 * (observed on a real build): by storage class, INTEGER > REAL > TEXT > BLOB > NULL; then numbers by
 * value, text by its UTF-8 bytes and blobs by their bytes, unsigned, a prefix before a longer value.
 */
public final class ValueOrder {
  private ValueOrder() {}

  /** Negative, zero or positive as {@code a} sorts before, with or after {@code b}; shared with the server. */
  public static int compare(Object a, Object b) {
    int ra = rank(a);
    int rb = rank(b);
    if (ra != rb) {
      return Integer.compare(ra, rb);
    }
    if (a == null) {
      return 0;
    } else if (a instanceof Long) {
      return Long.compare((Long) a, (Long) b);
    } else if (a instanceof Double) {
      // As SQLite compares: -0.0 and 0.0 are equal (the merge then writes the greater site's value, so
      // that replicas also agree on the sign; a REAL column stores both as 0.0).
      double x = (Double) a;
      double y = (Double) b;
      return x < y ? -1 : x > y ? 1 : 0;
    } else if (a instanceof String) {
      return Arrays.compareUnsigned(
          ((String) a).getBytes(StandardCharsets.UTF_8), ((String) b).getBytes(StandardCharsets.UTF_8));
    }
    return Arrays.compareUnsigned((byte[]) a, (byte[]) b);
  }

  private static int rank(Object v) {
    if (v == null) {
      return 0;
    } else if (v instanceof byte[]) {
      return 1;
    } else if (v instanceof String) {
      return 2;
    } else if (v instanceof Double) {
      return 3;
    }
    return 4;
  }
}
