package dev.cfost.net.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.net.FrameTooLargeException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The frame decoder under generated input (docs/RELIABILITY.md): it returns a frame, a clean end, or
 * refuses with {@code frame_too_large} or a truncated stream; never anything else, and never a buffer
 * much larger than what arrived. Tries: {@code jqwik.tries.default} (src/test/resources/junit-platform.properties).
 */
class FrameFuzzProperties {
  private static final int MAX = 4096;

  @Property
  void arbitraryBytesAreAFrameACleanEndOrANamedRefusal(@ForAll @Size(max = 64) byte[] input) {
    check(input);
  }

  @Property
  void aHeaderThenSomeBytesIsAFrameOrANamedRefusal(@ForAll int length, @ForAll @Size(max = 256) byte[] body,
      @ForAll @IntRange(min = 0, max = 2) int kind) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    // Mostly lengths near the body's, so that whole frames come out too.
    out.writeInt(kind == 0 ? length : kind == 1 ? body.length : Math.max(1, body.length - (length & 7)));
    out.write(body);
    check(bytes.toByteArray());
  }

  private static void check(byte[] input) {
    try {
      byte[] frame = FramedConnection.readFrame(new DataInputStream(new ByteArrayInputStream(input)), MAX);
      if (frame != null) {
        assertThat(frame.length).isBetween(1, Math.min(MAX, input.length - 4));
      } else {
        assertThat(input.length).isLessThan(4);
      }
    } catch (FrameTooLargeException e) {
      assertThat(e.getMessage()).contains("exceeds the maximum of " + MAX);
    } catch (EOFException e) {
      // a truncated frame: the connection ended, nothing was decoded
    } catch (IOException e) {
      throw new AssertionError("an unnamed refusal: " + e, e);
    }
  }
}
