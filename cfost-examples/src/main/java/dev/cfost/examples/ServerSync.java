package dev.cfost.examples;

import dev.cfost.Cfost;
import dev.cfost.identity.DeviceKeys;
import dev.cfost.identity.Devices;
import dev.cfost.identity.ServerClient;
import dev.cfost.identity.SyncTrust;
import dev.cfost.identity.Users;
import dev.cfost.net.Peer;
import dev.cfost.net.PeerOptions;
import dev.cfost.net.SyncProgress;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The README's example of syncing through a sync server: a user's device logs in to its account, proves
 * its device key, and syncs through the server, which relays the changes sealed by the devices that made
 * them. Run a server ({@code cfost server}), register the account ({@code POST /v1/auth/register}), then
 * {@code ServerSync http://127.0.0.1:8787 alice} with the password on stdin. Compiled by the build.
 */
public final class ServerSync {
  public static void main(String[] args) throws Exception {
    URI url = URI.create(args.length > 0 ? args[0] : "http://127.0.0.1:8787");
    String login = args.length > 1 ? args[1] : "alice";
    Path file = Files.createTempDirectory("cfost-example").resolve("laptop.db");
    try (Cfost db = Cfost.open(file)) {
      // Once, on the user's first device (as in SecureSync): the user and this device.
      String user = Users.open(db).register(login, login + "@example.org", "correct horse".toCharArray());
      DeviceKeys keys = DeviceKeys.forDatabase(db);
      Devices.open(db).add(user, keys.publicKey(), "laptop", null);
      Devices.open(db).bindSite(keys.deviceId(), db.siteId());

      // The login is kept beside the database (owner-only); the password only logs in.
      ServerClient server = ServerClient.builder(url).tokenFile(ServerClient.tokenFileOf(db.path())).build();
      if (!server.loggedIn()) {
        server.login(login, new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
            .readLine().toCharArray());
      }
      // The server is the transport's one peer; its batches are checked against the devices' seals.
      PeerOptions options = SyncTrust.forUser(db, user)
          .applyToServer(PeerOptions.builder().transport(server.transport(db, keys, user))).build();
      try (Peer peer = Peer.create(db, options)) {
        peer.start();
        while (peer.progress().stream().noneMatch(p -> p.caughtUp() && p.delivered())) {
          Thread.sleep(100); // a real application keeps the peer running; this one stops when caught up
        }
        SyncProgress p = peer.progress().get(0);
        System.out.println("synced through " + url + ": sent " + p.changesSent() + ", received "
            + p.changesReceived() + " changes");
      }
    }
  }

  private ServerSync() {}
}
