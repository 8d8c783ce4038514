package dev.cfost.net.internal;

import dev.cfost.net.Connection;
import dev.cfost.net.FrameTooLargeException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One WebSocket as a {@link Connection}: one message is one frame of the session, its UTF-8 bytes; text
 * messages, or binary ones where the server chose the subprotocol {@link WebSocketTransport#BINARY}.
 *
 * <p>Backpressure: the WebSocket is asked for its next message only when {@link #receive} wants one, so at
 * most one message (and the parts of it that arrived) is held here; the rest waits in the socket, and the
 * server's own sends slow down. The size limit that applies to a message is the one in force when
 * {@link #receive} asked for it: 64 KiB before {@link #authorized}, the transport's maximum after, as
 * {@link FramedConnection} does; the parts of a message are joined up to that limit, text or binary.
 *
 * <p>Threads: the JDK's WebSocket calls the listener methods one at a time on its executor; one thread
 * receives; {@link #send} is synchronized (the JDK allows one outstanding send). {@link #lock} guards the
 * hand-over between the two.
 */
final class WebSocketConnection implements Connection, WebSocket.Listener {
  static final int UNAUTHORIZED_MAX_FRAME = 64 << 10;
  private static final long CLOSE_GRACE_MILLIS = 2_000;

  private final String remote;
  private final int maxFrame;
  private final java.util.function.Consumer<WebSocketConnection> onClosed;
  private volatile int limit;
  private volatile WebSocket ws;
  /** The server chose binary messages; set before the first message is asked for. */
  private volatile boolean binary;

  private final Object lock = new Object();
  // Guarded by lock.
  private byte[] ready;
  private boolean requested;
  private IOException failure;
  private boolean ended;
  private int closeCode;
  private String closeReason;
  private boolean closed;

  // Only accessed by the listener (one call at a time).
  private StringBuilder partial;
  private byte[] partialBinary;
  private long partialBytes;
  /** Messages the listener took in, for tests of the backpressure. */
  volatile long messagesIn;

  WebSocketConnection(String remote, int maxFrame, java.util.function.Consumer<WebSocketConnection> onClosed) {
    this.remote = remote;
    this.maxFrame = maxFrame;
    this.limit = Math.min(maxFrame, UNAUTHORIZED_MAX_FRAME);
    this.onClosed = onClosed;
  }

  /** The WebSocket, once the handshake has finished (onOpen may come before or after). */
  void opened(WebSocket socket) {
    this.binary = WebSocketTransport.BINARY.equals(socket.getSubprotocol());
    this.ws = socket;
  }

  @Override
  public void onOpen(WebSocket socket) {
    this.binary = WebSocketTransport.BINARY.equals(socket.getSubprotocol());
    this.ws = socket; // no request yet: receive() asks for each message
  }

  @Override
  public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
    partialBytes += utf8Length(data);
    int max = limit;
    if (partialBytes > max) {
      long size = partialBytes;
      partial = null;
      partialBytes = 0;
      end(new FrameTooLargeException(size, max), 0, null);
      socket.abort();
      return null;
    }
    if (!last) {
      if (partial == null) {
        partial = new StringBuilder();
      }
      partial.append(data);
      socket.request(1); // the rest of this message: bounded by the limit above
      return null;
    }
    byte[] frame;
    if (partial == null) {
      frame = data.toString().getBytes(StandardCharsets.UTF_8);
    } else {
      frame = partial.append(data).toString().getBytes(StandardCharsets.UTF_8);
      partial = null;
    }
    partialBytes = 0;
    deliver(frame);
    return null;
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
    if (!binary) {
      end(new IOException("the server " + remote + " sent a binary WebSocket message; the sync protocol uses"
          + " text messages unless the server chose " + WebSocketTransport.BINARY), 0, null);
      socket.abort();
      return null;
    }
    long before = partialBytes;
    partialBytes += data.remaining();
    int max = limit;
    if (partialBytes > max) {
      long size = partialBytes;
      partialBinary = null;
      partialBytes = 0;
      end(new FrameTooLargeException(size, max), 0, null);
      socket.abort();
      return null;
    }
    if (!last) {
      // Grows with what arrived, never past the limit checked above.
      if (partialBinary == null || partialBinary.length < partialBytes) {
        partialBinary = java.util.Arrays.copyOf(partialBinary == null ? new byte[0] : partialBinary,
            (int) Math.min(max, Math.max(partialBytes, 2 * before)));
      }
      data.get(partialBinary, (int) before, data.remaining());
      socket.request(1); // the rest of this message
      return null;
    }
    byte[] frame;
    if (partialBinary == null) {
      frame = new byte[data.remaining()];
      data.get(frame);
    } else {
      frame = java.util.Arrays.copyOf(partialBinary, (int) partialBytes);
      data.get(frame, (int) before, data.remaining());
      partialBinary = null;
    }
    partialBytes = 0;
    deliver(frame);
    return null;
  }

  private void deliver(byte[] frame) {
    messagesIn++;
    synchronized (lock) {
      ready = frame;
      requested = false;
      lock.notifyAll();
    }
  }

  @Override
  public CompletionStage<?> onPing(WebSocket socket, ByteBuffer message) {
    socket.request(1); // the JDK answers the ping; it used up the demand meant for a session frame
    return null;
  }

  @Override
  public CompletionStage<?> onPong(WebSocket socket, ByteBuffer message) {
    socket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
    end(null, statusCode, reason);
    return null; // the JDK then answers the close
  }

  @Override
  public void onError(WebSocket socket, Throwable error) {
    end(error instanceof IOException io ? io : new IOException("WebSocket with " + remote + " failed: " + error, error),
        0, null);
  }

  private void end(IOException error, int code, String reason) {
    synchronized (lock) {
      if (ended) {
        return;
      }
      ended = true;
      failure = error;
      closeCode = code;
      closeReason = reason;
      lock.notifyAll();
    }
    onClosed.accept(this);
  }

  @Override
  public byte[] receive() throws IOException {
    boolean ask = false;
    synchronized (lock) {
      while (true) {
        if (ready != null) {
          byte[] frame = ready;
          ready = null;
          return frame;
        }
        if (ended) {
          if (failure != null) {
            throw failure; // as it is: the session answers a FrameTooLargeException with frame_too_large
          }
          if (closed || closeCode == WebSocket.NORMAL_CLOSURE && (closeReason == null || closeReason.isEmpty())) {
            return null;
          }
          throw new IOException("the server closed the connection: "
              + (closeReason == null || closeReason.isEmpty() ? "no reason given" : closeReason)
              + " (WebSocket close code " + closeCode + ")");
        }
        if (!requested && ws != null) {
          requested = true;
          ask = true;
          break;
        }
        waitOnLock();
      }
    }
    if (ask) {
      ws.request(1); // outside the lock: the JDK may deliver on this very thread
    }
    synchronized (lock) {
      while (ready == null && !ended) {
        waitOnLock();
      }
    }
    return receive();
  }

  private void waitOnLock() throws InterruptedIOException {
    try {
      lock.wait();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while receiving from " + remote);
    }
  }

  @Override
  public synchronized void send(byte[] frame) throws IOException {
    if (frame.length == 0 || frame.length > maxFrame) {
      throw new FrameTooLargeException(frame.length, maxFrame);
    }
    WebSocket socket = ws;
    synchronized (lock) {
      if (ended || socket == null) {
        throw new IOException("the WebSocket with " + remote + " is closed");
      }
    }
    try {
      if (binary) {
        socket.sendBinary(ByteBuffer.wrap(frame), true).get();
      } else {
        socket.sendText(new String(frame, StandardCharsets.UTF_8), true).get();
      }
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw new IOException("sending to " + remote + " failed: " + cause, cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while sending to " + remote);
    }
  }

  @Override
  public void authorized() {
    limit = maxFrame;
  }

  @Override
  public String remote() {
    return remote;
  }

  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    end(null, WebSocket.NORMAL_CLOSURE, null); // wakes a blocked receive, which then returns null
    WebSocket socket = ws;
    if (socket == null) {
      return;
    }
    try {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "")
          .orTimeout(CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS)
          .whenComplete((r, e) -> socket.abort());
    } catch (RuntimeException e) {
      socket.abort();
    }
  }

  /** The UTF-8 length of {@code s}, counting a lone surrogate as 2 (at least what it costs). */
  static long utf8Length(CharSequence s) {
    long n = 0;
    for (int i = 0, len = s.length(); i < len; i++) {
      char c = s.charAt(i);
      n += c < 0x80 ? 1 : c < 0x800 || Character.isSurrogate(c) ? 2 : 3;
    }
    return n;
  }
}
