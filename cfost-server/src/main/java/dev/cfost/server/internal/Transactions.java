package dev.cfost.server.internal;

/**
 * Where units of work run, each in one transaction: a SQLite file ({@link StoreFile}) or a PostgreSQL
 * pool ({@link PostgresPool}). Committed if the work returns; rolled back if it throws, an
 * {@link java.sql.SQLException} coming out as a {@link dev.cfost.server.StoreException} naming {@code what}.
 */
interface Transactions {
  <T> T tx(String what, StoreFile.Work<T> work);
}
