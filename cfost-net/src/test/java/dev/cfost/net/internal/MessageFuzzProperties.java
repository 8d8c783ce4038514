package dev.cfost.net.internal;

import dev.cfost.net.SyncMessage;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Change;
import dev.cfost.Cursor;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * The message decoder under generated input (docs/RELIABILITY.md): arbitrary bytes, JSON-like text, and
 * valid messages with bytes changed, cut or repeated. Every input decodes to a message or is refused with
 * one of the protocol's error codes; decoding applies nothing (it has no database). Tries:
 * {@code jqwik.tries.default}.
 */
class MessageFuzzProperties {
  private static final Set<String> CODES = Set.of(ProtocolException.MALFORMED_FRAME, ProtocolException.UNKNOWN_MESSAGE,
      ProtocolException.INVALID_CHANGE);
  private static final List<byte[]> VALID = List.of(
      MessageCodec.encode(new SyncMessage.Hello(1, "ab".repeat(32), "00".repeat(16), "device", 3, List.of("changes", "live"))),
      MessageCodec.encode(new SyncMessage.Request(Cursor.START)),
      MessageCodec.encode(new SyncMessage.Changes(Cursor.START, Cursor.since(5),
          List.of(new Change("todo", new byte[] {1, 11, 65}, "title", "x", 7, 5, new byte[16], 1, 0)), 0)),
      MessageCodec.encode(new SyncMessage.Eose(Cursor.START, Cursor.since(2))),
      MessageCodec.encode(new SyncMessage.Ack(Cursor.since(9))),
      MessageCodec.encode(new SyncMessage.Ping(42)),
      MessageCodec.encode(new SyncMessage.Error("timeout", "late")));

  @Property
  void arbitraryBytesDecodeOrAreRefusedWithACode(@ForAll @Size(max = 256) byte[] frame) {
    check(frame);
  }

  @Property
  void jsonLikeTextDecodesOrIsRefusedWithACode(@ForAll("jsonLike") String text) {
    check(text.getBytes(StandardCharsets.UTF_8));
  }

  @Property
  void alteredValidMessagesDecodeOrAreRefusedWithACode(@ForAll("altered") byte[] frame) {
    check(frame);
  }

  @Provide
  Arbitrary<String> jsonLike() {
    Arbitrary<String> body = Arbitraries.strings().withChars("{}[]\":,0123456789-.eE truefalsnl\\u".toCharArray())
        .withChars("typehlocursfmanigdq_".toCharArray()).ofMaxLength(120);
    Arbitrary<String> start = Arbitraries.of("", "{\"type\":\"changes\",", "{\"type\":\"hello\",", "{\"type\":\"ack\",");
    return Combinators.combine(start, body).as((a, b) -> a + b);
  }

  @Provide
  Arbitrary<byte[]> altered() {
    return Arbitraries.of(VALID).flatMap(valid -> Arbitraries.integers().between(0, valid.length - 1)
        .flatMap(at -> Arbitraries.bytes().flatMap(b -> Arbitraries.integers().between(0, 3).map(kind -> {
          byte[] f = valid.clone();
          switch (kind) {
            case 0 -> f[at] = b; // one byte changed
            case 1 -> f = java.util.Arrays.copyOf(f, at); // cut short
            case 2 -> f[at] = (byte) (f[at] ^ (1 << (b & 7))); // one bit flipped
            default -> { // a span repeated
              byte[] g = new byte[f.length + (f.length - at)];
              System.arraycopy(f, 0, g, 0, f.length);
              System.arraycopy(f, at, g, f.length, f.length - at);
              f = g;
            }
          }
          return f;
        }))));
  }

  private static void check(byte[] frame) {
    try {
      assertThat(MessageCodec.decode(frame)).isNotNull();
    } catch (ProtocolException e) {
      assertThat(e.code).as("refusal code of %s", e.getMessage()).isIn(CODES);
      assertThat(e.getMessage()).isNotBlank();
    } catch (RuntimeException e) {
      throw new AssertionError("decoding crashed on " + new String(frame, StandardCharsets.ISO_8859_1) + ": " + e, e);
    }
  }
}
