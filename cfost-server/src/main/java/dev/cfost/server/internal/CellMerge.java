package dev.cfost.server.internal;

import dev.cfost.Change;
import dev.cfost.Seal;
import dev.cfost.identity.ChangeSeals;
import dev.cfost.identity.internal.DigestKey;
import java.nio.ByteBuffer;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Merges one validated batch into one database of a store, inside the caller's transaction; the storage
 * is behind {@link CellTables} (SQLite or PostgreSQL), the rule is here alone, so both stores merge alike.
 *
 * <p>Design note: the merge rule, cfost-core's {@code Merger} without a schema (docs/ARCHITECTURE.md,
 * "The merge rule"; cr-sqlite's rule, with causal length after Yu and Rostad's "causal length"
 * CRDT). For each change against the stored row ({@code rows.cl}) and cell:
 * <ol>
 *   <li>Causal length first. Lower is ignored. Higher starts a new life: the row's cells are deleted
 *       (forgotten, as a device rebuilds the base row), its sentinel is stamped with the change's cl and
 *       site (but see FIRST_LIFE below); a sentinel or an even cl (deleted) ends there, a cell change
 *       then writes its cell.
 *   <li>Same causal length: a sentinel only records the greater site id; a cell of a deleted row is
 *       ignored; a cell never written in this life (no row in {@code cells}) loses to any change, even
 *       one of col_version 0; otherwise the higher col_version wins.
 *   <li>Equal col_version: the greater value in cr-sqlite's order ({@link dev.cfost.internal.ValueOrder}, the device's own).
 *   <li>Equal values: the greater site id is recorded and its value written (-0.0 and 0.0 compare equal
 *       but differ in bits; every replica must hold the same one).
 * </ol>
 * Each change that changes an entry moves it to the database's next stream position. Merging a change
 * twice changes nothing the second time; changes are applied one by one in batch order, which a device
 * does per row too, so the result is the device's.
 *
 * <p>Seals: an entry keeps the seal (of the batch) whose digests hold its change's digest. An identical
 * change that arrives sealed for an entry stored without a seal gives it the seal, without a new
 * position. Seals no entry refers to any more are deleted at the end of the batch.
 */
final class CellMerge {
  /*
   * FIRST_LIFE: a row whose first life (cl 1) a cell change began keeps no sentinel entry. Such a row has
   * cells for as long as its cl is 1, and a cl-1 sentinel of a row with cells is never streamed (as in
   * cfost-core's ChangeReader), so its site could never be seen: storing it would cost a third of the
   * writes of an initial sync (a sentinel beside two cells per row). A row made by a sentinel keeps it.
   */

  private final CellTables tables;
  private long head;
  private int applied;
  /** Rows touched by this batch; every write to them goes through here. */
  private final Map<RowKey, Row> rows = new HashMap<>();
  /** Seals displaced from entries: deleted at the end unless another entry still refers to them. */
  private final Set<Long> displaced = new HashSet<>();
  private final Map<DigestKey, Seal> sealByDigest = new HashMap<>();
  private final Map<Seal, Long> sealIds = new IdentityHashMap<>(); // the batch's own Seal objects
  /** The digest of the change being merged, if the caller gave it. */
  private byte[] digest;

  /** A row's identity in a database: its table and packed key. */
  record RowKey(String table, ByteBuffer pk) {}

  /**
   * The stored version of a sentinel made for a cell change that began a life (a sentinel's is otherwise
   * its cl, which is what the stream says either way): as cfost-core's {@code Merger.INFERRED}, its site is
   * the greatest of the life's cells until a sentinel of the life arrives, which then sets it in any order.
   */
  static final long INFERRED = 0;

  /** Indexes into an entry: {col_version, val, site, seal id or null}. */
  static final int VERSION = 0;
  static final int VALUE = 1;
  static final int SITE = 2;
  static final int SEAL = 3;

