package dev.cfost.internal;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether the chunks of a merge arrive in key order, table by table: each chunk's smallest packed key
 * of a table is at least the largest of that table in the chunks before. Such a chunk can be merged as it
 * comes, without staging, since merging chunk after chunk then walks the B-trees in key order just as the
 * staged merge would (a stream written by one large transaction arrives so: its rows are captured in key
 * order).
 */
final class AscendingKeys {
  private final Map<String, byte[]> highest = new HashMap<>();

  /** True, and the chunk's keys remembered, if the chunk continues the key order; false otherwise. */
  boolean continuedBy(List<ChangeValidator.Checked> chunk) {
    Map<String, byte[][]> ranges = new HashMap<>(); // table -> {smallest, largest}
    for (ChangeValidator.Checked c : chunk) {
      byte[] pk = c.pk();
      byte[][] r = ranges.computeIfAbsent(c.spec().name, t -> new byte[][] {pk, pk});
      if (Arrays.compareUnsigned(pk, r[0]) < 0) {
        r[0] = pk;
      } else if (Arrays.compareUnsigned(pk, r[1]) > 0) {
        r[1] = pk;
      }
    }
    for (Map.Entry<String, byte[][]> e : ranges.entrySet()) {
      byte[] before = highest.get(e.getKey());
      if (before != null && Arrays.compareUnsigned(e.getValue()[0], before) < 0) {
        return false;
      }
    }
    ranges.forEach((table, r) -> highest.put(table, r[1]));
    return true;
  }
}
