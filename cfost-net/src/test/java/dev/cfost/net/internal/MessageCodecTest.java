package dev.cfost.net.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.Values;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessageCodecTest {
  static final byte[] SITE = Values.unhex("000102030405060708090a0b0c0d0e0f");

  @Test
  void everyMessageRoundTrips() throws Exception {
    Change c = new Change("t", Values.unhex("010b0161"), "a", 9007199254740993L, 118_000_000_000_000_001L, 3, SITE, 1, 0);
    Cursor from = new Cursor(1, 2, 3);
    Cursor to = Cursor.since(9);
    List<Message> all = List.of(
        new Message.Hello(1, "ab".repeat(32), Values.hex(SITE), "laptop", 3, List.of("changes", "live")),
        new Message.Request(from), new Message.Changes(from, to, List.of(c), 12), new Message.Eose(from, to),
        new Message.Ack(to), new Message.Ping(7), new Message.Pong(7), new Message.Error("timeout", "no message"));
    for (Message m : all) {
      assertThat(MessageCodec.decode(MessageCodec.encode(m))).isEqualTo(m);
    }
    String wire = new String(MessageCodec.encode(new Message.Changes(from, to, List.of(c), 12)), StandardCharsets.UTF_8);
    assertThat(wire).contains("\"col_version\":\"118000000000000001\"").contains("{\"int\":\"9007199254740993\"}");
  }

  @Test
  void malformedMessagesNameTheProblem() {
    assertThatThrownBy(() -> MessageCodec.decode("[1]".getBytes())).hasMessageContaining("not a JSON object");
    assertThatThrownBy(() -> MessageCodec.decode("{\"type\":\"ack\"}".getBytes())).hasMessageContaining("'cursor'");
    assertThatThrownBy(() -> MessageCodec.decode("{\"type\":\"ack\",\"cursor\":\"x\"}".getBytes()))
        .hasMessageContaining("not a cursor");
    assertThatThrownBy(() -> MessageCodec.decode("{\"type\":\"nope\"}".getBytes()))
        .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code).isEqualTo("unknown_message"));
    assertThatThrownBy(() -> MessageCodec.decode(
        "{\"type\":\"changes\",\"from\":\"0:0:0\",\"cursor\":\"0:0:0\",\"changes\":[{\"table\":1}]}".getBytes()))
        .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code).isEqualTo("invalid_change"));
  }
}
