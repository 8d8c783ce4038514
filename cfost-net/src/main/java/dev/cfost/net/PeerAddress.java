package dev.cfost.net;

/**
 * Where a peer can be reached: a host and port for TCP, or a node name on a {@link MemoryNetwork} (port
 * 0).
 */
public record PeerAddress(String host, int port) {
  public PeerAddress {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("peer address has no host");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }

  /**
   * Parses {@code host:port} (IPv6 as {@code [::1]:port}).
   *
   * @throws IllegalArgumentException naming the text if it is not an address
   */
  public static PeerAddress parse(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException("not a HOST:PORT address: '" + text + "'");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    try {
      return new PeerAddress(host, Integer.parseInt(text.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a HOST:PORT address: '" + text + "'", e);
    }
  }

  @Override
  public String toString() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
