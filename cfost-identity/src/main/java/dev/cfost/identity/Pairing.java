package dev.cfost.identity;

import dev.cfost.Cfost;
import dev.cfost.WallClock;
import dev.cfost.identity.internal.SqlPairing;
import java.time.Duration;
import java.util.List;

/**
 * Pairing a new device with a user's account, on a device that is already authorized for that user.
 *
 * <ol>
 *   <li>The authorizer calls {@link #createChallenge} and shows the challenge as a QR code or string.
 *   <li>The new device reads it ({@link PairingChallenge#decode}) and answers with
 *       {@link PairingResponse#create}, signed with its own {@link DeviceKeys}.
 *   <li>The authorizer calls {@link #approve}: the signature must verify, the device id must be derived
 *       from the key, the nonce must be one this device issued, unused and unexpired; then the device is
 *       added to the user's devices, which replicate to the user's other devices.
 * </ol>
 *
 * <p>Issued nonces are kept in a local table that does not replicate, so each is usable once, on the
 * device that issued it. Only data and cryptography live here; carrying the messages between devices
 * is the network layer's job. Thread-safe; nothing to close.
 */
public interface Pairing {
  /** How long a challenge can be answered: 300 seconds. */
  Duration CHALLENGE_LIFETIME = Duration.ofSeconds(300);

  /** Pairing on the device that holds {@code db} and {@code keys}, with the system clock. */
  static Pairing open(Cfost db, DeviceKeys keys) {
    return open(db, keys, WallClock.system());
  }

  /** Pairing with an injected clock, which decides expiry. */
  static Pairing open(Cfost db, DeviceKeys keys, WallClock clock) {
    return SqlPairing.open(db, keys, clock);
  }

  /**
   * Issues a challenge for {@code userId}, valid for {@link #CHALLENGE_LIFETIME}, and records its nonce.
   *
   * @param addresses where this device can be reached, {@code host:port}; may be empty
   * @throws PairingException {@link PairingException.Reason#AUTHORIZER_NOT_AUTHORIZED} if this device is
   *     not an authorized device of the user
   */
  PairingChallenge createChallenge(String userId, List<String> addresses);

  /**
   * Checks a new device's response to a challenge this device issued and, if every check passes, adds
   * the device for the challenge's user and uses up the nonce, in one transaction.
   *
   * @return the added device
   * @throws PairingException with one {@link PairingException.Reason} per failed check: the nonce differs
   *     from the challenge's, the challenge was not issued here or was altered, was already used, has
   *     expired, the device id is not the key's, the signature is not valid, this device is no longer
   *     authorized, or the new device is already registered or was revoked
   */
  Device approve(PairingResponse response, PairingChallenge challenge);

  /**
   * Approves a response that arrives without its challenge (pasted or typed on the offline path): checks
   * it against the challenge this device issued with the response's nonce, exactly as
   * {@link #approve(PairingResponse, PairingChallenge)} does.
   *
   * @return the added device
   * @throws PairingException {@link PairingException.Reason#UNKNOWN_CHALLENGE} if this device issued no
   *     challenge with that nonce (or forgot it a day after it expired), else as the two-argument form
   */
  Device approve(PairingResponse response);
}
