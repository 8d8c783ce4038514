/**
 * Who may sync: users, their devices, and pairing a new device.
 *
 * <ul>
 *   <li>{@link dev.cfost.identity.Users}: registration and login with Argon2id password hashes (PHC
 *       strings), kept in the replicated table {@code identity_users}.
 *   <li>{@link dev.cfost.identity.DeviceKeys}: each database's Ed25519 key, in an owner-only file beside
 *       the database, never replicated; {@link dev.cfost.identity.DeviceId} is the SHA-256 of its public
 *       key, printed Syncthing-style with check characters.
 *   <li>{@link dev.cfost.identity.Devices}: the replicated table {@code identity_devices}; a revocation
 *       travels like any row, and {@link dev.cfost.identity.Devices#isAuthorized} is what sync checks.
 *   <li>{@link dev.cfost.identity.Pairing}: an authorized device issues a one-time
 *       {@link dev.cfost.identity.PairingChallenge} (string or QR code), the new device signs a
 *       {@link dev.cfost.identity.PairingResponse}, and the authorizer approves it.
 *   <li>{@link dev.cfost.identity.SyncTrust}: all of the above as cfost-net's TLS identity, peer authorizer
 *       and batch sealer, for a {@link dev.cfost.net.Peer} (or a sync server) to admit only the user's
 *       devices and verify every change's seal; {@link dev.cfost.identity.SyncTrust#applyToServer} for a
 *       peer that syncs through a sync server.
 *   <li>{@link dev.cfost.identity.ServerClient}: a device's login on a sync server (refresh token in an
 *       owner-only file), its device token by proof of its key, and the WebSocket transport to the server.
 * </ul>
 *
 * <p>Everything under {@code dev.cfost.identity.internal} is implementation and may change.
 */
package dev.cfost.identity;
