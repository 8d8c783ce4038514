package dev.cfost.internal.documents;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The body of one replicated revision row. A row holds either one revision (format 1: JSON text, see
 * {@link RevisionRecord}) or a run (format 2): consecutive revisions of one document made by one device
 * and user in one call ({@code updateEach}), which then cost one row, one clock entry and one local copy
 * instead of one each. A run is a BLOB: the format byte 2, the number of its revisions in two bytes (big-endian:
 * a reader bounds what it takes in before it inflates anything), then the raw-deflated UTF-8 JSON
 * {@code [doc, site, user, [[dhlc, kind, action, title, forward, reverse, target], ...]]}, where
 * {@code dhlc} is the first revision's clock, then each one's distance from the one before (so clocks
 * strictly increase). The row key is the first revision's {@link RevisionRecord#id()}; each revision keeps
 * its own id, the same as if it were stored alone.
 */
final class RevisionRun {
  static final byte FORMAT = 2;
  /** The format byte and the count of revisions. */
  private static final int HEAD = 3;
  /** Revisions in one run, at most: bounds what one row holds and what a reader decodes at once. */
  static final int MAX_REVISIONS = 4096;
  /** Bytes of a run's JSON, at most, before deflating: what a reader inflates is refused past this. */
  static final int MAX_JSON_BYTES = 1 << 20;
  /** Room left in {@link #MAX_JSON_BYTES} for the run's head: a document id and a user of up to 128 characters. */
  private static final int HEAD_BYTES = 4096;

  private RevisionRun() {}

  /**
   * The revisions of a stored body, oldest first.
   *
   * @throws IllegalArgumentException saying what is malformed
   */
  static List<RevisionRecord> decode(Object body) {
    if (body instanceof String text) {
      return List.of(RevisionRecord.decode(text));
    }
    if (!(body instanceof byte[] bytes) || bytes.length < HEAD + 1 || bytes[0] != FORMAT) {
      throw new IllegalArgumentException("revision body is neither JSON text nor a run of format " + FORMAT);
    }
    int claimed = claimed(bytes);
    if (claimed < 2 || claimed > MAX_REVISIONS) {
      throw new IllegalArgumentException("run of revisions says it holds " + claimed + ", not 2 to " + MAX_REVISIONS);
    }
    JsonNode a = Json.parse(inflate(bytes), "run of revisions");
    if (!a.isArray() || a.size() != 4 || !a.get(3).isArray() || a.get(3).isEmpty()) {
      throw new IllegalArgumentException("run of revisions is not [doc, site, user, [revision, ...]]");
    }
    String doc = RevisionRecord.textField(a, 0, "document id");
    byte[] site = RevisionRecord.site(a, 1, doc);
    String user = RevisionRecord.textField(a, 2, "user");
    JsonNode entries = a.get(3);
    if (entries.size() != claimed) {
      throw new IllegalArgumentException("run of " + doc + " has " + entries.size() + " revisions, not the "
          + claimed + " it says");
    }
    List<RevisionRecord> out = new ArrayList<>(entries.size());
    long hlc = 0;
    for (JsonNode e : entries) {
      if (!e.isArray() || e.size() != 7 || !e.get(0).canConvertToLong()) {
        throw new IllegalArgumentException("run of " + doc + " has a revision that is not [dhlc, kind, action,"
            + " title, forward, reverse, target]");
      }
      long step = e.get(0).asLong();
      if (out.isEmpty() ? step < 0 : step <= 0 || hlc + step < hlc) {
        throw new IllegalArgumentException("run of " + doc + " has clocks that do not increase");
      }
      hlc += step;
      out.add(RevisionRecord.decodeFields(e, 1, doc, hlc, site, user));
    }
    return out;
  }

  /**
   * How many revisions a stored body says it holds, read without decoding it: 1 for one revision, a run's
   * count, 0 for what is no revision body. A body that lies is refused when it is decoded; a count that no
   * run may hold (past {@link #MAX_REVISIONS}) counts 0, so a few hostile bytes cannot shrink a fold window.
   */
  static int revisionsIn(Object body) {
    if (body instanceof String) {
      return 1;
    }
    int claimed = body instanceof byte[] bytes && bytes.length >= HEAD && bytes[0] == FORMAT ? claimed(bytes) : 0;
    return claimed >= 2 && claimed <= MAX_REVISIONS ? claimed : 0;
  }

