package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.identity.PairingChallenge;
import dev.cfost.identity.PairingResponse;
import dev.cfost.identity.Users;
import dev.cfost.net.PeerAddress;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.concurrent.Callable;
import javax.net.ssl.SSLSocket;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cfost device join}, on the new device: answers a pairing code with this device's signed
 * response, sent to the first address of the code that answers. When none does, prints the response for
 * the offline path ({@code cfost device approve} on the authorizer) and exits with 1.
 */
@Command(name = "join", mixinStandardHelpOptions = true,
    footer = "  cfost --db phone.db device join cfost-pair:...  # as device pair showed it",
    description = {"Pair this device with the user of a pairing code made by 'cfost device pair' on one of"
        + " the user's devices.",
        "The database is created if needed. The user's data and devices then arrive with sync."})
final class DeviceJoinCommand implements Callable<Integer> {
  @ParentCommand DeviceCommand device;
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "CODE", description = "The pairing code (cfost-pair:...), as printed or scanned.")
  String code;

  @Option(names = "--device-name", paramLabel = "NAME",
      description = "The name of this device in the user's device list (default: the host name).")
  String deviceName;

  @Override
  public Integer call() {
    PairingChallenge challenge = PairingChallenge.decode(code.strip());
    if (!Instant.now().isBefore(challenge.expiresAt())) {
      throw new CliException("the pairing code expired at " + time(challenge.expiresAt())
          + "; make a new one on the authorizing device with 'cfost device pair'");
    }
    String name = DeviceName.orHostName(deviceName);
    PrintWriter out = spec.commandLine().getOut();
    try (Cfost db = device.cfost.open(true)) {
      Optional<CurrentUser.Account> owner = CurrentUser.of(db);
      if (owner.isPresent()) {
        throw new CliException("the database " + db.path() + " already belongs to user '" + owner.get().label()
            + "'" + (owner.get().id().equals(challenge.userId()) ? ": this device is paired already" : ""));
      }
      DeviceKeys keys = DeviceKeys.forDatabase(db);
      if (keys.deviceId().equals(challenge.authorizerId())) {
        throw new CliException("this is the device that made the pairing code; run 'cfost device join' on the new"
            + " device");
      }
      // The user's rows arrive by sync, so their tables must exist and replicate here first.
      Users.open(db);
      Devices.open(db);
      // A replica syncs only with replicas of the same database id: take it now, on both paths.
      Optional<String> joined = challenge.databaseId().filter(id -> !id.equals(db.databaseId()));
      if (joined.isPresent()) {
        db.setDatabaseId(joined.get());
      }
      PairingResponse response = PairingResponse.create(challenge, keys, db.siteId(), name);
      CurrentUser.setPairedWith(db, challenge.authorizerId().toString(), challenge.serverAnchor().toString());
      Optional<PairingReply> reply = send(challenge, response);
      if (reply.isEmpty()) {
        CurrentUser.setPending(db, challenge.userId());
        out.println(challenge.addresses().isEmpty()
            ? "the pairing code lists no address to reach the authorizing device"
            : "could not reach the authorizing device at " + String.join(", ", challenge.addresses()));
        out.println("to pair offline, run this on the authorizing device before " + time(challenge.expiresAt())
            + ":");
        out.println("cfost device approve " + response.encode());
        out.println("then sync this device with it: cfost sync --peer HOST:" + DevicePairCommand.SYNC_PORT);
        throw new CliException("not paired yet: approve the response printed above on the authorizing device");
      }
      PairingReply r = reply.get();
      if (!r.isApproved()) {
        throw new CliException("the authorizing device refused the pairing: " + r.error());
      }
      if (!r.userId().equals(challenge.userId()) || !r.deviceId().equals(keys.deviceId().toString())) {
        throw new CliException("the authorizing device approved another user or device than this pairing's");
      }
      CurrentUser.set(db, r.userId(), r.userName());
      if (!r.databaseId().equals(db.databaseId())) {
        db.setDatabaseId(r.databaseId()); // a replica syncs only with replicas of the same database id
      }
      out.println("joined user " + Printable.of(r.userName()) + " as device " + keys.deviceId() + " of database " + r.databaseId());
      out.println("the user's data and devices arrive with sync: cfost sync --peer " + r.syncAddress());
    }
    return 0;
  }

  /** The reply of the first address that takes the response; empty if none could be reached. */
  private static Optional<PairingReply> send(PairingChallenge challenge, PairingResponse response) {
    for (String address : challenge.addresses()) {
      PeerAddress a = PeerAddress.parse(address);
      String line;
      try (SSLSocket socket = PairingChannel.connect(a.host(), a.port())) {
        PairingChannel.writeLine(socket, response.encode());
        // The owner of the authorizing device confirms by hand: wait for the answer until the code expires.
        socket.setSoTimeout((int) Math.max(PairingChannel.IO_TIMEOUT_MS,
            Math.min(Integer.MAX_VALUE, challenge.expiresAt().toEpochMilli() - System.currentTimeMillis())));
        line = PairingChannel.readLine(socket);
      } catch (IOException e) {
        continue; // unreachable from here, or gone: try the next address
      }
      return Optional.of(PairingReply.decode(line, challenge));
    }
    return Optional.empty();
  }

  private static String time(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
