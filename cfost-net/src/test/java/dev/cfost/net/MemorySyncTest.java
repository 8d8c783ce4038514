package dev.cfost.net;

import static dev.cfost.net.Nodes.await;
import static dev.cfost.net.Nodes.dump;
import static dev.cfost.net.Nodes.sql;

import dev.cfost.Cfost;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The protocol suite over the in-memory transport, plus what only a simulated network can do. */
class MemorySyncTest extends SyncSuite {
  MemoryNetwork net;

  @BeforeEach
  void network() {
    net = closing(new MemoryNetwork(42));
  }

  @Override
  Transport transport(String name, Path db) {
    return Transports.memory(net, name);
  }

  @Test
  void peersConvergeThroughLatencyDuplicatesReorderingLossAndPartitions() throws Exception {
    net.latency(0, 5).duplicates(0.05).reordering(0.05).loss(0.01);
    Cfost a = replica("a");
    Cfost b = replica("b");
    Cfost c = replica("c");
    PeerAddress addrA = start(closing(Peer.create(a, options("a", a).maxBatchChanges(7).build())));
    start(closing(Peer.create(b, options("b", b).peer(addrA).maxBatchChanges(7).build())));
    start(closing(Peer.create(c, options("c", c).peer(addrA).peer(new PeerAddress("b", 0)).maxBatchChanges(7).build())));
    for (int i = 0; i < 40; i++) {
      Cfost writer = i % 3 == 0 ? a : i % 3 == 1 ? b : c;
      sql(writer, "INSERT OR REPLACE INTO todo VALUES ('k" + (i % 13) + "', 'v" + i + "', 'w" + i % 3 + "')");
      if (i == 15) {
        net.partition("a", "c");
        net.partition("b", "c");
      }
      if (i == 30) {
        net.heal();
      }
    }
    sql(b, "DELETE FROM todo WHERE id = 'k3'");
    await("all three replicas converge", 30, () -> dump(a).equals(dump(b)) && dump(b).equals(dump(c))
        && !dump(a).isEmpty() && dump(a).stream().noneMatch(r -> r.startsWith("k3|")));
  }
}
