package dev.cfost.bench;

import dev.cfost.Cfost;
import dev.cfost.ChangeEvent;
import dev.cfost.net.Peer;
import dev.cfost.net.PeerAddress;
import dev.cfost.net.PeerListener;
import dev.cfost.net.PeerOptions;
import dev.cfost.net.TlsIdentity;
import dev.cfost.net.Transports;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.List;

/**
 * The other process of the sync benchmark ({@link SyncBench} starts it): opens the source replica given
 * as its argument, runs a {@link Peer} listening on 127.0.0.1 at a free port, and talks to the parent by
 * lines.
 *
 * <p>Out (stdout): {@code port P} once listening; {@code merged ID NANOS} for each row a merge from the
 * parent changed, NANOS being {@link System#nanoTime()} when the engine's change listener saw it
 * (CLOCK_MONOTONIC on Linux, so comparable with the parent's); {@code wrote ID} after a write asked
 * for was committed and captured; {@code cpu NANOS\tTHREAD=NANOS...}, this process's CPU time so far, in all and by thread.
 *
 * <p>In (stdin): {@code write ID} inserts row ID through {@code db.connect()} and captures it;
 * {@code cpu}; {@code quit} (or end of input) closes the peer and the database and exits.
 */
public final class SyncChild {
  private SyncChild() {}

  public static void main(String[] args) throws Exception {
    Path file = Paths.get(args[0]);
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    try (Cfost db = Cfost.open(file)) {
      db.addListener(e -> {
        if (e.origin() == ChangeEvent.Origin.REMOTE) {
          long now = System.nanoTime();
          for (ChangeEvent.RowRef r : e.rows()) {
            out.println("merged " + r.key().get(0) + " " + now);
          }
        }
      });
      PeerOptions options = PeerOptions.builder()
          .transport(Transports.tcp(TlsIdentity.forDatabase(file), new InetSocketAddress("127.0.0.1", 0), false))
          .discovery(false)
          .build();
      try (Peer peer = Peer.create(db, options)) {
        peer.addListener(new PeerListener() {
          @Override
          public void onError(String peerId, Throwable error) {
            System.err.println("child peer error with " + peerId + ": " + error);
          }
        });
        List<PeerAddress> at = peer.start();
        out.println("port " + at.get(0).port());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null && !line.equals("quit"); line = in.readLine()) {
          if (line.startsWith("write ")) {
            String id = line.substring(6);
            try (Connection c = db.connect();
                PreparedStatement ps = c.prepareStatement("INSERT INTO items(id, n, label) VALUES (?, 0, 'incremental')")) {
              ps.setString(1, id);
              ps.executeUpdate();
            }
            db.capture();
            out.println("wrote " + id);
          } else if (line.equals("cpu")) {
            out.println("cpu " + ThreadCpu.Usage.now().encode());
          } else {
            System.err.println("child: unknown command '" + line + "'");
          }
        }
      }
    }
  }
}
