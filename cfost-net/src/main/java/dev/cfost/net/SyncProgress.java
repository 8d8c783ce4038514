package dev.cfost.net;

/**
 * How far syncing with one peer has come.
 *
 * @param peerId the peer's site id in hex
 * @param connected whether a session is open now
 * @param changesSent changes sent in this process's lifetime
 * @param changesReceived changes received and merged in this process's lifetime
 * @param caughtUp whether the peer's end of stored events was received in the current session
 */
public record SyncProgress(String peerId, boolean connected, long changesSent, long changesReceived,
    boolean caughtUp) {}
