package dev.cfost.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.eclipse.jetty.io.EofException;
import org.junit.jupiter.api.Test;

/** Which failures of a request are the client's going away (logged as client_gone), not the server's. */
class ClientGoneTest {
  @Test
  void aResetSeenWhileWritingTheAnswerIsTheClientGone() {
    // As Jetty reports it when the client resets during a WebSocket upgrade (ServerSoakIT saw it).
    assertThat(HttpApi.clientGone(new IOException(new EofException("Connection reset by peer")))).isTrue();
    assertThat(HttpApi.clientGone(new EofException("Broken pipe"))).isTrue();
  }

  @Test
  void otherFailuresStayInternalErrors() {
    assertThat(HttpApi.clientGone(new IOException("disk full"))).isFalse();
    assertThat(HttpApi.clientGone(new IllegalStateException("the store is closed", new RuntimeException()))).isFalse();
  }
}
