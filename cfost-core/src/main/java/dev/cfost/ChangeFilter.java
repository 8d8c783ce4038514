package dev.cfost;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Which changes a reader wants: a subset of tables, a row filter per table, and a site whose own changes
 * are left out (the receiving peer's, which it already has).
 *
 * <p>A row filter is a SQL predicate over the table's columns, written by the application (never taken
 * from the wire), evaluated by the sender when it reads changes. A row that stops matching is no longer
 * sent: the receiver keeps the last version it had. Deletes are always sent, since a deleted row has no
 * columns left to match. Changing a filter does not resend rows that newly match until they change; read
 * from {@link Cursor#START} to resend everything.
 *
 * @param tables the tables to read, or null for every replicated table
 * @param rowFilters per table, a SQL predicate its rows must satisfy to be sent
 * @param excludeSite a site id whose changes are skipped, or null
 */
public record ChangeFilter(Set<String> tables, Map<String, String> rowFilters, byte[] excludeSite) {
  /** Every change of every replicated table. */
  public static final ChangeFilter ALL = new ChangeFilter(null, Map.of(), null);

  public ChangeFilter {
    tables = tables == null ? null : Set.copyOf(tables);
    rowFilters = Map.copyOf(rowFilters);
    excludeSite = excludeSite == null ? null : excludeSite.clone();
  }

  /** Only these tables. */
  public ChangeFilter onlyTables(Collection<String> names) {
    return new ChangeFilter(Set.copyOf(names), rowFilters, excludeSite);
  }

  /** Only the rows of {@code table} that satisfy {@code predicate}, e.g. {@code "owner = 'ann'"}. */
  public ChangeFilter withRowFilter(String table, String predicate) {
    Map<String, String> next = new HashMap<>(rowFilters);
    next.put(Objects.requireNonNull(table, "table"), Objects.requireNonNull(predicate, "predicate"));
    return new ChangeFilter(tables, next, excludeSite);
  }

  /** Leaves out the changes made at {@code siteId}. */
  public ChangeFilter excludingSite(byte[] siteId) {
    return new ChangeFilter(tables, rowFilters, siteId);
  }

  /** True if {@code table} is read. */
  public boolean includes(String table) {
    return tables == null || tables.contains(table);
  }
}
