package dev.cfost.net.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.net.Connection;
import dev.cfost.net.FrameTooLargeException;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.Topic;
import dev.cfost.net.Transport;
import dev.cfost.net.WebSocketAuth;
import dev.cfost.net.WebSocketOptions;
import dev.cfost.net.WsServer;
import io.javalin.websocket.WsConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.eclipse.jetty.websocket.api.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The WebSocket transport against a real WebSocket server (Javalin on Jetty) on loopback. */
@Timeout(20) // a transport that stops asking for messages hangs a receive: fail instead
class WebSocketTransportTest {
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  private WsServer server(Consumer<WsConfig> handler) {
    WsServer s = WsServer.start(0, handler);
    toClose.add(0, s);
    return s;
  }

  private WsServer binaryServer(Consumer<WsConfig> handler) {
    WsServer s = WsServer.startBinary(0, handler);
    toClose.add(0, s);
    return s;
  }

  private WebSocketTransport transport(int maxFrame, WebSocketAuth auth, URI... urls) {
    WebSocketOptions.Builder b = WebSocketOptions.builder().auth(auth);
    for (URI u : urls) {
      b.url(u);
    }
    WebSocketTransport t = new WebSocketTransport(b.build(), maxFrame);
    toClose.add(0, t);
    return t;
  }

  private static Connection dial(Transport t) throws IOException {
    return t.connect(t.lookup(Topic.of("x")).get(0));
  }

  private static String text(byte[] frame) {
    return new String(frame, StandardCharsets.UTF_8);
  }

  private static String repeat(char c, int n) {
    return String.valueOf(c).repeat(n);
  }

  @Test
  void eachTextMessageIsOneFrameAndPartialMessagesAreReassembled() throws Exception {
    WsServer s = server(ws -> ws.onConnect(ctx -> {
      ctx.send("{\"type\":\"ping\",\"id\":1}");
      ctx.session.sendPartialText("{\"type\":", false, Callback.NOOP);
      ctx.session.sendPartialText("\"pong\",", false, Callback.NOOP);
      ctx.session.sendPartialText("\"id\":\"é\"}", true, Callback.NOOP);
    }));
    Connection c = dial(transport(1 << 20, WebSocketAuth.none(), s.url()));
    assertThat(text(c.receive())).isEqualTo("{\"type\":\"ping\",\"id\":1}");
    assertThat(text(c.receive())).isEqualTo("{\"type\":\"pong\",\"id\":\"é\"}");
  }

  @Test
  void framesSentArriveAsTextMessagesInOrder() throws Exception {
    List<String> got = new CopyOnWriteArrayList<>();
    WsServer s = server(ws -> ws.onMessage(ctx -> {
      got.add(ctx.message());
      ctx.send("echo " + ctx.message());
    }));
    Connection c = dial(transport(1 << 20, WebSocketAuth.none(), s.url()));
    for (int i = 0; i < 20; i++) {
      c.send(("m" + i).getBytes(StandardCharsets.UTF_8));
    }
    for (int i = 0; i < 20; i++) {
      assertThat(text(c.receive())).isEqualTo("echo m" + i);
    }
    assertThat(got).hasSize(20).startsWith("m0", "m1");
  }

  /** The next message is asked for only when the session takes the previous one: nothing piles up here. */
  @Test
  void messagesAreTakenInOnlyWhenTheReceiverAsks() throws Exception {
    WsServer s = server(ws -> ws.onConnect(ctx -> {
      for (int i = 0; i < 200; i++) {
        ctx.session.sendText("message " + i + " " + repeat('x', 1000), Callback.NOOP);
      }
    }));
    WebSocketConnection c = (WebSocketConnection) dial(transport(1 << 20, WebSocketAuth.none(), s.url()));
    assertThat(text(c.receive())).startsWith("message 0 ");
    Thread.sleep(500); // the server has sent everything by now; the client must not have read it in
    assertThat(c.messagesIn).isEqualTo(1);
    assertThat(text(c.receive())).startsWith("message 1 ");
    assertThat(c.messagesIn).isEqualTo(2);
    for (int i = 2; i < 200; i++) {
      assertThat(text(c.receive())).startsWith("message " + i + " ");
    }
  }

