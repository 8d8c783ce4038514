package dev.cfost.server;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The answer to a WebSocket upgrade request (or any request, malformed too) sent over a plain socket, for what
 * java.net.http's client hides or refuses to send: the status line, the headers as sent, and the body of a
 * refusal.
 */
record UpgradeAnswer(String status, List<String> headers, String body) {
  /**
   * Sends {@code GET path} as an upgrade to {@code 127.0.0.1:port}, with {@code token} as the bearer (none if
   * null) and {@code extra} header lines; reads the answer's head, and its body if it has a Content-Length.
   */
  static UpgradeAnswer send(int port, String path, String token, String... extra) throws IOException {
    StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        + "Sec-WebSocket-Version: 13\r\n");
    if (token != null) {
      request.append("Authorization: Bearer ").append(token).append("\r\n");
    }
    for (String line : extra) {
      request.append(line).append("\r\n");
    }
    return exchange(port, request.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
  }

  /**
   * Writes {@code request} as it is (malformed if it likes) to {@code 127.0.0.1:port}; reads the answer's
   * head, and its body if it has a Content-Length.
   */
  static UpgradeAnswer exchange(int port, byte[] request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request);
      DataInputStream in = new DataInputStream(socket.getInputStream());
      String status = line(in);
      List<String> headers = new ArrayList<>();
      for (String h = line(in); !h.isEmpty(); h = line(in)) {
        headers.add(h);
      }
      UpgradeAnswer head = new UpgradeAnswer(status, headers, "");
      List<String> length = head.values("Content-Length");
      byte[] body = new byte[length.isEmpty() ? 0 : Integer.parseInt(length.get(0))];
      in.readFully(body);
      return new UpgradeAnswer(status, headers, new String(body, StandardCharsets.UTF_8));
    }
  }

  /** The comma-separated values of every header {@code name}, in order. */
  List<String> values(String name) {
    List<String> values = new ArrayList<>();
    for (String h : headers) {
      int colon = h.indexOf(':');
      if (colon > 0 && h.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
        for (String v : h.substring(colon + 1).split(",")) {
          values.add(v.strip());
        }
      }
    }
    return values;
  }

  private static String line(DataInputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new EOFException("the server closed the connection after: " + b);
      }
      if (c != '\r') {
        b.append((char) c);
      }
    }
    return b.toString();
  }
}
