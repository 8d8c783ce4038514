package dev.cfost.identity;

import dev.cfost.Cfost;
import dev.cfost.identity.internal.AnchorSeals;
import dev.cfost.identity.internal.DeviceAuthorizer;
import dev.cfost.identity.internal.SealingBatchSealer;
import dev.cfost.identity.internal.ServerAuthorizer;
import dev.cfost.net.BatchSealer;
import dev.cfost.net.PeerAuthorizer;
import dev.cfost.net.PeerOptions;
import dev.cfost.net.SyncKey;
import dev.cfost.net.TlsIdentity;
import java.io.IOException;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Who a database syncs with, and how what it receives is checked: the one place that joins identity and
 * sync, used by the {@code cfost} command line and meant for every application that syncs.
 *
 * <ul>
 *   <li>{@link #forUser}: a database that belongs to a user presents its device key in its TLS
 *       certificate and admits only the user's authorized devices. A peer must announce the device id its
 *       certificate proves, that device must be known, the user's and not revoked, and the site id it
 *       announces must be its own (not bound to another device). Every batch sent is sealed with the device
 *       key and every batch received is verified against the seals of the devices that made its changes
 *       ({@link ChangeSeals}), so a relay can neither forge nor alter a change.
 *   <li>{@link #forSyncKey}: a database without users admits only peers that know its {@link SyncKey}; the
 *       TLS handshake proves it, so a peer without the key neither reads nor writes. No device checks, no
 *       seals.
 * </ul>
 *
 * <p>Use: {@code Transports.tcp(trust.tlsIdentity(), listen, mdns)} for the transport, and
 * {@link #applyTo} on the {@link PeerOptions.Builder}. docs/SECURITY.md lists the threats each check meets.
 *
 * <p>Lifecycle and threading: thread-safe; nothing to close. The checks see the device list as committed
 * when each call starts (the seal checks keep it between writes to it, see {@link ChangeSeals}), so a
 * revocation that arrives by sync or is made here applies to the next session, re-check and batch; one
 * instance serves a {@link dev.cfost.net.Peer} for its whole life.
 *
 * <p>Errors: the factories throw {@link IOException} if the TLS certificate cannot be made and
 * {@link IdentityException} if the device key file cannot be read or written. Refused peers and batches
 * are not exceptions here: the session sends the refusal to the peer and reports it to
 * {@link dev.cfost.net.PeerListener#onError}.
 */
public final class SyncTrust {
  private final TlsIdentity tls;
  private final DeviceId deviceId; // null with a sync key
  private final PeerAuthorizer authorizer; // null with a sync key
  private final BatchSealer sealer; // null with a sync key
  private final PeerAuthorizer serverAuthorizer; // null with a sync key
  private final BatchSealer serverSealer; // null with a sync key

  private SyncTrust(TlsIdentity tls, DeviceId deviceId, PeerAuthorizer authorizer, BatchSealer sealer,
      PeerAuthorizer serverAuthorizer, BatchSealer serverSealer) {
    this.tls = tls;
    this.deviceId = deviceId;
    this.authorizer = authorizer;
    this.sealer = sealer;
    this.serverAuthorizer = serverAuthorizer;
    this.serverSealer = serverSealer;
  }

  /**
   * Trust for a database of user {@code userId}, with its device key beside the database
   * ({@link DeviceKeys#forDatabase}, made on first use).
   */
  public static SyncTrust forUser(Cfost db, String userId) throws IOException {
    return forUser(db, DeviceKeys.forDatabase(db), userId, null);
  }

  /**
   * Trust for a database of user {@code userId}, signing with {@code keys}.
   *
   * <p>{@code pairedWith}, when not null, is the device that paired this one ({@link PairingChallenge}'s
   * authorizer). A newly paired device knows the user's device list only after its first sync: until the
   * list names the paired-with device, that device is admitted, and until the list authorizes this device
   * (its own row, written at pairing after the rows of the devices the authorizer knew), that device's
   * batches are merged without checking their seals (their seals are still kept, to forward). After
   * that, it is checked like any other device; a revoked one is refused. Through a sync server
   * ({@link #applyToServer}) no peer is trusted: until the list authorizes this device, the changes the
   * paired-with device sealed are accepted on its seals, checked with its key (found in the list or in its
   * own device row as the server relays it, and proved by the id the pairing code gave), if it is the
   * user's first device and not revoked, so a device paired by it can start with the server alone. One
   * paired by another device needs {@link #forUser(Cfost, DeviceKeys, String, DeviceId, DeviceId)} with
   * the first device the pairing challenge named, or waits for a LAN sync with its pairer.
   *
   * @param userId the user this database belongs to, or the one it asked to join
   * @param pairedWith the device that paired this one, or null
   */
  public static SyncTrust forUser(Cfost db, DeviceKeys keys, String userId, DeviceId pairedWith)
      throws IOException {
    return forUser(db, keys, userId, pairedWith, pairedWith);
  }

  /**
   * {@link #forUser(Cfost, DeviceKeys, String, DeviceId)} for a device paired by a device that is not the
   * user's first: on the LAN it trusts {@code pairedWith} as above; through a server it anchors on
   * {@code serverAnchor}, the user's first device as the pairing challenge named it
   * ({@link PairingChallenge#serverAnchor()}), whose self-sealed row starts the device list from which
   * every other device, the pairer included, is checked.
   *
   * @param serverAnchor the user's first device as the pairing challenge named it, or null
   */
  public static SyncTrust forUser(Cfost db, DeviceKeys keys, String userId, DeviceId pairedWith,
      DeviceId serverAnchor) throws IOException {
    Objects.requireNonNull(db, "db");
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(userId, "userId");
    Devices devices = Devices.open(db);
    DeviceId self = keys.deviceId();
    String anchorId = pairedWith == null ? null : pairedWith.toString();
    Predicate<String> anchor = id -> anchorId != null && anchorId.equals(id);
    Predicate<String> bootstrap = id -> anchor.test(id)
        && devices.list(userId).stream().noneMatch(d -> d.id().toString().equals(id));
    Predicate<String> onTrust = id -> anchor.test(id) && !devices.isAuthorized(self, userId);
    ChangeSeals seals = ChangeSeals.open(db, keys, userId);
    // The server never gets the trust given to the device that paired this one, whatever id it claims.
    return new SyncTrust(TlsIdentity.forKeys(keys.tlsKeyPair()), self,
        new DeviceAuthorizer(devices, userId, bootstrap), new SealingBatchSealer(seals, onTrust),
        new ServerAuthorizer(devices, userId), serverAnchor == null ? new SealingBatchSealer(seals, id -> false)
            : new SealingBatchSealer(seals, new AnchorSeals(serverAnchor, devices, userId, db.databaseId()),
                () -> !devices.isAuthorized(self, userId)));
  }

  /** Trust for a database without users: peers must know {@code key} (see {@link SyncKey}). */
  public static SyncTrust forSyncKey(SyncKey key) throws IOException {
    return new SyncTrust(TlsIdentity.forSyncKey(Objects.requireNonNull(key, "key")), null, null, null, null, null);
  }

  /** The TLS identity to give the transport ({@code Transports.tcp}). */
  public TlsIdentity tlsIdentity() {
    return tls;
  }

  /**
   * Sets the device id, authorizer and sealer on {@code options} (for a user's database; a sync key
   * needs nothing there) and returns it.
   */
  public PeerOptions.Builder applyTo(PeerOptions.Builder options) {
    if (deviceId != null) {
      options.deviceId(deviceId.toString()).authorizer(authorizer).sealer(sealer);
    }
    return options;
  }

  /**
   * Sets the device id, the check of a sync server and the sealer on {@code options}, for a {@link
   * dev.cfost.net.Peer} whose transport reaches a sync server ({@link ServerClient#transport}), and returns
   * it. The server proves no device key: it is admitted (TLS checked its name, and it holds the account),
   * unless its {@code hello} names one of the user's devices or a site bound to one (it would speak for
   * that device). Every batch it relays is verified against the seals of the devices that made its
   * changes, exactly as from a device, and every batch sent to it is sealed: the server can withhold or
   * delay changes, but neither forge nor alter one (docs/SECURITY.md).
   *
   * @throws IllegalStateException for a database without users: a server admits the devices of a user
   */
  public PeerOptions.Builder applyToServer(PeerOptions.Builder options) {
    if (deviceId == null) {
      throw new IllegalStateException("a database without users cannot sync through a server: the server"
          + " admits the devices of a user; give the database a user (SyncTrust.forUser)");
    }
    return options.deviceId(deviceId.toString()).authorizer(serverAuthorizer).sealer(serverSealer);
  }

  /** The device this database syncs as; empty with a sync key. */
  public Optional<DeviceId> deviceId() {
    return Optional.ofNullable(deviceId);
  }

  /** The check of peers, for a transport that is not a {@link dev.cfost.net.Peer}; empty with a sync key. */
  public Optional<PeerAuthorizer> authorizer() {
    return Optional.ofNullable(authorizer);
  }

  /** The sealing and verifying of batches; empty with a sync key. */
  public Optional<BatchSealer> sealer() {
    return Optional.ofNullable(sealer);
  }
}
