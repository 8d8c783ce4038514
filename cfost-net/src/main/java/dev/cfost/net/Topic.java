package dev.cfost.net;

import dev.cfost.Values;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bouncycastle.crypto.digests.Blake2bDigest;

/**
 * The 32-byte rendezvous name of a logical database: BLAKE2b-256 of its database id. Replicas with the
 * same database id share a topic, announce it and look it up to find each other.
 */
public final class Topic {
  private final byte[] hash;

  private Topic(byte[] hash) {
    this.hash = hash;
  }

  /** The topic of a database id: BLAKE2b-256 of its UTF-8 bytes. */
  public static Topic of(String databaseId) {
    byte[] in = databaseId.getBytes(StandardCharsets.UTF_8);
    Blake2bDigest d = new Blake2bDigest(256);
    d.update(in, 0, in.length);
    byte[] out = new byte[32];
    d.doFinal(out, 0);
    return new Topic(out);
  }

  /**
   * Parses 64 hex digits.
   *
   * @throws IllegalArgumentException if {@code hex} is not 32 bytes of hex
   */
  public static Topic fromHex(String hex) {
    byte[] bytes;
    try {
      bytes = Values.unhex(hex);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("topic is not hex: '" + hex + "'", e);
    }
    if (bytes.length != 32) {
      throw new IllegalArgumentException("a topic is 32 bytes, not " + bytes.length);
    }
    return new Topic(bytes);
  }

  public byte[] bytes() {
    return hash.clone();
  }

  public String hex() {
    return Values.hex(hash);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Topic && Arrays.equals(hash, ((Topic) o).hash);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(hash);
  }

  @Override
  public String toString() {
    return hex();
  }
}
