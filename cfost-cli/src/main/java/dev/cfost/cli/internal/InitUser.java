package dev.cfost.cli.internal;

import dev.cfost.Cfost;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.identity.User;
import dev.cfost.identity.Users;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The options of {@code cfost init --user}: registers a user in the database, makes this device's key
 * and adds this device as the user's first device, and records the user as the database's own.
 */
final class InitUser {
  @Spec(Spec.Target.MIXEE) CommandSpec spec;

  @Option(names = "--user", paramLabel = "NAME",
      description = "Register user NAME (1 to 64 letters, digits, '.', '_' or '-') with this device as its first"
          + " device. The password is asked for on the terminal, or read with --password-stdin.")
  String user;

  @Option(names = "--email", paramLabel = "EMAIL", description = "The new user's email address (with --user).")
  String email;

  @Option(names = "--password-stdin", description = "Read the password from the first line of stdin.")
  boolean passwordStdin;

  @Option(names = "--device-name", paramLabel = "NAME",
      description = "The name of this device in the user's device list (default: the host name).")
  String deviceName;

  private char[] password;

  /** Checks the options and reads the password, before anything is created; false without {@code --user}. */
  boolean prepare() {
    if (user == null) {
      if (email != null || passwordStdin || deviceName != null) {
        throw new ParameterException(spec.commandLine(), "--email, --password-stdin and --device-name go with --user");
      }
      return false;
    }
    if (email == null) {
      throw new ParameterException(spec.commandLine(), "--user needs --email");
    }
    deviceName = DeviceName.orHostName(deviceName);
    password = Passwords.read(CfostCommand.stdinOf(spec.commandLine()), passwordStdin, true);
    return true;
  }

  /** Registers the user and this device in {@code db}; returns the lines to print. */
  List<String> register(Cfost db) {
    try {
      CurrentUser.of(db).ifPresent(owner -> {
        throw new CliException("the database " + db.path() + " already belongs to user '" + owner.label()
            + "'; a database has one user");
      });
      Users users = Users.open(db);
      String id = users.register(user, email, password);
      User registered = users.find(id).orElseThrow();
      DeviceKeys keys = DeviceKeys.forDatabase(db);
      Devices devices = Devices.open(db);
      devices.add(id, keys.publicKey(), deviceName, null);
      devices.bindSite(keys.deviceId(), db.siteId());
      CurrentUser.set(db, id, registered.name());
      return List.of("user " + registered.name(), "device " + keys.deviceId());
    } finally {
      Arrays.fill(password, '\0');
    }
  }
}
