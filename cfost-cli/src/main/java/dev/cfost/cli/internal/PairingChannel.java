package dev.cfost.cli.internal;

import dev.cfost.net.TlsIdentity;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * The pairing exchange: over one TLS 1.3 connection the new device sends one line (its pairing response)
 * and the authorizer answers one line ({@link PairingReply}).
 *
 * <p>The authorizer presents its database's TLS certificate ({@link TlsIdentity}); the new device accepts
 * any certificate, because trust does not come from TLS here: the authorizer checks the response's
 * signature against the challenge it issued, and the new device checks the reply's signature against the
 * authorizer key that the challenge carries. TLS keeps the exchange private.
 */
final class PairingChannel {
  /** Where {@code cfost device pair} listens unless told otherwise. */
  static final int DEFAULT_PORT = 7948;
  static final int CONNECT_TIMEOUT_MS = 3_000;
  /** How long a side waits for each read (the new device: for its TLS handshake). */
  static final int IO_TIMEOUT_MS = 10_000;
  /**
   * How long {@code device pair} gives an accepted connection for its TLS handshake and its whole response
   * line: it serves one connection at a time, so a stranger dripping bytes holds the slot this long at most.
   * Below {@link #IO_TIMEOUT_MS}, so a device whose connection waited behind a stranger's still finds the
   * slot free before its own handshake gives up.
   */
  static final int RESPONSE_DEADLINE_MS = 5_000;
  private static final int MAX_LINE_BYTES = 8192;
  private static final String[] PROTOCOLS = {"TLSv1.3"};

  private PairingChannel() {}

  /** A TLS server socket bound to {@code at}, presenting the certificate of the database at {@code database}. */
  static SSLServerSocket listen(Path database, InetSocketAddress at) throws IOException {
    SSLContext tls = TlsIdentity.forDatabase(database).context();
    SSLServerSocket server = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket();
    try {
      server.bind(at);
    } catch (IOException e) {
      server.close();
      throw new CliException("cannot listen on " + at.getHostString() + ":" + at.getPort() + ": " + e.getMessage(), e);
    }
    server.setEnabledProtocols(PROTOCOLS);
    return server;
  }

  /** A TLS connection to {@code host:port}, handshake done, whatever certificate the server presents. */
  static SSLSocket connect(String host, int port) throws IOException {
    Socket plain = new Socket();
    try {
      plain.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
      SSLSocket socket = (SSLSocket) TlsIdentity.anonymousContext().getSocketFactory().createSocket(plain, host, port, true);
      socket.setEnabledProtocols(PROTOCOLS);
      socket.setSoTimeout(IO_TIMEOUT_MS);
      socket.startHandshake();
      return socket;
    } catch (IOException | RuntimeException e) {
      plain.close();
      throw e;
    }
  }

  /** One line of UTF-8 text, without its end; null at the end of the stream before any byte. */
  static String readLine(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1 && b != '\n') {
      if (line.size() == MAX_LINE_BYTES) {
        throw new IOException("a pairing message has at most " + MAX_LINE_BYTES + " bytes");
      }
      line.write(b);
    }
    if (b == -1 && line.size() == 0) {
      return null;
    }
    return line.toString(StandardCharsets.UTF_8).strip();
  }

  static void writeLine(Socket socket, String line) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }
}
