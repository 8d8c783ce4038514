package dev.cfost.identity;

import java.util.Objects;

/**
 * A pairing challenge or response was refused: the message says what was wrong, and {@link #reason()}
 * tells the same to code, one reason per check so that a caller (and a test) can tell them apart.
 */
public final class PairingException extends IdentityException {
  private static final long serialVersionUID = 1L;

  /** Why a pairing step was refused. */
  public enum Reason {
    /** The text is not a pairing challenge or response of a version this code reads. */
    MALFORMED,
    /** The response answers a different nonce than the challenge it is checked against. */
    NONCE_MISMATCH,
    /** This device never issued the challenge (or the challenge was altered after it was issued). */
    UNKNOWN_CHALLENGE,
    /** The challenge was already used to pair a device: a replayed response. */
    REPLAYED,
    /** The challenge expired before the response arrived. */
    EXPIRED,
    /** The device id in the response is not the one derived from the response's public key. */
    DEVICE_ID_MISMATCH,
    /** The signature does not verify under the response's public key: forged, altered or malformed. */
    BAD_SIGNATURE,
    /** The authorizing device is not (or no longer) an authorized device of the challenge's user. */
    AUTHORIZER_NOT_AUTHORIZED,
    /** The new device was revoked before; a revoked key cannot be paired again. */
    DEVICE_REVOKED,
    /** The new device already belongs to this user or to another one. */
    DEVICE_ALREADY_REGISTERED,
    /** The site id of the new device's database already belongs to another device. */
    SITE_TAKEN
  }

  private final Reason reason;

  public PairingException(Reason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** Why the pairing step was refused. */
  public Reason reason() {
    return reason;
  }
}
