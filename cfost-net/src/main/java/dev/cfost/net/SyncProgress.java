package dev.cfost.net;

/**
 * How far syncing with one peer has come.
 *
 * @param peerId the peer's site id in hex
 * @param connected whether a session is open now
 * @param changesSent changes sent in this process's lifetime
 * @param changesReceived changes received and merged in this process's lifetime
 * @param rowsToReceive rows the peer said were still to come after its last batch (0 when caught up,
 *     -1 before its first batch): with {@code changesReceived}, how far the initial sync has come
 * @param caughtUp whether this side received the peer's end of stored events in the current session:
 *     it has everything the peer had then
 * @param delivered whether the peer acknowledged everything this side had to send, as of its last
 *     commit: the peer has everything this side has
 */
public record SyncProgress(String peerId, boolean connected, long changesSent, long changesReceived,
    long rowsToReceive, boolean caughtUp, boolean delivered) {}
