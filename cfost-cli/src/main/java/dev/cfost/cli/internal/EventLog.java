package dev.cfost.cli.internal;

import dev.cfost.net.PeerListener;
import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Set;

/**
 * Writes what a peer does as timestamped lines, {@code 2025-01-31T09:15:02.117Z connect 3f2a... via
 * 127.0.0.1:7947}: the daemon's log. Runs on the peer's listener thread; {@link PrintStream} lines do not
 * interleave.
 */
final class EventLog implements PeerListener {
  // Always with milliseconds (Instant.toString leaves out a zero fraction), like the logback pattern.
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
      .withZone(ZoneOffset.UTC);

  private final PrintStream out;

  EventLog(PrintStream out) {
    this.out = out;
  }

  /** One line, stamped with the current time (UTC, milliseconds). */
  void line(String text) {
    out.println(TIME.format(Instant.now()) + " " + Errors.oneLine(text));
  }

  @Override
  public void onConnect(String peerId, String transport) {
    line("connect " + peerId + " via " + transport);
  }

  @Override
  public void onDisconnect(String peerId, String reason) {
    line("disconnect " + peerId + ": " + reason);
  }

  @Override
  public void onEose(String peerId) {
    line("eose " + peerId + ": received everything it had");
  }

  @Override
  public void onChange(String peerId, Set<String> tables) {
    line("merged changes from " + peerId + " into " + String.join(", ", tables));
  }

  @Override
  public void onOutdated(String peerId, int peerSchemaVersion, int localSchemaVersion) {
    line("outdated: " + peerId + " has schema version " + peerSchemaVersion + ", this database "
        + localSchemaVersion + "; its changes to unknown tables and columns wait for the schema");
  }

  @Override
  public void onError(String peerId, Throwable error) {
    line("error " + (peerId == null ? "(before hello)" : peerId) + ": " + Errors.describe(error));
  }
}
