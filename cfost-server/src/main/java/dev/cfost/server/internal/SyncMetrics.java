package dev.cfost.server.internal;

/** What the sync endpoints count, for {@code /metrics}. */
interface SyncMetrics {
  void connectionOpened(String transport);

  void connectionClosed(String transport, String reason);

  void changesIn(int n);

  void changesOut(int n);

  void recordMerge(long nanos);

  void error(String code);

  SyncMetrics NONE = new SyncMetrics() {
    @Override
    public void connectionOpened(String transport) {}

    @Override
    public void connectionClosed(String transport, String reason) {}

    @Override
    public void changesIn(int n) {}

    @Override
    public void changesOut(int n) {}

    @Override
    public void recordMerge(long nanos) {}

    @Override
    public void error(String code) {}
  };
}
