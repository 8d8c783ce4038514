package dev.cfost.net;

import static dev.cfost.net.Nodes.await;
import static dev.cfost.net.Nodes.dump;
import static dev.cfost.net.Nodes.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cfost.Cfost;
import dev.cfost.Change;
import dev.cfost.Seal;
import dev.cfost.SealedChanges;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
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

  /**
   * The session's side of sealing: only what the sealer's verify returns is merged; what it holds is
   * merged once the sealer releases it. The sealer here holds the rows whose id starts with "held".
   */
  @Test
  void aSessionMergesOnlyWhatTheSealerPassesAndLaterWhatItReleases() throws Exception {
    AtomicBoolean release = new AtomicBoolean();
    List<Change> held = new CopyOnWriteArrayList<>();
    BatchSealer holding = new BatchSealer() {
      @Override
      public SealedChanges seal(List<Change> outgoing) {
        return new SealedChanges(outgoing, List.of());
      }

      @Override
      public List<Change> verify(String peer, List<Change> incoming,
          List<Seal> seals) {
        List<Change> now = new ArrayList<>();
        for (Change c : incoming) {
          (new String(c.pk(), StandardCharsets.UTF_8).contains("held") ? held : now).add(c);
        }
        return now;
      }

      @Override
      public List<Change> releasable() {
        return release.get() ? List.copyOf(held) : List.of();
      }

      @Override
      public void released(List<Change> merged) {
        held.removeAll(merged);
      }
    };
    Cfost a = replica("a");
    Cfost b = replica("b");
    sql(a, "INSERT INTO todo VALUES ('held-1', 'wait', 'a'), ('ok-1', 'now', 'a')");
    PeerAddress addrA = start(closing(Peer.create(a, options("a", a).build())));
    Peer pb = closing(Peer.create(b, options("b", b).peer(addrA).sealer(holding).build()));
    start(pb);
    await("b caught up with a", 10, () -> pb.progress().stream().anyMatch(SyncProgress::caughtUp));
    assertThat(dump(b)).containsExactly("ok-1|now|a");
    assertThat(held).isNotEmpty();

    release.set(true);
    sql(a, "INSERT INTO todo VALUES ('ok-2', 'later', 'a')"); // a merge, after which b asks the sealer again
    await("b merged what the sealer released", 10, () -> dump(b).equals(dump(a)));
    // released() follows the merge's commit, so the rows can be visible a moment before it is called.
    await("the sealer was told they are merged", 10, held::isEmpty);
  }
}
