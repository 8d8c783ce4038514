package dev.cfost.net.internal;

import dev.cfost.net.SyncMessage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.Values;
import dev.cfost.Seal;
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
    List<SyncMessage> all = List.of(
        new SyncMessage.Hello(1, "ab".repeat(32), Values.hex(SITE), "laptop", 3, List.of("changes", "live")),
        new SyncMessage.Request(from), new SyncMessage.Changes(from, to, List.of(c), 12), new SyncMessage.Eose(from, to),
        new SyncMessage.Ack(to), new SyncMessage.Ping(7), new SyncMessage.Pong(7), new SyncMessage.Error("timeout", "no message"));
    for (SyncMessage m : all) {
      assertThat(MessageCodec.decode(MessageCodec.encode(m))).isEqualTo(m);
    }
    String wire = new String(MessageCodec.encode(new SyncMessage.Changes(from, to, List.of(c), 12)), StandardCharsets.UTF_8);
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

  @Test
  void sealsTravelWithTheirBatchAndABatchWithoutThemStillDecodes() throws Exception {
    Change c = new Change("t", Values.unhex("010b0161"), "a", "x", 5, 3, SITE, 1, 0);
    byte[] d1 = new byte[32];
    byte[] d2 = new byte[32];
    d2[31] = 7;
    Seal seal = new Seal("DEVICE-ID", new byte[] {1, 2, 3}, List.of(d1, d2));
    byte[] frame = MessageCodec.encode(new SyncMessage.Changes(Cursor.START, Cursor.since(1), List.of(c), 0, List.of(seal)));

    SyncMessage.Changes back = (SyncMessage.Changes) MessageCodec.decode(frame);

    assertThat(back.changes()).containsExactly(c);
    assertThat(back.seals()).singleElement().satisfies(s -> {
      assertThat(s.deviceId()).isEqualTo("DEVICE-ID");
      assertThat(s.signature()).containsExactly(1, 2, 3);
      assertThat(s.digests()).hasSize(2);
      assertThat(s.digests().get(1)).isEqualTo(d2);
    });
    assertThat(new String(frame, StandardCharsets.UTF_8)).contains("\"digests\":\"" + Values.hex(d1) + Values.hex(d2) + "\"");
    byte[] unsealed = MessageCodec.encode(new SyncMessage.Changes(Cursor.START, Cursor.since(1), List.of(c), 0));
    assertThat(new String(unsealed, StandardCharsets.UTF_8)).doesNotContain("seals");
    assertThat(((SyncMessage.Changes) MessageCodec.decode(unsealed)).seals()).isEmpty();
  }

  @Test
  void malformedSealsNameTheProblem() {
    String batch = "{\"type\":\"changes\",\"from\":\"0:0:0\",\"cursor\":\"0:0:0\",\"changes\":[],\"seals\":";
    assertThatThrownBy(() -> MessageCodec.decode((batch + "{}}").getBytes())).hasMessageContaining("'seals' must be an array");
    assertThatThrownBy(() -> MessageCodec.decode((batch + "[{\"device_id\":\"d\",\"signature\":\"zz\",\"digests\":\"\"}]}")
        .getBytes())).hasMessageContaining("'signature' is not hex");
    assertThatThrownBy(() -> MessageCodec.decode((batch + "[{\"device_id\":\"d\",\"signature\":\"00\",\"digests\":\"0011\"}]}")
        .getBytes())).hasMessageContaining("whole 32-byte digests");
    assertThatThrownBy(() -> MessageCodec.decode((batch + "[{\"signature\":\"00\",\"digests\":\"\"}]}").getBytes()))
        .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code).isEqualTo("malformed_frame"))
        .hasMessageContaining("'device_id'");
  }

  @Test
  void theTypeComesFirstAndDecodingLimitsAreNamed() {
    assertThatThrownBy(() -> MessageCodec.decode("{\"cursor\":\"0:0:0\",\"type\":\"ack\"}".getBytes()))
        .hasMessageContaining("first field must be 'type'");
    String deep = "{\"type\":\"ack\",\"x\":" + "[".repeat(100) + "]".repeat(100) + "}";
    assertThatThrownBy(() -> MessageCodec.decode(deep.getBytes())).hasMessageContaining("decoding limit")
        .extracting(e -> ((ProtocolException) e).code).isEqualTo("malformed_frame");
    String longNumber = "{\"type\":\"ping\",\"id\":" + "9".repeat(1000) + "}";
    assertThatThrownBy(() -> MessageCodec.decode(longNumber.getBytes())).hasMessageContaining("decoding limit");
    assertThatThrownBy(() -> MessageCodec.decode("{\"type\":\"ack\",\"cursor\":\"0:0:0\"} {}".getBytes()))
        .hasMessageContaining("after the message");
  }

  @Test
  void aMalformedChangeInsideABatchIsNamedByItsPlace() {
    Change good = new Change("t", Values.unhex("010b0161"), "a", "x", 5, 3, SITE, 1, 0);
    String batch = new String(MessageCodec.encode(new SyncMessage.Changes(Cursor.START, Cursor.since(1),
        List.of(good, good, good), 0)), StandardCharsets.UTF_8);
    int second = batch.indexOf("{\"table\"", batch.indexOf("{\"table\"") + 1);
    String badPk = batch.substring(0, second) + batch.substring(second).replaceFirst("\"pk\":\"", "\"pk\":\"0");
    assertThatThrownBy(() -> MessageCodec.decode(badPk.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code).isEqualTo("invalid_change"))
        .hasMessage("change #1: field 'pk' is not hex: '0010b0161'");
    // Fields in another order, an unknown one and a repeated one (the last counts) are read as a tree reader would.
    String reordered = batch.substring(0, second) + "{\"seq\":0,\"x\":{\"y\":[1]},\"cl\":1,\"table\":\"t\",\"pk\":\"zz\","
        + "\"pk\":\"010b0161\",\"cid\":\"a\",\"val\":\"x\",\"col_version\":5,\"db_version\":3,\"site_id\":\""
        + Values.hex(SITE) + "\"}" + batch.substring(batch.indexOf("},{", second) + 1);
    assertThat(((SyncMessage.Changes) MessageCodec.decodeOrThrow(reordered.getBytes(StandardCharsets.UTF_8))).changes())
        .containsExactly(good, good, good);
    String missingVal = batch.substring(0, second) + batch.substring(second).replaceFirst("\"val\":\"x\",", "");
    assertThatThrownBy(() -> MessageCodec.decode(missingVal.getBytes(StandardCharsets.UTF_8)))
        .hasMessage("change #1: field 'val' is missing (use null for NULL)");
    String notAnObject = batch.substring(0, second) + "7" + batch.substring(batch.indexOf("},{", second) + 1);
    assertThatThrownBy(() -> MessageCodec.decode(notAnObject.getBytes(StandardCharsets.UTF_8)))
        .hasMessage("change #1: expected a JSON object");
    // Inside a change, a syntax error or a decoding limit is the frame's fault, not the change's.
    String cut = batch.substring(0, second) + "{\"table\":\"t\",\"pk\" 1}]}";
    assertThatThrownBy(() -> MessageCodec.decode(cut.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code).isEqualTo("malformed_frame"))
        .hasMessageContaining("not JSON");
    String deep = batch.substring(0, second) + "{\"x\":" + "[".repeat(20) + "]".repeat(20) + ","
        + batch.substring(second + 1);
    assertThatThrownBy(() -> MessageCodec.decode(deep.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.code).isEqualTo("malformed_frame"))
        .hasMessageContaining("decoding limit");
    String longName = batch.substring(0, second) + "{\"" + "n".repeat(300) + "\":1," + batch.substring(second + 1);
    assertThatThrownBy(() -> MessageCodec.decode(longName.getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("decoding limit");
  }
}