  private static int claimed(byte[] bytes) {
    return (bytes[1] & 0xff) << 8 | bytes[2] & 0xff;
  }

  private static String inflate(byte[] bytes) {
    Inflater inflater = new Inflater(true);
    try {
      inflater.setInput(bytes, HEAD, bytes.length - HEAD);
      ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(MAX_JSON_BYTES, 4L * bytes.length));
      byte[] buf = new byte[16 << 10];
      while (!inflater.finished()) {
        int n = inflater.inflate(buf);
        if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
          throw new IllegalArgumentException("run of revisions is truncated");
        }
        if (out.size() + n > MAX_JSON_BYTES) {
          throw new IllegalArgumentException("run of revisions inflates to more than " + MAX_JSON_BYTES + " bytes");
        }
        out.write(buf, 0, n);
      }
      return out.toString(StandardCharsets.UTF_8);
    } catch (DataFormatException e) {
      throw new IllegalArgumentException("run of revisions is not deflated data: " + e.getMessage());
    } finally {
      inflater.end();
    }
  }

  /** The revisions of one call, gathered as they are made; full at {@link #MAX_REVISIONS} or the byte bound. */
  static final class Builder {
    private final List<RevisionRecord> revisions = new ArrayList<>();
    private final StringBuilder entries = new StringBuilder();
    private int bytes;

    /**
     * Adds {@code r} if it may join: the first always does, the others while they are later revisions of the
     * same document, device and user and the run stays in bounds. Returns its index in the run, or -1.
     */
    int add(RevisionRecord r) {
      if (!revisions.isEmpty()) {
        RevisionRecord first = revisions.get(0);
        if (revisions.size() >= MAX_REVISIONS || !r.doc().equals(first.doc()) || !r.user().equals(first.user())
            || !java.util.Arrays.equals(r.site(), first.site()) || r.hlc() <= last().hlc()) {
          return -1;
        }
      }
      String e = entry(r); // written once: measured here, kept below
      int size = entryBytes(e) + 1; // with its comma
      if (!revisions.isEmpty() && bytes + size > MAX_JSON_BYTES - HEAD_BYTES) {
        return -1;
      }
      if (!revisions.isEmpty()) {
        entries.append(',');
      }
      entries.append(e);
      bytes += size;
      revisions.add(r);
      return revisions.size() - 1;
    }

    private String entry(RevisionRecord r) {
      ArrayNode e = JsonNodeFactory.instance.arrayNode(7);
      e.add(revisions.isEmpty() ? r.hlc() : r.hlc() - last().hlc());
      r.addFields(e);
      return Json.write(e);
    }

    private static int entryBytes(String e) {
      int n = e.length();
      for (int i = 0; i < e.length(); i++) {
        char c = e.charAt(i);
        n += c < 0x80 ? 0 : c < 0x800 || Character.isSurrogate(c) ? 1 : 2;
      }
      return n;
    }

    private RevisionRecord last() {
      return revisions.get(revisions.size() - 1);
    }

    List<RevisionRecord> revisions() {
      return revisions;
    }

    /** The row key: the first revision's id. */
    long key() {
      return revisions.get(0).id();
    }

    /** The stored body: a lone revision as format 1 (which older versions read too), several as a run. */
    Object body() {
      if (revisions.size() == 1) {
        return revisions.get(0).encode();
      }
      RevisionRecord first = revisions.get(0);
      ArrayNode head = JsonNodeFactory.instance.arrayNode(3);
      head.add(first.doc()).add(RevisionRecord.site64(first.site())).add(first.user());
      String json = Json.write(head);
      byte[] text = (json.substring(0, json.length() - 1) + ",[" + entries + "]]").getBytes(StandardCharsets.UTF_8);
      Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
      try {
        deflater.setInput(text);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length / 4 + 16);
        out.write(FORMAT);
        out.write(revisions.size() >> 8);
        out.write(revisions.size());
        byte[] buf = new byte[16 << 10];
        while (!deflater.finished()) {
          out.write(buf, 0, deflater.deflate(buf));
        }
        return out.toByteArray();
      } finally {
        deflater.end();
      }
    }
  }
}
