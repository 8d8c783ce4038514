package dev.cfost.net;

import static dev.cfost.net.Nodes.await;
import static dev.cfost.net.Nodes.dump;
import static dev.cfost.net.Nodes.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole sync sessions over the WebSocket transport: a device dials a real WebSocket server whose sockets
 * are sessions of another replica (as the sync server's are), catches up both ways, syncs live, and
 * reconnects with backoff after the server goes away and comes back.
 */
class WebSocketSyncTest {
  @TempDir Path dir;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  private <T extends AutoCloseable> T closing(T c) {
    toClose.add(0, c);
    return c;
  }

  private Peer serverSide(Cfost db, WsServer ws) throws Exception {
    Peer p = closing(Peer.create(db, PeerOptions.builder().transport(ws.transport()).discovery(false)
        .keepAlive(500, 5_000).build()));
    p.start();
    return p;
  }

  private Peer device(Cfost db, WsServer ws) throws Exception {
    Transport t = Transports.webSocket(WebSocketOptions.builder().url(ws.url()).build());
    Peer p = closing(Peer.create(db, PeerOptions.builder().transport(t).discovery(true).discoveryInterval(50)
        .backoff(20, 300).keepAlive(500, 5_000).build()));
    p.start();
    return p;
  }

  @Test
  void aDeviceSyncsBothWaysWithAServerReachedByWebSocket() throws Exception {
    Cfost server = closing(Nodes.replica(dir.resolve("server.db")));
    Cfost device = closing(Nodes.replica(dir.resolve("device.db")));
    sql(server, "INSERT INTO todo VALUES ('s1', 'on the server', 'sam')");
    sql(device, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)"
        + " INSERT INTO todo SELECT 'd' || i, hex(randomblob(300)), 'dan' FROM n"); // several MiB: large frames
    WsServer ws = closing(WsServer.forPeer(0));
    serverSide(server, ws);
    device(device, ws);
    await("both hold 5001 rows", 30, () -> Nodes.count(server) == 5001 && Nodes.count(device) == 5001);
    sql(device, "INSERT INTO todo VALUES ('live', 'live from the device', 'dan')");
    await("the live row reaches the server", 10, () -> dump(server).contains("live|live from the device|dan"));
    assertThat(dump(server)).isEqualTo(dump(device));
  }

  @Test
  void aDeviceSyncsBothWaysInBinaryFramesWhenTheServerChoosesThem() throws Exception {
    Cfost server = closing(Nodes.replica(dir.resolve("server.db")));
    Cfost device = closing(Nodes.replica(dir.resolve("device.db")));
    sql(server, "INSERT INTO todo VALUES ('s1', 'on the server', 'sam')");
    sql(device, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)"
        + " INSERT INTO todo SELECT 'd' || i, 'é ' || hex(randomblob(300)), 'dan' FROM n"); // large frames
    WsServer ws = closing(WsServer.forPeerBinary(0));
    serverSide(server, ws);
    device(device, ws);
    await("both hold 3001 rows", 30, () -> Nodes.count(server) == 3001 && Nodes.count(device) == 3001);
    sql(server, "INSERT INTO todo VALUES ('live', 'live from the server', 'sam')");
    await("the live row reaches the device", 10, () -> dump(device).contains("live|live from the server|sam"));
    assertThat(dump(server)).isEqualTo(dump(device));
    assertThat(ws.binaryIn.get()).as("binary messages from the device").isGreaterThan(2);
  }

  @Test
  void theDeviceReconnectsWhenTheServerComesBack() throws Exception {
    Cfost server = closing(Nodes.replica(dir.resolve("server.db")));
    Cfost device = closing(Nodes.replica(dir.resolve("device.db")));
    WsServer ws = WsServer.forPeer(0);
    int port = ws.port();
    Peer serverPeer = serverSide(server, ws);
    device(device, ws);
    sql(device, "INSERT INTO todo VALUES ('1', 'first', 'dan')");
    await("the first row reaches the server", 10, () -> Nodes.count(server) == 1);

    ws.close();
    serverPeer.close();
    sql(device, "INSERT INTO todo VALUES ('2', 'while the server is away', 'dan')");
    Thread.sleep(500); // a few failed attempts

    WsServer again = closing(WsServer.forPeer(port));
    serverSide(server, again);
    await("the row made while away reaches the server", 15, () -> Nodes.count(server) == 2);
    assertThat(dump(server)).isEqualTo(dump(device));
  }
}
