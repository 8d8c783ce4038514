package dev.cfost.identity.internal;

import java.util.Arrays;

/**
 * A change's digest as a hash key: equal by content, hashed from its first 8 bytes (a digest is uniformly
 * random there, so hashing all 32 bytes buys nothing). Bytes of another length, as a malformed seal may
 * carry, are keys too, hashed whole. Comparable (unsigned, bytewise), so a hash map whose keys a sender
 * chose to collide degrades to a tree, not to a list. The array is not copied: callers hand over a digest
 * they no longer change. Immutable.
 */
public final class DigestKey implements Comparable<DigestKey> {
  private final byte[] bytes;
  private final int hash;

  private DigestKey(byte[] bytes) {
    this.bytes = bytes;
    this.hash = bytes.length >= 8 ? first8(bytes) : Arrays.hashCode(bytes);
  }

  public static DigestKey of(byte[] digest) {
    return new DigestKey(digest);
  }

  private static int first8(byte[] b) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[i] & 0xff);
    }
    return (int) (v ^ (v >>> 32));
  }

  /** The digest itself (not a copy). */
  public byte[] bytes() {
    return bytes;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DigestKey k && hash == k.hash && Arrays.equals(bytes, k.bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public int compareTo(DigestKey o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }

  @Override
  public String toString() {
    return dev.cfost.Values.hex(bytes);
  }
}
