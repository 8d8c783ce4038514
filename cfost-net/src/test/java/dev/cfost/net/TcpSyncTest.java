package dev.cfost.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/** The protocol suite over TCP with TLS 1.3 on 127.0.0.1, the replicas sharing a sync key. */
class TcpSyncTest extends SyncSuite {
  private static final SyncKey KEY = SyncKey.generate();

  @Override
  Transport transport(String name, Path db) throws IOException {
    return Transports.tcp(TlsIdentity.forSyncKey(KEY), new InetSocketAddress("127.0.0.1", 0), false);
  }
}
