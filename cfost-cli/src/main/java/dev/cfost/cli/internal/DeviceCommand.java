package dev.cfost.cli.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cfost.Cfost;
import dev.cfost.identity.Device;
import dev.cfost.identity.DeviceId;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cfost device}: the devices of the database's user. Listing, renaming and revoking are here;
 * pairing a new device is {@link DevicePairCommand}, {@link DeviceJoinCommand} and
 * {@link DeviceApproveCommand}.
 */
@Command(name = "device", mixinStandardHelpOptions = true,
    footer = "  cfost --db laptop.db device list",
    description = "List, rename, revoke and pair the devices of the database's user.",
    subcommands = {DeviceCommand.ListDevices.class, DeviceCommand.Rename.class, DeviceCommand.Revoke.class,
        DevicePairCommand.class, DeviceJoinCommand.class, DeviceApproveCommand.class})
final class DeviceCommand {
  @ParentCommand CfostCommand cfost;

  /** This device's id, if its key exists: reading must not make one. */
  static Optional<DeviceId> thisDevice(Cfost db) {
    return Files.exists(DeviceKeys.keyFileOf(db.path()))
        ? Optional.of(DeviceKeys.forDatabase(db).deviceId()) : Optional.empty();
  }

  /** The device {@code text} names, which must be one of the current user's. */
  static Device find(Cfost db, CurrentUser.Account user, String text) {
    DeviceId id;
    try {
      id = DeviceId.parse(text);
    } catch (IllegalArgumentException e) {
      throw new CliException("not a device id: " + e.getMessage(), e);
    }
    return Devices.open(db).find(id).filter(d -> d.userId().equals(user.id()))
        .orElseThrow(() -> new CliException("user '" + user.label() + "' has no device " + id
            + "; 'cfost device list' shows the devices"));
  }

  static String time(Instant t) {
    return t == null ? null : t.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      footer = "  cfost --db laptop.db device list --json",
      description = "List the user's devices: id, name, when added, whether revoked, and which is this one.")
  static final class ListDevices implements Callable<Integer> {
    @ParentCommand DeviceCommand device;
    @Spec CommandSpec spec;

    @Option(names = "--json", description = "Print a JSON array, one object per device.")
    boolean json;

    @Override
    public Integer call() {
      List<Device> devices;
      Optional<DeviceId> self;
      try (Cfost db = device.cfost.open(false)) {
        CurrentUser.Account user = CurrentUser.require(db);
        devices = Devices.open(db).list(user.id());
        self = thisDevice(db);
      }
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        ObjectMapper mapper = new ObjectMapper();
        ArrayNode array = mapper.createArrayNode();
        for (Device d : devices) {
          ObjectNode o = array.addObject();
          o.put("id", d.id().toString());
          o.put("name", d.name()); // JSON escapes control characters
          o.put("added_at", time(d.addedAt()));
          o.put("revoked_at", time(d.revokedAt().orElse(null)));
          o.put("authorized_by", d.authorizedBy().map(DeviceId::toString).orElse(null));
          o.put("this_device", self.filter(d.id()::equals).isPresent());
        }
        out.println(array);
        return 0;
      }
      List<List<String>> rows = new ArrayList<>();
      for (Device d : devices) {
        String state = d.revokedAt().map(t -> "revoked " + time(t)).orElse("authorized");
        rows.add(List.of(d.id().toString(), d.name() == null ? "" : Printable.of(d.name()), String.valueOf(time(d.addedAt())),
            self.filter(d.id()::equals).isPresent() ? state + ", this device" : state));
      }
      out.print(TextTable.render(List.of("id", "name", "added", "state"), rows));
      return 0;
    }
  }

  @Command(name = "rename", mixinStandardHelpOptions = true,
      footer = "  cfost --db laptop.db device rename DEVICE_ID \"old laptop\"",
      description = "Rename one of the user's devices.")
  static final class Rename implements Callable<Integer> {
    @ParentCommand DeviceCommand device;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DEVICE_ID", description = "The device id (any case, dashes optional).")
    String id;

    @Parameters(index = "1", paramLabel = "NAME", description = "The new name: 1 to 64 characters.")
    String name;

    @Override
    public Integer call() {
      try (Cfost db = device.cfost.open(false)) {
        Device d = find(db, CurrentUser.require(db), id);
        Devices.open(db).rename(d.id(), DeviceName.check(name));
        spec.commandLine().getOut().println("renamed " + d.id() + " to " + name.strip());
      }
      return 0;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true,
      footer = "  cfost --db laptop.db device revoke DEVICE_ID",
      description = {"Revoke one of the user's devices: it may no longer sync, and cannot pair again with its key.",
          "The revocation reaches the user's other devices with the next sync."})
  static final class Revoke implements Callable<Integer> {
    @ParentCommand DeviceCommand device;
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "DEVICE_ID", description = "The device id (any case, dashes optional).")
    String id;

    @Option(names = "--force", description = "Revoke even this device.")
    boolean force;

    @Override
    public Integer call() {
      try (Cfost db = device.cfost.open(false)) {
        Device d = find(db, CurrentUser.require(db), id);
        if (!force && thisDevice(db).filter(d.id()::equals).isPresent()) {
          throw new CliException(d.id() + " is this device; revoking it stops it from syncing with the user's"
              + " other devices. Add --force to revoke it anyway");
        }
        String label = d.id() + " (" + Printable.of(d.name()) + ")";
        if (d.isRevoked()) {
          spec.commandLine().getOut().println("already revoked " + label);
        } else {
          Devices.open(db).revoke(d.id());
          spec.commandLine().getOut().println("revoked " + label);
        }
      }
      return 0;
    }
  }
}
