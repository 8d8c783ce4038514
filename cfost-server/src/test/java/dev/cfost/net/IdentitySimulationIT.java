package dev.cfost.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One user's devices, paired and revoked during a seeded schedule of writes, partitions, faults, device
 * restarts and server restarts, on a memory network and through a real sync server, converge to what
 * the independent model of the merge rule says; no revoked device's later write reaches the others
 * (docs/RELIABILITY.md). In cfost-server's tests, where identities, the network and the server meet; in
 * package {@code dev.cfost.net} to reuse cfost-net's {@code MergeModel} (its test-jar).
 *
 * <p>{@code -Dsim.seed=<seed>} replays a schedule, {@code -Dsim.operations=<n>} sets its length,
 * {@code -Dsim.settleSeconds=<s>} how long the devices get to converge at the end.
 */
class IdentitySimulationIT {
  @TempDir Path dir;

  @Test
  void pairedDevicesConvergeToTheModelAndARevokedDevicesLaterWritesReachNoOne() throws Exception {
    long seed = Long.getLong("sim.seed", System.nanoTime());
    int operations = Integer.getInteger("sim.operations", 1_000);
    int settleSeconds = Integer.getInteger("sim.settleSeconds", 90);
    String replay = "identity simulation seed " + seed + " (replay: -Dsim.seed=" + seed + " -Dsim.operations="
        + operations + ")";
    System.out.println(replay);
    long started = System.nanoTime();
    try (IdentitySimulation sim = new IdentitySimulation(seed, dir)) {
      sim.run(operations);
      long ran = System.nanoTime();
      String difference = sim.settle(settleSeconds);
      long settled = System.nanoTime();
      System.out.printf("%s: %d operations in %.1f s, settled in %.1f s; %s; %d changes modelled, %d rows;"
          + " errors reported %s%n", replay, operations, (ran - started) / 1e9, (settled - ran) / 1e9,
          sim.counts, sim.changesModelled(), sim.rowsExpected(), sim.errors);
      assertThat(sim.defects).as(replay + ": errors nothing injected justifies").isEmpty();
      assertThat(difference).as(replay + ": devices against the model").isNull();
      assertThat(sim.counts.get("pairings")).as(replay + ": pairings").isEqualTo(4);
      assertThat(sim.counts.get("revocations")).as(replay + ": revocations").isPositive();
      assertThat(sim.counts.get("server restarts")).as(replay + ": server restarts").isEqualTo(2);
      assertThat(sim.rowsExpected()).as(replay + ": rows left at the end").isPositive();
    }
  }
}