  /** A row of this batch: its id and causal length, and its entries once this batch knows them all. */
  private static final class Row {
    final long id;
    long cl;
    /**
     * The row's entries by cid, when this batch made the row or started its life (nothing else wrote it
     * since, in this transaction), or the store loaded them all, saving a query per cell; null: ask the
     * store.
     */
    Map<String, Object[]> known;

    Row(long id, long cl, Map<String, Object[]> known) {
      this.id = id;
      this.cl = cl;
      this.known = known;
    }
  }

  /** A merge into the database behind {@code tables}, whose stream head is {@code head}. */
  CellMerge(CellTables tables, long head) {
    this.tables = tables;
    this.head = head;
  }

  /**
   * Merges {@code changes} (validated) with {@code seals} (checked for form); returns the new head.
   * {@code digests}: each change's digest, as the seal check computed them; null: computed here.
   */
  long apply(List<Change> changes, List<Seal> seals, List<byte[]> digests) throws SQLException {
    for (Seal s : seals) {
      for (byte[] d : s.digests()) {
        sealByDigest.putIfAbsent(DigestKey.of(d), s); // the first seal covering a change is kept
      }
    }
    tables.prepare(changes);
    for (int i = 0; i < changes.size(); i++) {
      digest = digests == null ? null : digests.get(i);
      merge(changes.get(i));
    }
    tables.pruneSeals(displaced);
    return head;
  }

  int applied() {
    return applied;
  }

  private void merge(Change ch) throws SQLException {
    RowKey key = new RowKey(ch.table(), ByteBuffer.wrap(ch.pk()));
    Row row = rows.get(key);
    if (row == null) {
      row = loadRow(ch);
      rows.put(key, row);
    }
    if (ch.cl() < row.cl) {
      return;
    }
    if (ch.cl() > row.cl) {
      newLife(row, ch);
      if (ch.isSentinel() || ch.cl() % 2 == 0) {
        applied++;
        return;
      }
      write(row, ch, ch.colVersion(), ch.val(), null); // the cell is new in this life
      applied++;
      return;
    }
    if (ch.isSentinel()) {
      Object[] sentinel = entry(row, Change.SENTINEL);
      if (sentinel == null && ch.cl() == 1) {
        return; // see FIRST_LIFE
      }
      int cmp = sentinel == null || inferred(sentinel) ? 1 : Arrays.compareUnsigned(ch.siteId(), (byte[]) sentinel[SITE]);
      if (cmp > 0) {
        write(row, ch, ch.cl(), null, sentinel);
      } else if (cmp == 0) {
        attachSeal(row, ch, sentinel);
      }
      return;
    }
    if (row.cl > 1) { // a first life begun by a cell keeps no sentinel (FIRST_LIFE)
      Object[] sentinel = entry(row, Change.SENTINEL);
      if (sentinel != null && inferred(sentinel) && Arrays.compareUnsigned(ch.siteId(), (byte[]) sentinel[SITE]) > 0) {
        put(row, Change.SENTINEL, INFERRED, null, ch.siteId(), null, sentinel); // the greatest site of the life's cells
      }
    }
    if (row.cl % 2 == 0) {
      return; // a cell of a deleted row
    }
    Object[] cell = entry(row, ch.cid());
    if (cell == null) {
      write(row, ch, ch.colVersion(), ch.val(), null); // never written in this life
      applied++;
      return;
    }
    int cmp = Long.compare(ch.colVersion(), (Long) cell[VERSION]);
    if (cmp == 0) {
      cmp = dev.cfost.internal.ValueOrder.compare(ch.val(), cell[VALUE]);
      if (cmp == 0) {
        int site = Arrays.compareUnsigned(ch.siteId(), (byte[]) cell[SITE]);
        if (site > 0) {
          write(row, ch, ch.colVersion(), ch.val(), cell); // the same value, maybe other bits
        } else if (site == 0) {
          attachSeal(row, ch, cell);
        }
        return;
      }
    }
    if (cmp > 0) {
      write(row, ch, ch.colVersion(), ch.val(), cell);
      applied++;
    }
  }

