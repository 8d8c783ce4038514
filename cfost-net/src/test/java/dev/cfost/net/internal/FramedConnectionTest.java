package dev.cfost.net.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.net.FrameTooLargeException;
import java.io.DataOutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

class FramedConnectionTest {
  @Test
  void framesRoundTripAndAnOversizeOrEmptyLengthIsRefused() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        Socket accepted = server.accept()) {
      FramedConnection out = new FramedConnection(client, "server", 1024);
      FramedConnection in = new FramedConnection(accepted, "client", 1024);
      out.send("hello".getBytes());
      assertThat(new String(in.receive())).isEqualTo("hello");
      assertThatThrownBy(() -> out.send(new byte[1025])).isInstanceOf(FrameTooLargeException.class);

      DataOutputStream raw = new DataOutputStream(client.getOutputStream());
      raw.writeInt(1 << 30);
      raw.flush();
      assertThatThrownBy(in::receive).isInstanceOf(FrameTooLargeException.class)
          .hasMessageContaining("1073741824 bytes exceeds the maximum of 1024");
    }
  }

  @Test
  void anEmptyFrameLengthIsRefusedAndAClosedStreamEndsCleanly() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        Socket accepted = server.accept()) {
      FramedConnection in = new FramedConnection(accepted, "client", 1024);
      DataOutputStream raw = new DataOutputStream(client.getOutputStream());
      raw.writeInt(0);
      raw.flush();
      assertThatThrownBy(in::receive).isInstanceOf(FrameTooLargeException.class);
    }
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        Socket accepted = server.accept()) {
      FramedConnection in = new FramedConnection(accepted, "client", 1024);
      client.close();
      assertThat(in.receive()).isNull();
    }
  }
}
