package dev.cfost.internal;

import static dev.cfost.internal.Sql.id;

import dev.cfost.Change;
import java.nio.ByteBuffer;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Applies validated remote changes inside the caller's write transaction.
 *
 * <p>Design note: the merge rule. For each change against the local clocks of its row:
 * <ol>
 *   <li>Causal length first. A lower {@code cl} than the row's is ignored. A higher one starts a new
 *       life of the row: even means deleted (the base row goes), odd means created or resurrected; the
 *       cells' clocks and values of the old life are forgotten (the base row is made again).
 *   <li>Within the same odd {@code cl}, a cell never written in this life loses to any change (even one
 *       of col_version 0); otherwise the higher {@code col_version} wins the cell.
 *   <li>Equal col_versions: the greater value wins ({@link ValueOrder}, cr-sqlite's order).
 *   <li>Equal values: the greater site id is recorded (data is equal either way; the rule keeps the
 *       clocks deterministic too). Likewise for a sentinel of the same {@code cl} (the same delete or
 *       resurrection made on two replicas). A life started here by a cell change takes the site of its
 *       cells, the greatest, until a sentinel of that life arrives ({@link #INFERRED}).
 * </ol>
 * The changes of one row are applied in batch order in memory and written once, so a batch gives the
 * same result as its changes merged one by one; merging a change twice changes nothing the second time.
 */
final class Merger {
  /**
   * Rows are applied in packed-key order, not arrival order: independent rows commute, and key order
   * walks the B-trees far more locally (measured -20%, docs/BENCHMARKS.md, F10). A row's own changes keep
   * their batch order.
   */
  static final java.util.Comparator<ByteBuffer> KEY_ORDER = (x, y) -> Arrays.compareUnsigned(x.array(), y.array());

  /**
   * The sentinel version ({@code cl_v}, otherwise always the row's {@code cl}) of a life that a cell change
   * started, its site taken from a cell: until a sentinel change of that life arrives, which then sets the
   * site whatever its order, the site is the greatest of the life's cells. Without it the site depended on
   * which came first, the sentinel or a cell of another site (MergeProperties found replicas that merged
   * the same changes in two orders streaming different sentinels).
   */
  static final long INFERRED = 0;

  private Merger() {}

  /** Applies the batch; returns how many changes won. */
  static int apply(WriteTx tx, List<ChangeValidator.Checked> batch) throws SQLException {
    Map<String, Map<ByteBuffer, List<ChangeValidator.Checked>>> byRow = new LinkedHashMap<>();
    List<ChangeValidator.Checked> current = null; // a row's changes mostly come one after another
    ChangeValidator.Checked previous = null;
    for (ChangeValidator.Checked c : batch) {
      if (previous == null || !previous.sameRow(c)) {
        current = byRow.computeIfAbsent(c.spec().name, t -> new TreeMap<>(KEY_ORDER))
            .computeIfAbsent(ByteBuffer.wrap(c.pk()), k -> new ArrayList<>(4));
      }
      current.add(c);
      previous = c;
    }
    List<Collection<List<ChangeValidator.Checked>>> tables = new ArrayList<>();
    for (Map<ByteBuffer, List<ChangeValidator.Checked>> rows : byRow.values()) {
      tables.add(rows.values());
    }
    return applyRows(tx, tables);
  }

  /**
   * Applies changes grouped by table, then by row (each row once, its changes in batch order), in the
   * order given: key order walks the B-trees most locally. Returns how many changes won.
   */
  static int applyRows(WriteTx tx, List<? extends Collection<List<ChangeValidator.Checked>>> tables) throws SQLException {
    int applied = 0;
    long maxVersion = 0;
    // Where each table's log ends now: the caller captured before merging, so anything logged from here on
    // is this merge's own writes (an application trigger without the cfost_merging check), never another.
    List<Long> logEnds = new ArrayList<>(tables.size());
    for (Collection<List<ChangeValidator.Checked>> rows : tables) {
      logEnds.add(Sql.queryLong(tx.c, "SELECT coalesce(max(seq), 0) FROM "
          + id(rows.iterator().next().get(0).spec().log)));
    }
    // The triggers log nothing while cfost_merging has a row: merged rows are not local writes. Only this
    // transaction can see the row (it holds the write lock), and a rollback removes it.
    tx.prepare("INSERT INTO cfost_merging VALUES (1)").executeUpdate();
    try {
      for (Collection<List<ChangeValidator.Checked>> rows : tables) {
        TableSpec spec = rows.iterator().next().get(0).spec();
        List<List<Object>> keys = new ArrayList<>(rows.size());
        for (List<ChangeValidator.Checked> changes : rows) {
          keys.add(changes.get(0).key());
          for (ChangeValidator.Checked c : changes) {
            maxVersion = Math.max(maxVersion, c.change().colVersion());
          }
        }
        Map<Object, ClockRow> loaded = tx.store(spec).loadMany(keys);
        for (List<ChangeValidator.Checked> changes : rows) {
          applied += applyRow(tx, changes, loaded);
        }
      }
      // Rows are distinct within a batch and each is read before it is written, so the batched writes
      // can wait until here; the next batch may read them.
      tx.flushBatched();
    } finally {
      // Even if the caller went on after a failure: a row left here would keep every later local
      // write out of the log.
      tx.prepare("DELETE FROM cfost_merging").executeUpdate();
    }
    int t = 0;
    for (Collection<List<ChangeValidator.Checked>> rows : tables) {
      // Nothing unless a trigger without the cfost_merging check logged this merge's writes; they must
      // not be captured as local edits.
      PreparedStatement delete = tx.prepare("DELETE FROM " + id(rows.iterator().next().get(0).spec().log)
          + " WHERE seq > ?");
      delete.setLong(1, logEnds.get(t++));
      delete.executeUpdate();
    }
    tx.received(maxVersion);
    return applied;
  }

  private static int applyRow(WriteTx tx, List<ChangeValidator.Checked> changes, Map<Object, ClockRow> loaded)
      throws SQLException {
    TableSpec spec = changes.get(0).spec();
    List<Object> key = changes.get(0).key();
    ClockStore store = tx.store(spec);
    Object lookup = loaded.isEmpty() ? null : store.lookupKey(key);
    ClockRow row = lookup != null && loaded.containsKey(lookup) ? loaded.get(lookup) : store.load(key);
    // Every base row has a clock row once pending writes are captured (done at the start of this
    // transaction), so a row without clocks has no base row either: one lookup saved per new row.
    boolean existed = row != null && store.baseRowExists(key);
    if (row == null) {
      row = new ClockRow(key, spec.columns.size());
    }
    int n = spec.columns.size();
    Object[] values = new Object[n];
    boolean[] set = new boolean[n];
    Object[] local = null; // current base values, loaded on the first value tie
    boolean fresh = !existed; // the base row must be (re)created without its old values
    boolean rowChanged = false;
    int applied = 0;
    for (ChangeValidator.Checked checked : changes) {
      Change c = checked.change();
      if (c.cl() < row.cl) {
        continue;
      }
      long site = tx.sites.ordinal(c.siteId());
      if (c.cl() > row.cl) {
        row.cl = c.cl();
        row.resetCells();
        // A cell that starts the life names its site only until a sentinel of the life comes (see INFERRED).
        row.stampSentinel(c.isSentinel() ? c.cl() : INFERRED, tx.dbVersion(), site, tx.nextSeq());
        rowChanged = true;
        // A new life starts from nothing: the base row is made again with only the cells this life
        // writes (the others take their defaults, as on the replica that deleted and re-inserted it), never
        // keeping values of the old life that other replicas do not have.
        Arrays.fill(set, false);
        Arrays.fill(values, null);
        fresh = true;
        if (c.isSentinel() || !row.alive()) {
          applied++;
          continue;
        }
      } else if (c.isSentinel()) {
        // The same life of the row from another replica (two concurrent deletes, say): as for equal
        // cell values, the greater site id is recorded, so that replicas agree whatever the order; a site
        // only inferred from a cell gives way to any sentinel of the life.
        if (row.clV == INFERRED || Arrays.compareUnsigned(c.siteId(), tx.sites.id(row.clS)) > 0) {
          row.stampSentinel(c.cl(), tx.dbVersion(), site, tx.nextSeq());
          rowChanged = true;
        }
        continue;
      } else if (row.clV == INFERRED && Arrays.compareUnsigned(c.siteId(), tx.sites.id(row.clS)) > 0) {
        row.stampSentinel(INFERRED, tx.dbVersion(), site, tx.nextSeq()); // the greatest site of the life's cells
        rowChanged = true;
      }
      if (!row.alive()) {
        continue;
      }
      int i = checked.ordinal() - 1;
      // A cell never written in this life has no version to defend, and its site ordinal 0 would name
      // this replica, a different site on each: any change wins it (as in cr-sqlite, which has no clock).
      int cmp = row.v[i] == 0 && row.d[i] == 0 ? 1 : Long.compare(c.colVersion(), row.v[i]);
      if (cmp == 0) {
        Object mine;
        if (set[i] || fresh) {
          mine = values[i];
        } else {
          if (local == null) {
            local = loadValues(tx, spec, key);
          }
          mine = local[i];
        }
        cmp = ValueOrder.compare(c.val(), mine);
        if (cmp == 0) {
          if (Arrays.compareUnsigned(c.siteId(), tx.sites.id(row.s[i])) > 0) {
            row.stampCell(i, c.colVersion(), tx.dbVersion(), site, tx.nextSeq());
            // Equal values may still differ in bits (-0.0 and 0.0): the greater site's is written, so
            // that every replica holds the same one whatever the order.
            values[i] = c.val();
            set[i] = true;
            rowChanged = true;
          }
          continue;
        }
      }
      if (cmp > 0) {
        row.stampCell(i, c.colVersion(), tx.dbVersion(), site, tx.nextSeq());
        values[i] = c.val();
        set[i] = true;
        rowChanged = true;
        applied++;
      }
    }
    if (!rowChanged) {
      return 0;
    }
    writeBase(tx, spec, key, existed, fresh, row.alive(), values, set);
    store.storeLater(row);
    tx.changed(spec.name, key, !row.alive());
    return applied;
  }

  private static Object[] loadValues(WriteTx tx, TableSpec spec, List<Object> key) throws SQLException {
    StringBuilder cols = new StringBuilder();
    for (int i = 0; i < spec.columns.size(); i++) {
      cols.append(i == 0 ? "" : ", ").append(spec.selectColumn("", i));
    }
    PreparedStatement ps = tx.prepare("SELECT " + cols + " FROM " + id(spec.name) + " WHERE " + spec.baseKeyMatch());
    bind(ps, 1, key);
    Object[] out = new Object[spec.columns.size()];
    try (ResultSet rs = ps.executeQuery()) {
      if (rs.next()) {
        for (int i = 0; i < out.length; i++) {
          out[i] = Sql.read(rs, i + 1);
        }
      }
    }
    return out;
  }

  private static void writeBase(WriteTx tx, TableSpec spec, List<Object> key, boolean existed, boolean fresh,
      boolean alive, Object[] values, boolean[] set) throws SQLException {
    if (existed && (fresh || !alive)) {
      PreparedStatement del = tx.prepare(spec.baseDelete());
      bind(del, 1, key);
      del.executeUpdate();
    }
    if (!alive) {
      return;
    }
    int p = 1;
    if (fresh) {
      int width = key.size();
      for (boolean s : set) {
        width += s ? 1 : 0;
      }
      Object[] row = new Object[width];
      int w = 0;
      for (Object k : key) {
        row[w++] = k;
      }
      for (int i = 0; i < values.length; i++) {
        if (set[i]) {
          row[w++] = values[i];
        }
      }
      tx.batched(spec.baseInsertHead(set), width).add(row); // written by tx.flushBatched() in apply
      return;
    }
    String update = spec.baseUpdate(set);
    if (update == null) {
      return;
    }
    PreparedStatement upd = tx.prepare(update);
    for (int i = 0; i < values.length; i++) {
      if (set[i]) {
        Sql.bind(upd, p++, values[i]);
      }
    }
    bind(upd, p, key);
    upd.executeUpdate();
  }

  private static void bind(PreparedStatement ps, int first, List<Object> values) throws SQLException {
    for (int i = 0; i < values.size(); i++) {
      Sql.bind(ps, first + i, values.get(i));
    }
  }
}
