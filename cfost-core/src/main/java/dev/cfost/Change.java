package dev.cfost;

import java.util.Arrays;
import java.util.Objects;

/**
 * One replicated cell change, in the shape of a cr-sqlite {@code crsql_changes} row.
 *
 * <p>{@code cid} is a column name, or {@code "-1"} for the row's sentinel (row created, deleted or
 * resurrected). {@code val} is {@code null}, {@link Long}, {@link Double}, {@link String} or
 * {@code byte[]}. {@code pk} is the primary key in cr-sqlite's packed encoding. {@code cl} is the row's
 * causal length: odd while the row exists, even once deleted. {@code dbVersion} and {@code seq} are the
 * sender's local counters; {@code siteId} (16 bytes) names the replica where the change was made.
 *
 * <p>Byte arrays are not copied: do not modify them after handing a change over.
 */
public record Change(
    String table,
    byte[] pk,
    String cid,
    Object val,
    long colVersion,
    long dbVersion,
    byte[] siteId,
    long cl,
    long seq) {

  /** The {@code cid} of a row's sentinel change. */
  public static final String SENTINEL = "-1";

  /** True if this is a row sentinel (create, delete or resurrect) rather than a column value. */
  public boolean isSentinel() {
    return SENTINEL.equals(cid);
  }

  /** True if {@code other} changes the same row: the same table and primary key. */
  public boolean sameRow(Change other) {
    return table.equals(other.table) && Arrays.equals(pk, other.pk);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Change)) {
      return false;
    }
    Change c = (Change) o;
    return colVersion == c.colVersion
        && dbVersion == c.dbVersion
        && cl == c.cl
        && seq == c.seq
        && Objects.equals(table, c.table)
        && Arrays.equals(pk, c.pk)
        && Objects.equals(cid, c.cid)
        && Values.equal(val, c.val)
        && Arrays.equals(siteId, c.siteId);
  }

  @Override
  public int hashCode() {
    int h = Objects.hash(table, cid, colVersion, dbVersion, cl, seq);
    h = 31 * h + Arrays.hashCode(pk);
    h = 31 * h + Arrays.hashCode(siteId);
    return 31 * h + Values.hash(val);
  }

  @Override
  public String toString() {
    return "Change{" + table + " pk=" + Values.hex(pk) + " cid=" + cid + " val=" + Values.describe(val)
        + " col_version=" + colVersion + " db_version=" + dbVersion + " site=" + Values.hex(siteId)
        + " cl=" + cl + " seq=" + seq + "}";
  }
}