  /** The change's row; inserted with cl 0 (no life yet, no entries) if the store has none. */
  private Row loadRow(Change ch) throws SQLException {
    CellTables.StoredRow stored = tables.row(ch.table(), ch.pk());
    if (stored != null) {
      return new Row(stored.id(), stored.cl(), stored.entries());
    }
    return new Row(tables.insertRow(ch.table(), ch.pk()), 0, new HashMap<>());
  }

  /** Starts the row's life {@code ch.cl()}: its entries are forgotten, its sentinel is the change's. */
  private void newLife(Row row, Change ch) throws SQLException {
    if (row.known == null) {
      tables.rowSeals(row.id, displaced);
      tables.deleteEntries(row.id);
    } else if (!row.known.isEmpty()) {
      for (Object[] e : row.known.values()) {
        if (e[SEAL] != null) {
          displaced.add((Long) e[SEAL]);
        }
      }
      tables.deleteEntries(row.id);
    }
    row.known = new HashMap<>(); // nothing left: the row's entries are all known from here on
    row.cl = ch.cl();
    tables.setCl(row.id, ch.cl());
    if (ch.cl() == 1 && !ch.isSentinel()) {
      return; // see FIRST_LIFE
    }
    // A sentinel made for a cell change is no change anyone signed: it has no seal (a forwarder leaves it
    // out, as a device does; the cell change carries the cl).
    put(row, Change.SENTINEL, ch.isSentinel() ? ch.cl() : INFERRED, null, ch.siteId(),
        ch.isSentinel() ? sealOf(ch) : null, null);
  }

  /** Whether a sentinel entry was made for a cell change: its site gives way to any sentinel of the life. */
  private static boolean inferred(Object[] sentinel) {
    return (Long) sentinel[VERSION] == INFERRED;
  }

  /** {col_version, val, site, seal} of an entry of the row, or null if it has none in this life. */
  private Object[] entry(Row row, String cid) throws SQLException {
    if (row.known != null) {
      return row.known.get(cid);
    }
    return tables.entry(row.id, cid);
  }

  /** Writes {@code ch} over {@code old} (the stored entry, or null) at the next position. */
  private void write(Row row, Change ch, long colVersion, Object val, Object[] old) throws SQLException {
    put(row, ch.cid(), colVersion, val, ch.siteId(), sealOf(ch), old);
  }

  private void put(Row row, String cid, long colVersion, Object val, byte[] site, Long seal, Object[] old)
      throws SQLException {
    if (old != null && old[SEAL] != null && !old[SEAL].equals(seal)) {
      displaced.add((Long) old[SEAL]);
    }
    tables.putEntry(row.id, cid, ++head, colVersion, val, site, seal);
    if (row.known != null) {
      row.known.put(cid, new Object[] {colVersion, val, site, seal});
    }
  }

  /** The stored entry is this very change: if it was kept without a seal until now, it takes this one. */
  private void attachSeal(Row row, Change ch, Object[] stored) throws SQLException {
    // 0.0 and -0.0 merge as equal, but a seal over one does not cover the other (the stream relays by it).
    if (stored[SEAL] != null || (ch.val() instanceof Double d && stored[VALUE] instanceof Double s
        && Double.doubleToRawLongBits(d) != Double.doubleToRawLongBits(s))) {
      return;
    }
    Long seal = sealOf(ch);
    if (seal != null) {
      tables.setSeal(row.id, ch.cid(), seal);
      stored[SEAL] = seal; // the known entry too, if the row's entries are known
    }
  }

  /** The id of the stored seal covering {@code ch} (stored now if new), or null if none covers it. */
  private Long sealOf(Change ch) throws SQLException {
    if (ch == null || sealByDigest.isEmpty()) {
      return null;
    }
    // Only ever the change being merged (merge passes no other), whose digest the caller may have given.
    Seal seal = sealByDigest.get(DigestKey.of(digest != null ? digest : ChangeSeals.digest(ch)));
    if (seal == null) {
      return null;
    }
    Long id = sealIds.get(seal);
    if (id == null) {
      id = tables.saveSeal(seal);
      sealIds.put(seal, id);
    }
    return id;
  }
}
