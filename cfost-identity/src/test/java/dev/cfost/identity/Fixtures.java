package dev.cfost.identity;

import dev.cfost.Cfost;
import dev.cfost.CfostOptions;
import dev.cfost.ChangeBatch;
import dev.cfost.Cursor;
import dev.cfost.WallClock;
import java.nio.file.Path;
import java.time.Duration;

/** Shared by the identity tests: replicas without a capture thread, cheap Argon2 parameters, sync. */
final class Fixtures {
  /** Small enough for many hashes per test, large enough to dominate a login's database work. */
  static final Argon2Params CHEAP = new Argon2Params(1024, 1, 1);

  private Fixtures() {}

  static Cfost open(Path file) {
    return Cfost.open(CfostOptions.builder(file).captureInterval(Duration.ZERO).build());
  }

  static Cfost open(Path file, WallClock clock) {
    return Cfost.open(CfostOptions.builder(file).captureInterval(Duration.ZERO).wallClock(clock).build());
  }

  static char[] pw(String s) {
    return s.toCharArray();
  }

  /** Pulls every change {@code from} has that {@code to} has not seen yet. */
  static void pull(Cfost to, Cfost from) {
    from.capture();
    Cursor cursor = to.peerCursor(from.siteId());
    while (true) {
      ChangeBatch b = from.changes(cursor, 100);
      if (!b.changes().isEmpty()) {
        to.merge(b.changes());
      }
      cursor = b.next();
      to.savePeerCursor(from.siteId(), cursor);
      if (b.caughtUp()) {
        return;
      }
    }
  }

  /** A registered user with {@code keys} as the first device; returns the user id. */
  static String userWithDevice(Cfost db, String name, DeviceKeys keys) {
    String id = Users.open(db, CHEAP).register(name, name + "@example.org", pw("correct horse"));
    Devices.open(db).add(id, keys.publicKey(), name + "'s first device", null);
    return id;
  }
}
