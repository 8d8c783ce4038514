package dev.cfost.identity.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The compact binary form of pairing messages: fixed-size byte fields, big-endian integers and
 * UTF-8 strings prefixed by a one-byte length. One encoding per value, so the bytes are canonical and
 * can be signed as they are.
 */
public final class Wire {
  private Wire() {}

  /** Builds a message. Not thread-safe. */
  public static final class Writer {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);

    public Writer u8(int v) {
      if (v < 0 || v > 255) {
        throw new IllegalArgumentException("value " + v + " does not fit one byte");
      }
      out.write(v);
      return this;
    }

    public Writer i64(long v) {
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.write((int) (v >>> shift));
      }
      return this;
    }

    public Writer fixed(byte[] bytes, int length) {
      if (bytes.length != length) {
        throw new IllegalArgumentException("field has " + bytes.length + " bytes, expected " + length);
      }
      out.write(bytes, 0, length);
      return this;
    }

    /** Up to 255 bytes with a one-byte length. */
    public Writer bytes(byte[] bytes) {
      u8(bytes.length);
      out.write(bytes, 0, bytes.length);
      return this;
    }

    /** Up to 255 bytes of UTF-8 with a one-byte length. */
    public Writer string(String s) {
      byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
      if (utf8.length > 255) {
        throw new IllegalArgumentException("'" + s.substring(0, Math.min(s.length(), 40))
            + "...' is " + utf8.length + " bytes of UTF-8; at most 255 fit");
      }
      return bytes(utf8);
    }

    public byte[] toBytes() {
      return out.toByteArray();
    }
  }

  /** Reads a message; every method throws {@link IllegalArgumentException} past the end or on bad UTF-8. */
  public static final class Reader {
    private final byte[] in;
    private int pos;

    public Reader(byte[] in) {
      this.in = in;
    }

    public int u8() {
      need(1);
      return in[pos++] & 0xff;
    }

    public long i64() {
      need(8);
      long v = 0;
      for (int i = 0; i < 8; i++) {
        v = (v << 8) | (in[pos++] & 0xff);
      }
      return v;
    }

    public byte[] fixed(int length) {
      need(length);
      byte[] out = Arrays.copyOfRange(in, pos, pos + length);
      pos += length;
      return out;
    }

    public byte[] bytes() {
      return fixed(u8());
    }

    public String string() {
      try {
        return StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(bytes()))
            .toString();
      } catch (CharacterCodingException e) {
        throw new IllegalArgumentException("a string field at byte " + pos + " is not valid UTF-8", e);
      }
    }

    /** Refuses trailing bytes: a message has exactly one encoding. */
    public void end() {
      if (pos != in.length) {
        throw new IllegalArgumentException((in.length - pos) + " unexpected bytes after the last field");
      }
    }

    private void need(int n) {
      if (in.length - pos < n) {
        throw new IllegalArgumentException("message ends at byte " + in.length + ", " + n
            + " more bytes were expected at byte " + pos);
      }
    }
  }
}
