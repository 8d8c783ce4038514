package dev.cfost.internal;

import java.util.List;

/**
 * The clocks of one row of a replicated table: its causal length with the sentinel's metadata, and per
 * non-key column the col_version, db_version, site ordinal and seq of the cell's last change.
 *
 * <p>A cell with {@code v == 0 && d == 0} has never been written in the row's current life. Mutable;
 * owned by the transaction that loaded it.
 */
final class ClockRow {
  final List<Object> key;
  long cl;
  long clV;
  long clD;
  long clS;
  long clQ;
  long db;
  long rq;
  final long[] v;
  final long[] d;
  final long[] s;
  final long[] q;

  ClockRow(List<Object> key, int columns) {
    this.key = key;
    this.v = new long[columns];
    this.d = new long[columns];
    this.s = new long[columns];
    this.q = new long[columns];
  }

  boolean alive() {
    return (cl & 1) == 1;
  }

  /** Forgets the cells' clocks: a new life of the row starts (cr-sqlite shows them as version 0). */
  void resetCells() {
    java.util.Arrays.fill(v, 0);
    java.util.Arrays.fill(d, 0);
    java.util.Arrays.fill(s, 0);
    java.util.Arrays.fill(q, 0);
  }

  /** Records the sentinel as changed in this transaction. */
  void stampSentinel(long colVersion, long dbVersion, long site, long seq) {
    clV = colVersion;
    clD = dbVersion;
    clS = site;
    clQ = seq;
    db = dbVersion;
    rq = seq;
  }

  /** Records cell {@code i} (0-based) as changed in this transaction. */
  void stampCell(int i, long colVersion, long dbVersion, long site, long seq) {
    v[i] = colVersion;
    d[i] = dbVersion;
    s[i] = site;
    q[i] = seq;
    db = dbVersion;
    rq = seq;
  }
}
