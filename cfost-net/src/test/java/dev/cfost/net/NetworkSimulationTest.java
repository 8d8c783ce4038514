package dev.cfost.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ten replicas under a seeded schedule of writes, schema changes, partitions, faults and restarts
 * converge to exactly what an independent model of the merge rule says (docs/RELIABILITY.md).
 *
 * <p>{@code -Dsim.seed=<seed>} replays a schedule, {@code -Dsim.operations=<n>} sets its length (the
 * long run: 100,000), {@code -Dsim.settleSeconds=<s>} how long the replicas get to converge.
 */
class NetworkSimulationTest {
  @TempDir Path dir;

  @Test
  void tenReplicasConvergeToTheModelThroughFaultsRestartsAndSchemaChanges() throws Exception {
    long seed = Long.getLong("sim.seed", System.nanoTime());
    int operations = Integer.getInteger("sim.operations", 1_000);
    int settleSeconds = Integer.getInteger("sim.settleSeconds", 90);
    String replay = "simulation seed " + seed + " (replay: -Dsim.seed=" + seed + " -Dsim.operations=" + operations + ")";
    System.out.println(replay);
    long started = System.nanoTime();
    try (NetworkSimulation sim = new NetworkSimulation(seed, 10, dir)) {
      sim.run(operations);
      long ran = System.nanoTime();
      String difference = sim.settle(settleSeconds);
      long settled = System.nanoTime();
      System.out.printf("%s: %d operations in %.1f s, settled in %.1f s; %s; %d changes modelled, %d rows;"
          + " errors reported %s%n", replay, operations, (ran - started) / 1e9, (settled - ran) / 1e9,
          sim.counts, sim.changesModelled(), sim.rowsExpected(), sim.errors);
      assertThat(sim.defects).as(replay + ": errors no fault justifies").isEmpty();
      assertThat(difference).as(replay + ": replicas against the model").isNull();
      assertThat(sim.rowsExpected()).as(replay + ": rows left at the end").isPositive();
    }
  }
}