  /** A WebSocket ping uses up the demand the receiver gave: the transport must ask again for the frame. */
  @Test
  void pingsOfTheServerDoNotStallTheNextFrame() throws Exception {
    WsServer s = server(ws -> ws.onConnect(ctx -> {
      ctx.sendPing();
      ctx.sendPing();
      ctx.send("after two pings");
    }));
    Connection c = dial(transport(1 << 20, WebSocketAuth.none(), s.url()));
    assertThat(text(c.receive())).isEqualTo("after two pings");
  }

  @Test
  void aBinaryMessageEndsTheConnection() throws Exception {
    WsServer s = server(ws -> ws.onConnect(ctx -> ctx.send(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}))));
    Connection c = dial(transport(1 << 20, WebSocketAuth.none(), s.url()));
    assertThatThrownBy(c::receive).isInstanceOf(IOException.class).hasMessageContaining("binary WebSocket message");
  }

  @Test
  void textIsOfferedFirstSoAServerThatEchoesTheFirstOfferKeepsText() throws Exception {
    List<String> got = new CopyOnWriteArrayList<>();
    WsServer s = server(ws -> ws.onMessage(ctx -> {
      got.add(ctx.message());
      ctx.send("echo " + ctx.message());
    }));
    Connection c = dial(transport(1 << 20, WebSocketAuth.none(), s.url()));
    c.send("m".getBytes(StandardCharsets.UTF_8));
    assertThat(text(c.receive())).isEqualTo("echo m");
    assertThat(s.offered).isEqualTo("cfost-sync, cfost-sync-binary");
    assertThat(got).containsExactly("m");
  }

  @Test
  void whenTheServerChoosesBinaryMessagesGoBothWaysInBinaryFramesAndPartsAreJoined() throws Exception {
    List<String> got = new CopyOnWriteArrayList<>();
    WsServer s = binaryServer(ws -> {
      ws.onMessage(ctx -> got.add("text " + ctx.message()));
      ws.onBinaryMessage(ctx -> {
        got.add("binary " + StandardCharsets.UTF_8.decode(ctx.data()));
        ctx.send(ByteBuffer.wrap("{\"type\":\"ping\",\"id\":1}".getBytes(StandardCharsets.UTF_8)));
        byte[] whole = "{\"type\":\"pong\",\"id\":\"é\"}".getBytes(StandardCharsets.UTF_8);
        int cut = whole.length - 3; // between the two bytes of é: parts are bytes, not characters
        ctx.session.sendPartialBinary(ByteBuffer.wrap(whole, 0, cut), false, Callback.NOOP);
        ctx.session.sendPartialBinary(ByteBuffer.wrap(whole, cut, whole.length - cut), true, Callback.NOOP);
      });
    });
    Connection c = dial(transport(1 << 20, WebSocketAuth.none(), s.url()));
    c.send("{\"type\":\"hello\"}".getBytes(StandardCharsets.UTF_8));
    assertThat(text(c.receive())).isEqualTo("{\"type\":\"ping\",\"id\":1}");
    assertThat(text(c.receive())).isEqualTo("{\"type\":\"pong\",\"id\":\"é\"}");
    assertThat(got).containsExactly("binary {\"type\":\"hello\"}");
  }

  @Test
  void aBinaryMessageOverTheLimitEndsTheConnectionBeforeAndAfterAuthorization() throws Exception {
    int max = 1 << 20;
    WsServer s = binaryServer(ws -> ws.onConnect(ctx -> {
      ctx.send(ByteBuffer.wrap(new byte[64 << 10]));
      ctx.session.sendPartialBinary(ByteBuffer.wrap(new byte[40 << 10]), false, Callback.NOOP);
      ctx.session.sendPartialBinary(ByteBuffer.wrap(new byte[40 << 10]), true, Callback.NOOP);
    }));
    Connection before = dial(transport(max, WebSocketAuth.none(), s.url()));
    assertThat(before.receive()).hasSize(64 << 10);
    // The JDK hands a message over in pieces: the limit trips at the first byte past it, not at the end.
    assertThatThrownBy(before::receive).isInstanceOf(FrameTooLargeException.class)
        .hasMessageContaining("maximum of 65536");

    WsServer after = binaryServer(ws -> ws.onBinaryMessage(ctx -> {
      ctx.send(ByteBuffer.wrap(new byte[max]));
      ctx.session.sendPartialBinary(ByteBuffer.wrap(new byte[max / 2]), false, Callback.NOOP);
      ctx.session.sendPartialBinary(ByteBuffer.wrap(new byte[max / 2 + 1]), true, Callback.NOOP);
    }));
    Connection c = dial(transport(max, WebSocketAuth.none(), after.url()));
    c.authorized();
    c.send("go".getBytes(StandardCharsets.UTF_8));
    assertThat(c.receive()).hasSize(max);
    assertThatThrownBy(c::receive).isInstanceOf(FrameTooLargeException.class)
        .hasMessageContaining("maximum of " + max);
  }

  @Test
  void aMessageOver64KiBBeforeTheSessionAuthorizesThePeerEndsTheConnection() throws Exception {
    WsServer s = server(ws -> ws.onConnect(ctx -> ctx.send(repeat('a', (64 << 10) + 1))));
    Connection c = dial(transport(1 << 20, WebSocketAuth.none(), s.url()));
    assertThatThrownBy(c::receive).isInstanceOf(IOException.class).hasMessageContaining("65537 bytes")
        .hasMessageContaining("maximum of 65536");
  }

  @Test
  void afterAuthorizationMessagesUpToTheMaximumPassAndLargerOnesEndTheConnection() throws Exception {
    int max = 1 << 20;
    WsServer s = server(ws -> {
      ws.onConnect(ctx -> ctx.send("{\"type\":\"hello\"}"));
      ws.onMessage(ctx -> {
        ctx.send(repeat('b', max));
        ctx.send(repeat('c', max + 1));
      });
    });
    Connection c = dial(transport(max, WebSocketAuth.none(), s.url()));
    assertThat(text(c.receive())).isEqualTo("{\"type\":\"hello\"}");
    c.authorized(); // as the session does after the hello, before it asks for the next frame
    c.send("go".getBytes(StandardCharsets.UTF_8));
    assertThat(c.receive()).hasSize(max);
    assertThatThrownBy(c::receive).isInstanceOf(FrameTooLargeException.class)
        .hasMessageContaining("maximum of " + max);
  }

  @Test
  void aFrameLargerThanTheMaximumIsNotSent() throws Exception {
    WsServer s = server(ws -> {});
    Connection c = dial(transport(1024, WebSocketAuth.none(), s.url()));
    assertThatThrownBy(() -> c.send(new byte[1025])).isInstanceOf(FrameTooLargeException.class);
  }

  @Test
  void aRefusedHandshakeIsToldToTheAuthAndTheNextAttemptUsesFreshHeaders() throws Exception {
    WsServer s = server(ws -> ws.onConnect(ctx -> ctx.send("welcome")));
    List<Integer> refusals = new CopyOnWriteArrayList<>();
    String[] token = {"stale"};
    WebSocketAuth auth = new WebSocketAuth() {
      @Override
      public Map<String, String> headers(URI url) {
        return Map.of("Authorization", "Bearer " + token[0]);
      }

      @Override
      public void refused(URI url, int status) {
        refusals.add(status);
        token[0] = "good";
      }
    };
    Transport t = transport(1 << 20, auth, s.url());
    assertThatThrownBy(() -> dial(t)).isInstanceOf(IOException.class).hasMessageContaining("HTTP 401");
    assertThat(refusals).containsExactly(401);
    assertThat(text(dial(t).receive())).isEqualTo("welcome");
  }

  @Test
  void aForbiddenHandshakeSaysSoWithTheServersReason() throws Exception {
    WsServer s = server(ws -> {});
    List<Integer> refusals = new CopyOnWriteArrayList<>();
    WebSocketAuth auth = new WebSocketAuth() {
      @Override
      public Map<String, String> headers(URI url) {
        return Map.of("Authorization", "Bearer revoked");
      }

      @Override
      public void refused(URI url, int status) {
        refusals.add(status);
      }
    };
    assertThatThrownBy(() -> dial(transport(1 << 20, auth, s.url()))).isInstanceOf(IOException.class)
        .hasMessageContaining("HTTP 403");
    assertThat(refusals).containsExactly(403);
  }

  @Test
  void credentialsThatCannotBeHadFailTheAttemptAsAnIOException() {
    WsServer s = server(ws -> {});
    WebSocketAuth auth = url -> {
      throw new IllegalStateException("device not authorized by the server");
    };
    assertThatThrownBy(() -> dial(transport(1 << 20, auth, s.url()))).isInstanceOf(IOException.class)
        .hasMessageContaining("device not authorized by the server");
  }

  @Test
  void anUnreachableUrlMovesToTheNext() throws Exception {
    int dead;
    try (ServerSocket free = new ServerSocket(0)) {
      dead = free.getLocalPort();
    }
    WsServer s = server(ws -> ws.onConnect(ctx -> ctx.send("second")));
    URI deadUrl = URI.create("ws://127.0.0.1:" + dead + "/ws");
    Transport t = transport(1 << 20, WebSocketAuth.none(), deadUrl, s.url());
    assertThat(text(dial(t).receive())).isEqualTo("second");
    Transport none = transport(1 << 20, WebSocketAuth.none(), deadUrl);
    assertThatThrownBy(() -> dial(none)).isInstanceOf(IOException.class).hasMessageContaining("127.0.0.1:" + dead);
  }

  @Test
  void theServersCloseReasonReachesTheReceiver() throws Exception {
    WsServer s = server(ws -> ws.onConnect(ctx -> ctx.closeSession(1008, "unauthorized: device revoked")));
    Connection c = dial(transport(1 << 20, WebSocketAuth.none(), s.url()));
    assertThatThrownBy(c::receive).isInstanceOf(IOException.class)
        .hasMessageContaining("unauthorized: device revoked").hasMessageContaining("1008");
  }

  @Test
  void aNormalCloseEndsTheStreamAndCloseWakesABlockedReceiver() throws Exception {
    WsServer s = server(ws -> ws.onConnect(ctx -> ctx.closeSession(1000, "")));
    assertThat(dial(transport(1 << 20, WebSocketAuth.none(), s.url())).receive()).isNull();

    WsServer quiet = server(ws -> {});
    Connection c = dial(transport(1 << 20, WebSocketAuth.none(), quiet.url()));
    new Thread(() -> {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      c.close();
    }).start();
    assertThat(c.receive()).isNull();
  }

  @Test
  void theServerIsTheOnePeerToDialAndNoOtherAddressIsReachedThisWay() throws Exception {
    WsServer s = server(ws -> {});
    Transport t = transport(1 << 20, WebSocketAuth.none(), s.url());
    assertThat(t.lookup(Topic.of("any"))).containsExactly(new PeerAddress("127.0.0.1", s.port()));
    assertThatThrownBy(() -> t.connect(new PeerAddress("10.0.0.1", 7947))).isInstanceOf(IOException.class)
        .hasMessageContaining("not the sync server");
    assertThat(t.start(conn -> {})).isNull();
  }
}
