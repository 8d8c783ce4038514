package dev.cfost.server.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The value order of the merge rule's third step, exactly cfost-core's {@code ValueOrder} (package
 * private there; a test checks the two agree): by storage class INTEGER > REAL > TEXT > BLOB > NULL,
 * then numbers by value (-0.0 equals 0.0, as SQLite compares), text by UTF-8 bytes and blobs by bytes,
 * unsigned, a prefix before a longer value.
 */
final class ServerValueOrder {
  private ServerValueOrder() {}

  static int compare(Object a, Object b) {
    int ra = rank(a);
    int rb = rank(b);
    if (ra != rb) {
      return Integer.compare(ra, rb);
    }
    if (a == null) {
      return 0;
    } else if (a instanceof Long x) {
      return Long.compare(x, (Long) b);
    } else if (a instanceof Double x) {
      double y = (Double) b;
      return x < y ? -1 : x > y ? 1 : 0;
    } else if (a instanceof String x) {
      return Arrays.compareUnsigned(x.getBytes(StandardCharsets.UTF_8), ((String) b).getBytes(StandardCharsets.UTF_8));
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
