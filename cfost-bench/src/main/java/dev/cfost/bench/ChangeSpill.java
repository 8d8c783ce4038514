package dev.cfost.bench;

import dev.cfost.Change;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * A compact binary file of changes (no JSON), so that the merge can be measured on its own: the
 * changes are read from the source replica once, written here, and streamed back with bounded memory.
 */
final class ChangeSpill {
  private static final int END = 0;
  private static final int NULL = 1;
  private static final int LONG = 2;
  private static final int DOUBLE = 3;
  private static final int TEXT = 4;
  private static final int BLOB = 5;

  private ChangeSpill() {}

  /** Appends changes to a file. */
  static final class Writer implements AutoCloseable {
    private final DataOutputStream out;

    Writer(Path file) throws IOException {
      out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16));
    }

    void write(Change c) throws IOException {
      Object v = c.val();
      if (v == null) {
        out.writeByte(NULL);
      } else if (v instanceof Long) {
        out.writeByte(LONG);
        out.writeLong((Long) v);
      } else if (v instanceof Double) {
        out.writeByte(DOUBLE);
        out.writeDouble((Double) v);
      } else if (v instanceof String) {
        out.writeByte(TEXT);
        out.writeUTF((String) v);
      } else {
        byte[] b = (byte[]) v;
        out.writeByte(BLOB);
        out.writeInt(b.length);
        out.write(b);
      }
      out.writeUTF(c.table());
      out.writeUTF(c.cid());
      out.writeShort(c.pk().length);
      out.write(c.pk());
      out.write(c.siteId());
      out.writeLong(c.colVersion());
      out.writeLong(c.dbVersion());
      out.writeLong(c.cl());
      out.writeLong(c.seq());
    }

    @Override
    public void close() throws IOException {
      out.writeByte(END);
      out.close();
    }
  }

  /** Streams the changes of a file back, one at a time. */
  static final class Reader implements Iterator<Change>, AutoCloseable {
    private final DataInputStream in;
    private final Map<String, String> names = new HashMap<>(); // table and column names, shared
    private Change next;
    private boolean done;

    Reader(Path file) throws IOException {
      in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
    }

    @Override
    public boolean hasNext() {
      if (next == null && !done) {
        try {
          next = read();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        done = next == null;
      }
      return next != null;
    }

    @Override
    public Change next() {
      Change c = peek();
      next = null;
      return c;
    }

    /** The next change, without taking it. */
    Change peek() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return next;
    }

    private Change read() throws IOException {
      int tag = in.readByte();
      Object val;
      switch (tag) {
        case END:
          return null;
        case NULL:
          val = null;
          break;
        case LONG:
          val = in.readLong();
          break;
        case DOUBLE:
          val = in.readDouble();
          break;
        case TEXT:
          val = in.readUTF();
          break;
        case BLOB:
          byte[] b = new byte[in.readInt()];
          in.readFully(b);
          val = b;
          break;
        default:
          throw new IOException("corrupt change spill: tag " + tag);
      }
      String table = name(in.readUTF());
      String cid = name(in.readUTF());
      byte[] pk = new byte[in.readShort()];
      in.readFully(pk);
      byte[] site = new byte[16];
      in.readFully(site);
      return new Change(table, pk, cid, val, in.readLong(), in.readLong(), site, in.readLong(), in.readLong());
    }

    private String name(String s) {
      return names.computeIfAbsent(s, x -> x);
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /**
   * The changes of a spill out of their order: the file cut into {@code parts} consecutive runs, read
   * one row (its consecutive changes) from each run in turn. A spill in key order comes back with keys
   * jumping between {@code parts} ranges, as a stream of many small transactions would: the merge must
   * stage it.
   */
  static final class Interleaved implements Iterator<Change>, AutoCloseable {
    private final Reader[] runs;
    private final long[] left;
    private Change last;
    private int turn;
    private long remaining;

    Interleaved(Path file, long total, int parts) throws IOException {
      runs = new Reader[parts];
      left = new long[parts];
      remaining = total;
      for (int i = 0; i < parts; i++) {
        long start = total * i / parts;
        runs[i] = new Reader(file);
        for (long skip = 0; skip < start; skip++) {
          runs[i].next();
        }
        left[i] = total * (i + 1) / parts - start;
      }
    }

    @Override
    public boolean hasNext() {
      return remaining > 0;
    }

    @Override
    public Change next() {
      if (remaining == 0) {
        throw new NoSuchElementException();
      }
      Reader run = runs[turn];
      if (left[turn] > 0 && last != null && run.peek().sameRow(last)) {
        return take(); // the rest of this row
      }
      do {
        turn = (turn + 1) % runs.length;
      } while (left[turn] == 0);
      return take();
    }

    private Change take() {
      left[turn]--;
      remaining--;
      last = runs[turn].next();
      return last;
    }

    @Override
    public void close() throws IOException {
      for (Reader r : runs) {
        r.close();
      }
    }
  }
}
