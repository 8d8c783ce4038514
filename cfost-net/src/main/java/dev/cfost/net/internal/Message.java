package dev.cfost.net.internal;

import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.Seal;
import java.util.List;

/** The messages of the sync protocol (docs/PROTOCOL.md), one per frame. */
sealed interface Message {
  /** First message on every connection, from both sides. */
  record Hello(int protocol, String topic, String siteId, String deviceId, int schemaVersion,
      List<String> capabilities) implements Message {}

  /** Asks the other side to stream its changes after {@code cursor} (and to restart if it was). */
  record Request(Cursor cursor) implements Message {}

  /**
   * A batch of changes; {@code from} is the cursor it continues, {@code cursor} the one it ends at,
   * {@code remaining} the sender's estimate of the rows still to come (-1 if unknown), {@code seals} the
   * signatures that cover its changes (empty from a peer that does not sign).
   */
  record Changes(Cursor from, Cursor cursor, List<Change> changes, long remaining, List<Seal> seals)
      implements Message {
    Changes(Cursor from, Cursor cursor, List<Change> changes, long remaining) {
      this(from, cursor, changes, remaining, List.of());
    }
  }

  /**
   * End of stored events: the sender had nothing more after {@code cursor}; live changes follow.
   * {@code from} is the cursor it continues, as for {@link Changes}.
   */
  record Eose(Cursor from, Cursor cursor) implements Message {}

  /**
   * The receiver took the batch ending at {@code cursor} off the wire to merge it: flow control only,
   * nothing is persisted yet (that is {@link Ack}).
   */
  record Received(Cursor cursor) implements Message {}

  /** The receiver merged and persisted everything up to {@code cursor}. */
  record Ack(Cursor cursor) implements Message {}

  record Ping(long id) implements Message {}

  record Pong(long id) implements Message {}

  /** Ends the session; {@code code} is one of {@link ProtocolException}'s codes. */
  record Error(String code, String message) implements Message {}
}
