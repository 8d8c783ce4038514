package dev.cfost.internal;

import dev.cfost.Change;
import dev.cfost.InvalidChangeException;
import dev.cfost.Values;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks every change of a remote batch against the local schema before anything is written, so that
 * nothing from the wire reaches SQL unvalidated and a bad batch applies nothing.
 */
final class ChangeValidator {
  /**
   * The largest causal length accepted: a JavaScript number holds it exactly, and a row would need 2^53
   * deletes and re-inserts to reach it. Local increments ({@code cl + 1}, {@code cl + 2} in
   * {@link Capture}) start from at most this, so they cannot overflow.
   */
  static final long MAX_CL = (1L << 53) - 1;
  /**
   * The largest col_version accepted: an HLC timestamp up to about the year 4200 (a real cr-sqlite peer
   * sends small counters). The drift check bounds it more tightly unless the drift allowed is huge;
   * this bound leaves the clock and {@code max(v + 1, hlc)} 2^62 steps below a {@code long}'s end.
   */
  static final long MAX_COL_VERSION = (1L << 62) - 1;

  private ChangeValidator() {}

  /**
   * A validated change with its table, its decoded key in canonical form ({@link Affinity#canonical}) and
   * that key packed: the one identity of the row, by which a merge groups and orders changes (the
   * change's own pk may be another encoding of the same key).
   */
  record Checked(Change change, TableSpec spec, List<Object> key, byte[] pk, int ordinal) {
    /** Whether {@code o} changes the same row (consecutive changes of a row share their decoded key). */
    boolean sameRow(Checked o) {
      return spec == o.spec && (key == o.key || java.util.Arrays.equals(pk, o.pk));
    }
  }

  static List<Checked> check(List<Change> batch, int offset, Map<String, TableSpec> specs, HybridClock hlc) {
    return check(batch, offset, specs, hlc, null);
  }

  /**
   * Checks a batch. With a non-null {@code deferred}, a change naming a table or column this replica does
   * not know yet (sent by a peer with a newer schema) is added to it instead of refusing the batch, after
   * every check that the local schema allows: all but the column for a known table, the key's encoding
   * and its non-NULL parts for an unknown one.
   */
  static List<Checked> check(List<Change> batch, int offset, Map<String, TableSpec> specs, HybridClock hlc,
      List<Change> deferred) {
    List<Checked> out = new ArrayList<>(batch.size());
    // A row's changes come one after another: its key is decoded and checked once, not per change.
    byte[] lastPk = null;
    TableSpec lastSpec = null;
    List<Object> lastKey = null;
    byte[] lastCanonical = null;
    for (int j = 0; j < batch.size(); j++) {
      Change c = batch.get(j);
      int i = offset + j;
      if (c == null) {
        throw new InvalidChangeException(i, "null change");
      }
      if (c.table() == null) {
        throw new InvalidChangeException(i, "field 'table' is missing");
      }
      TableSpec spec = specs.get(c.table());
      if (spec == null && deferred != null) {
        checkFields(c, i, hlc);
        decodeWithoutSchema(c, i, null);
        deferred.add(c);
        continue;
      }
      if (spec == null) {
        throw new InvalidChangeException(i, "unknown table '" + c.table() + "': it is not a replicated table here");
      }
      if (c.cid() == null) {
        throw new InvalidChangeException(i, "field 'cid' is missing (table '" + c.table() + "')");
      }
      int ordinal = 0;
      boolean defer = false;
      if (!c.isSentinel()) {
        ordinal = spec.ordinal(c.cid());
        if (ordinal == 0 && deferred != null && !spec.keyColumns.contains(c.cid())) {
          defer = true;
        } else if (ordinal == 0) {
          String what = spec.keyColumns.contains(c.cid()) ? "is a primary-key column, carried by pk" : "does not exist";
          throw new InvalidChangeException(i, "table '" + c.table() + "' column '" + c.cid() + "' " + what);
        }
      }
      if (c.pk() == null) {
        throw new InvalidChangeException(i, "field 'pk' is missing (table '" + c.table() + "')");
      }
      if (spec != lastSpec || !java.util.Arrays.equals(c.pk(), lastPk)) {
        lastKey = key(c, i, spec);
        lastCanonical = PackedKey.pack(lastKey);
        if (java.util.Arrays.equals(lastCanonical, c.pk())) {
          lastCanonical = c.pk(); // the usual case: one array less per row
        }
        lastPk = c.pk();
        lastSpec = spec;
      }
      checkFields(c, i, hlc);
      if (defer) {
        deferred.add(c);
      } else {
        out.add(new Checked(c, spec, lastKey, lastCanonical, ordinal));
      }
    }
    return out;
  }

