package dev.cfost.net;

import dev.cfost.Change;
import dev.cfost.Cursor;
import dev.cfost.Seal;
import dev.cfost.net.internal.MessageCodec;
import java.util.List;

/**
 * The messages of the sync protocol (docs/PROTOCOL.md), one per frame, and their JSON form: what peers
 * exchange over TCP + TLS and what the sync server exchanges with devices over WebSocket and SSE.
 */
public sealed interface SyncMessage {
  /** The UTF-8 JSON object of {@code m}, its first field {@code type}. */
  static byte[] encode(SyncMessage m) {
    return MessageCodec.encode(m);
  }

  /**
   * Decodes one frame, validating every field; a frame is at most {@link Transports#MAX_FRAME_BYTES}.
   *
   * @throws SyncException with code {@code malformed_frame} or {@code unknown_message}, naming what is wrong
   */
  static SyncMessage decode(byte[] frame) {
    return MessageCodec.decodeOrThrow(frame);
  }

  /** First message on every connection, from both sides. */
  record Hello(int protocol, String topic, String siteId, String deviceId, int schemaVersion,
      List<String> capabilities) implements SyncMessage {}

  /** Asks the other side to stream its changes after {@code cursor} (and to restart if it was). */
  record Request(Cursor cursor) implements SyncMessage {}

  /**
   * A batch of changes; {@code from} is the cursor it continues, {@code cursor} the one it ends at,
   * {@code remaining} the sender's estimate of the rows still to come (-1 if unknown), {@code seals} the
   * signatures that cover its changes (empty from a peer that does not sign).
   */
  record Changes(Cursor from, Cursor cursor, List<Change> changes, long remaining, List<Seal> seals)
      implements SyncMessage {
    public Changes(Cursor from, Cursor cursor, List<Change> changes, long remaining) {
      this(from, cursor, changes, remaining, List.of());
    }
  }

  /**
   * End of stored events: the sender had nothing more after {@code cursor}; live changes follow.
   * {@code from} is the cursor it continues, as for {@link Changes}.
   */
  record Eose(Cursor from, Cursor cursor) implements SyncMessage {}

  /**
   * The receiver took the batch ending at {@code cursor} off the wire to merge it: flow control only,
   * nothing is persisted yet (that is {@link Ack}).
   */
  record Received(Cursor cursor) implements SyncMessage {}

  /** The receiver merged and persisted everything up to {@code cursor}. */
  record Ack(Cursor cursor) implements SyncMessage {}

  record Ping(long id) implements SyncMessage {}

  record Pong(long id) implements SyncMessage {}

  /** Ends the session; {@code code} is one of {@link ProtocolException}'s codes. */
  record Error(String code, String message) implements SyncMessage {}
}
