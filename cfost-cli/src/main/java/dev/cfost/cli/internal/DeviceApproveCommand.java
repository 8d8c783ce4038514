package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import dev.cfost.identity.Device;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Pairing;
import dev.cfost.identity.PairingResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cfost device approve}: the offline path on the authorizer. Checks a response pasted from the new
 * device against the challenge this device issued with its nonce, and adds the device; each challenge
 * pairs one device once.
 */
@Command(name = "approve", mixinStandardHelpOptions = true,
    footer = "  cfost --db laptop.db device approve cfost-pair-response:...",
    description = {"Approve a new device's response (cfost-pair-response:...) to a code from 'cfost device pair'.",
        "The new device then receives the user's data and devices with sync."})
final class DeviceApproveCommand implements Callable<Integer> {
  @ParentCommand DeviceCommand device;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "RESPONSE", description = "The response the new device printed.")
  String response;

  @Override
  public Integer call() {
    PairingResponse r = PairingResponse.decode(response.strip());
    try (Cfost db = device.cfost.open(false)) {
      CurrentUser.require(db);
      Device added = Pairing.open(db, DeviceKeys.forDatabase(db)).approve(r);
      spec.commandLine().getOut().println("approved " + added.id() + " (" + Printable.of(added.name()) + ")");
    }
    return 0;
  }
}
