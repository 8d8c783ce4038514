package dev.cfost.server.internal;

import dev.cfost.server.ServerConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An address or a CIDR block ({@code 10.0.0.0/8}, {@code fd00::/8}, {@code 192.0.2.7}), parsed without
 * a DNS look-up. An IPv4 address never matches an IPv6 block nor the reverse (an IPv4-mapped IPv6 address
 * is parsed as the IPv4 address it maps).
 */
public final class IpRange {
  private final byte[] network;
  private final int bits;

  private IpRange(byte[] network, int bits) {
    this.network = network;
    this.bits = bits;
  }

  /**
   * Parses {@code IP} or {@code IP/BITS}.
   *
   * @throws IllegalArgumentException naming the text if it is neither
   */
  public static IpRange parse(String text) {
    String t = text.strip();
    int slash = t.indexOf('/');
    String ip = ServerConfig.ipLiteral(slash < 0 ? t : t.substring(0, slash));
    if (ip == null) {
      throw new IllegalArgumentException("'" + t + "' is not an IP address or a CIDR block (such as 10.0.0.0/8)");
    }
    byte[] address = bytes(ip);
    int max = address.length * 8;
    int bits = max;
    if (slash >= 0) {
      try {
        bits = Integer.parseInt(t.substring(slash + 1));
      } catch (NumberFormatException e) {
        bits = -1;
      }
      if (bits < 0 || bits > max) {
        throw new IllegalArgumentException("'" + t + "': the prefix length must be 0 to " + max);
      }
    }
    return new IpRange(address, bits);
  }

  /** Whether {@code address} (an IP literal; anything else never matches) lies in this range. */
  public boolean contains(String address) {
    String ip = ServerConfig.ipLiteral(address);
    if (ip == null) {
      return false;
    }
    byte[] a = bytes(ip);
    if (a.length != network.length) {
      return false;
    }
    int full = bits / 8;
    for (int i = 0; i < full; i++) {
      if (a[i] != network[i]) {
        return false;
      }
    }
    int rest = bits % 8;
    if (rest == 0) {
      return true;
    }
    int mask = 0xff << (8 - rest) & 0xff;
    return (a[full] & mask) == (network[full] & mask);
  }

  private static byte[] bytes(String literal) {
    try {
      return InetAddress.getByName(literal).getAddress(); // a literal: parsed, not looked up
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("'" + literal + "' is not an IP address", e);
    }
  }

  @Override
  public String toString() {
    try {
      return InetAddress.getByAddress(network).getHostAddress() + "/" + bits;
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
