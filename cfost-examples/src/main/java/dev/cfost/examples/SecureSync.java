package dev.cfost.examples;

import dev.cfost.Cfost;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.identity.SyncTrust;
import dev.cfost.identity.Users;
import dev.cfost.net.Peer;
import dev.cfost.net.PeerOptions;
import dev.cfost.net.Transports;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The README's example of secure sync: a database that belongs to a user syncs as that user's device,
 * over TLS, admitting only the user's authorized devices and sealing every batch. Compiled by the build.
 */
public final class SecureSync {
  public static void main(String[] args) throws Exception {
    Path file = Files.createTempDirectory("cfost-example").resolve("laptop.db");
    try (Cfost db = Cfost.open(file)) {
      // Once, on the user's first device: the user, and this database's key as the user's first device.
      String user = Users.open(db).register("alice", "alice@example.org", "correct horse".toCharArray());
      DeviceKeys keys = DeviceKeys.forDatabase(db); // <db>.device.key, owner-only, made on first use
      Devices.open(db).add(user, keys.publicKey(), "laptop", null);
      Devices.open(db).bindSite(keys.deviceId(), db.siteId());

      SyncTrust trust = SyncTrust.forUser(db, user); // the library's checks, as the CLI uses them
      PeerOptions options = trust.applyTo(PeerOptions.builder()
          .transport(Transports.tcp(trust.tlsIdentity(), new InetSocketAddress("127.0.0.1", 0), false))
          .discovery(false)).build();
      try (Peer peer = Peer.create(db, options)) {
        System.out.println("device " + keys.deviceId() + " of user " + user + " syncs on " + peer.start());
      }
    }
  }

  private SecureSync() {}
}
