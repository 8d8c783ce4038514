package dev.cfost.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The calls the sync sessions make, read back from the Prometheus text. */
class ServerMetricsTest {
  @Test
  void openConnectionsGoUpAndDownAndClosesAreCountedByReason() {
    try (ServerMetrics m = new ServerMetrics()) {
      m.connectionOpened("websocket");
      m.connectionOpened("websocket");
      m.connectionOpened("sse");
      m.connectionClosed("websocket", "client_closed");
      String text = m.scrape();
      assertThat(text).contains("cfost_sync_connections_open{transport=\"websocket\"} 1.0")
          .contains("cfost_sync_connections_open{transport=\"sse\"} 1.0")
          .contains("cfost_sync_connections_closed_total{reason=\"client_closed\",transport=\"websocket\"} 1.0");
    }
  }

  @Test
  void changesBatchesAndMergeTimesAreCounted() {
    try (ServerMetrics m = new ServerMetrics()) {
      m.batchIn();
      m.changesIn(250);
      m.batchOut();
      m.batchOut();
      m.changesOut(7);
      m.recordMerge(Duration.ofMillis(3));
      m.recordMerge(Duration.ofMillis(700));
      m.authFailure("bad_device_proof");
      m.error("protocol_error");
      String text = m.scrape();
      assertThat(text).contains("cfost_sync_batches_received_total 1.0")
          .contains("cfost_sync_changes_received_total 250.0")
          .contains("cfost_sync_batches_sent_total 2.0")
          .contains("cfost_sync_changes_sent_total 7.0")
          .contains("cfost_sync_merge_seconds_bucket{le=\"0.005\"} 1")
          .contains("cfost_sync_merge_seconds_bucket{le=\"0.5\"} 1")
          .contains("cfost_sync_merge_seconds_bucket{le=\"1.0\"} 2")
          .contains("cfost_sync_merge_seconds_count 2")
          .contains("cfost_auth_failures_total{kind=\"bad_device_proof\"} 1.0")
          .contains("cfost_errors_total{code=\"protocol_error\"} 1.0");
    }
  }
}
