package dev.cfost.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.server.TestPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * After its listening connection was cut, {@link CommitChannel} calls the document listeners for the
 * revisions other processes wrote meanwhile, at most {@link CommitChannel#MAX_DOCUMENT_CATCH_UP}: when
 * there were more, the newest are the ones called (a push moves a document forward only, so an older
 * version pushed last would leave clients behind).
 */
class CommitChannelDocumentsIT {

  @Test
  void aCatchUpBeyondItsBoundCallsTheNewestRevisions() throws Exception {
    String url = TestPostgres.freshDatabase();
    int written = CommitChannel.MAX_DOCUMENT_CATCH_UP + 1;
    List<Long> called = new CopyOnWriteArrayList<>();
    CopyOnWriteArrayList<CommitChannel.DocumentListener> listeners = new CopyOnWriteArrayList<>();
    listeners.add((user, document, version) -> called.add(version));
    try (PostgresPool pool = PostgresDocumentPointerIT.migratedPool(url)) {
      try (CommitChannel channel = CommitChannel.start(pool, "aaaa", new CopyOnWriteArrayList<>(), listeners);
          Connection c = TestPostgres.connect(url); Statement s = c.createStatement()) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!channel.listening()) {
          assertThat(System.nanoTime()).as("listening").isLessThan(deadline);
          Thread.sleep(10);
        }
        // Another process's revisions, written without their notifications (as if lost while cut off).
        s.execute("INSERT INTO documents(user_id, doc_id, title, body, version, created_by, created_hlc,"
            + " updated_by, updated_hlc) VALUES ('alice', 'd', 'D', '{}', " + written + ", 'alice', 1, 'alice', "
            + written + ")");
        s.execute("INSERT INTO document_revisions(user_id, doc_id, version, kind, action, author, device, hlc)"
            + " SELECT 'alice', 'd', v, 'update', 'patch', 'alice', 'bbbb', v FROM generate_series(1, " + written
            + ") v");
        s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '"
            + CommitChannel.APPLICATION_NAME + "'");
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (called.size() < CommitChannel.MAX_DOCUMENT_CATCH_UP && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        Thread.sleep(200); // nothing beyond the bound follows
        assertThat(called).hasSize(CommitChannel.MAX_DOCUMENT_CATCH_UP);
        assertThat(called.get(called.size() - 1)).as("the last call is the newest revision").isEqualTo(written);
        assertThat(called).as("called oldest first").isSorted();
      }
    }
  }
}
