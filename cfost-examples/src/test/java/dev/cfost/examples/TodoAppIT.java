package dev.cfost.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The example application runs as a user would start it, with its own sync server on loopback. */
class TodoAppIT {
  @Test
  void twoDevicesPairSyncPeerToPeerThenConvergeThroughTheServer() throws Exception {
    PrintStream out = System.out;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
    try {
      TodoApp.main(new String[0]);
    } finally {
      System.setOut(out);
    }
    String text = printed.toString(StandardCharsets.UTF_8);
    out.print(text);
    assertThat(text).contains("paired: phone ").contains("peer to peer: phone has [t1 buy milk]");
    assertThat(text).as("the laptop's title and the phone's done flag, column by column, on both devices")
        .containsPattern("through http://127\\.0\\.0\\.1:\\d+: both devices have \\[t1 buy oat milk \\(done\\), t2 call mum\\]");
  }
}