  /** Decodes and checks a change's key against its table; returns it in canonical form. */
  private static List<Object> key(Change c, int i, TableSpec spec) {
    List<Object> key = decodeWithoutSchema(c, i, spec);
    if (key.size() != spec.keyCount()) {
      throw new InvalidChangeException(i, "field 'pk' of table '" + c.table() + "' has " + key.size()
          + " columns; the primary key " + spec.keyColumns + " has " + spec.keyCount());
    }
    for (int k = 0; k < key.size(); k++) {
      try {
        key.set(k, spec.keyAffinities.get(k).canonical(key.get(k)));
      } catch (IllegalArgumentException e) {
        throw new InvalidChangeException(i, "field 'pk' of table '" + c.table() + "': key column '"
            + spec.keyColumns.get(k) + "' is " + e.getMessage());
      }
    }
    // A lone INTEGER key is the table's rowid, which holds integers only (SQLite would refuse the write).
    if (key.size() == 1 && "INTEGER".equalsIgnoreCase(spec.keyTypes.get(0)) && !(key.get(0) instanceof Long)) {
      throw new InvalidChangeException(i, "field 'pk' of table '" + c.table() + "': key column '"
          + spec.keyColumns.get(0) + "' is INTEGER PRIMARY KEY (the rowid) and holds integers only, not "
          + Values.typeName(key.get(0)));
    }
    return key;
  }

  /**
   * Decodes a change's key and checks what needs no schema: its encoding, and no NULL part ({@code spec}
   * names the key columns, if known).
   */
  private static List<Object> decodeWithoutSchema(Change c, int i, TableSpec spec) {
    List<Object> key;
    try {
      key = PackedKey.unpack(c.pk());
    } catch (IllegalArgumentException e) {
      throw new InvalidChangeException(i, "field 'pk' of table '" + c.table() + "' is malformed: " + e.getMessage());
    }
    for (int k = 0; k < key.size(); k++) {
      if (key.get(k) == null) {
        String column = spec != null && k < spec.keyCount() ? "'" + spec.keyColumns.get(k) + "'" : "#" + (k + 1);
        throw new InvalidChangeException(i, "field 'pk' of table '" + c.table() + "': key column " + column
            + " is NULL");
      }
    }
    return key;
  }

  /** The checks of a change's other fields, which need no schema. */
  private static void checkFields(Change c, int i, HybridClock hlc) {
    if (c.pk() == null) {
      throw new InvalidChangeException(i, "field 'pk' is missing (table '" + c.table() + "')");
    }
    if (c.siteId() == null || c.siteId().length != 16) {
      throw new InvalidChangeException(i, "field 'site_id' must be 16 bytes, not "
          + (c.siteId() == null ? "missing" : c.siteId().length + " bytes"));
    }
    if (c.cl() < 1 || c.cl() > MAX_CL) {
      throw new InvalidChangeException(i, "field 'cl' must be >= 1 and <= 2^53 - 1: " + c.cl());
    }
    if (c.colVersion() < 0 || c.colVersion() > MAX_COL_VERSION) {
      throw new InvalidChangeException(i, "field 'col_version' must be >= 0 and <= 2^62 - 1: " + c.colVersion());
    }
    if (c.dbVersion() < 0 || c.seq() < 0) {
      throw new InvalidChangeException(i, "fields 'db_version' and 'seq' must be >= 0: " + c.dbVersion() + ", " + c.seq());
    }
    if (!Values.isValid(c.val())) {
      throw new InvalidChangeException(i, "field 'val' has unsupported type " + c.val().getClass().getName());
    }
    if (c.isSentinel() && c.val() != null) {
      throw new InvalidChangeException(i, "field 'val' of a sentinel (cid '-1') must be null, not "
          + Values.typeName(c.val()));
    }
    if (c.val() instanceof Double && ((Double) c.val()).isNaN()) {
      throw new InvalidChangeException(i, "field 'val' is NaN, which SQLite cannot store");
    }
    hlc.checkDrift(c.colVersion()); // throws ClockDriftException, which names both clocks
  }
}
