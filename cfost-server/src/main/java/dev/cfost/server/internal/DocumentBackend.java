package dev.cfost.server.internal;

import dev.cfost.Document;
import dev.cfost.Documents;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Where {@code /ws} keeps an account's documents, so that one {@link DocumentSockets} serves both stores:
 * SQLite's one Cfost file per account ({@link SqliteDocumentBackend}), or the PostgreSQL store's tables,
 * which every server process on it shares ({@link PostgresDocumentBackend}). Thread-safe.
 */
interface DocumentBackend extends AutoCloseable {

  /** One account's documents, open until closed; the socket layer opens one per account with connections. */
  interface Opened extends AutoCloseable {
    Documents documents();

    @Override
    void close();

    /** {@code documents}, whose {@link #close} runs {@code close}. */
    static Opened of(Documents documents, Runnable close) {
      return new Opened() {
        @Override
        public Documents documents() {
          return documents;
        }

        @Override
        public void close() {
          close.run();
        }
      };
    }
  }

  /** An update another server process committed, re-read from the store, to push to this one's connections. */
  record Committed(String user, String action, Document document) {}

  /**
   * Opens the account's documents.
   *
   * @throws DocumentMessages.Refused if this backend cannot hold the account's documents
   */
  Opened open(String user);

  /**
   * Pushes the updates other processes commit, for the users {@code here} accepts (those with connections
   * on this process), to {@code push}, one at a time in the order their notifications arrive. A backend
   * that one process holds alone never calls it.
   */
  void pushRemoteUpdates(Predicate<String> here, Consumer<Committed> push);

  @Override
  void close();
}
