package dev.cfost.cli.internal;

import dev.cfost.net.PeerAddress;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Command-line converters for {@code HOST:PORT}; a malformed address is a usage error (exit 2). */
final class Addresses {
  private Addresses() {}

  /** A peer to connect to: a port from 1 to 65535. */
  static final class Peer implements ITypeConverter<PeerAddress> {
    @Override
    public PeerAddress convert(String text) {
      PeerAddress a = parse(text);
      if (a.port() == 0) {
        throw new TypeConversionException("'" + text + "' has port 0; a peer needs its real port");
      }
      return a;
    }
  }

  /** Where to listen: port 0 picks a free port. */
  static final class Listen implements ITypeConverter<InetSocketAddress> {
    @Override
    public InetSocketAddress convert(String text) {
      PeerAddress a = parse(text);
      try {
        // Named as written, so that logs and 'listening on' show the host the way the user gave it.
        InetAddress resolved = InetAddress.getByName(a.host());
        return new InetSocketAddress(InetAddress.getByAddress(a.host(), resolved.getAddress()), a.port());
      } catch (UnknownHostException e) {
        throw new TypeConversionException("cannot resolve the host of '" + text + "'");
      }
    }
  }

  static PeerAddress parse(String text) {
    try {
      return PeerAddress.parse(text.strip());
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }

  /** {@code host:port} as the user wrote the host, with the port that was really bound. */
  static String text(InetSocketAddress requested, int boundPort) {
    return new PeerAddress(requested.getHostString(), boundPort).toString();
  }
}
