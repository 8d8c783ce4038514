package dev.cfost.cli.internal;

import java.io.IOException;
import java.net.InetAddress;

/** The name a device is listed under: given with {@code --device-name}, or this machine's host name. */
final class DeviceName {
  private static final int MAX = 64;

  private DeviceName() {}

  /** {@code given} checked, or the host name when it is null. */
  static String orHostName(String given) {
    return given == null ? hostName() : check(given);
  }

  /** {@code given} stripped, if it has 1 to 64 characters and no control characters, as a device name must. */
  static String check(String given) {
    String name = given.strip();
    if (name.isEmpty() || name.codePointCount(0, name.length()) > MAX
        || name.chars().anyMatch(Character::isISOControl)) {
      throw new CliException("device name '" + given + "' is not valid: use 1 to " + MAX
          + " characters without control characters");
    }
    return name;
  }

  /** The host name, cut to 64 characters; "device" if there is none. */
  private static String hostName() {
    String name;
    try {
      name = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      name = System.getenv(System.getenv("COMPUTERNAME") != null ? "COMPUTERNAME" : "HOSTNAME");
    }
    String clean = name == null ? "" : name.codePoints().filter(c -> !Character.isISOControl(c)).limit(MAX)
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString().strip();
    return clean.isEmpty() ? "device" : clean;
  }
}
