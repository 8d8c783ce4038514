package dev.cfost.server;

import dev.cfost.Change;
import dev.cfost.Seal;
import dev.cfost.identity.ChangeSeals;
import dev.cfost.internal.PackedKey;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Builders of changes, sites and seals for the store's tests, and a clock the test moves. */
final class TestChanges {
  private TestChanges() {}

  /** A 16-byte site id that sorts by {@code n} (0 to 255). */
  static byte[] site(int n) {
    byte[] s = new byte[16];
    s[0] = (byte) n;
    s[15] = 7;
    return s;
  }

  static byte[] pk(Object key) {
    return PackedKey.pack(List.of(key));
  }

  static Change cell(String table, Object key, String cid, Object val, long colVersion, long cl, int site) {
    return new Change(table, pk(key), cid, val, colVersion, 1, site(site), cl, 0);
  }

  static Change sentinel(String table, Object key, long cl, int site) {
    return new Change(table, pk(key), Change.SENTINEL, null, cl, 1, site(site), cl, 0);
  }

  /** A seal over {@code changes}: the store keeps seals without verifying them, so any signature will do. */
  static Seal seal(String deviceId, List<Change> changes, int signatureByte) {
    List<byte[]> digests = new ArrayList<>();
    for (Change c : changes) {
      digests.add(ChangeSeals.digest(c));
    }
    byte[] signature = new byte[64];
    java.util.Arrays.fill(signature, (byte) signatureByte);
    return new Seal(deviceId, signature, digests);
  }

  /** A change as the stream gives it back: without db_version and seq, which the server renumbers. */
  static String shape(Change c) {
    return c.table() + "/" + dev.cfost.Values.hex(c.pk()) + "/" + c.cid() + "=" + describe(c.val()) + " v"
        + c.colVersion() + " cl" + c.cl() + " site" + (c.siteId()[0] & 0xff);
  }

  static String describe(Object v) {
    if (v instanceof byte[] b) {
      return "x'" + dev.cfost.Values.hex(b) + "'";
    }
    if (v instanceof Double d) {
      return "real:" + Long.toHexString(Double.doubleToRawLongBits(d));
    }
    return v == null ? "null" : v.getClass().getSimpleName() + ":" + v;
  }

  /** A clock the test moves by hand. */
  static final class ManualClock extends Clock {
    final AtomicLong millis = new AtomicLong(1_800_000_000_000L);

    void advance(java.time.Duration d) {
      millis.addAndGet(d.toMillis());
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis.get());
    }

    @Override
    public long millis() {
      return millis.get();
    }
  }
}
