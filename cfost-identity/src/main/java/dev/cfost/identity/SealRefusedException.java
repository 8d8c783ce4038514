package dev.cfost.identity;

import java.util.Objects;

/**
 * A received batch was refused by {@link ChangeSeals#verify}: {@link #code()} says which rule failed
 * (it is also the sync protocol's error code), the message names the change or seal.
 */
public final class SealRefusedException extends IdentityException {
  private static final long serialVersionUID = 1L;

  /** A change is covered by no seal of the batch: unsigned, or altered after it was signed. */
  public static final String UNSIGNED_CHANGE = "unsigned_change";
  /** A seal's signature does not verify (forged, altered or malformed). */
  public static final String BAD_SIGNATURE = "bad_signature";
  /** A change is sealed, but not by the device its site belongs to. */
  public static final String SITE_MISMATCH = "site_mismatch";
  /** A seal's signer, or the device a change's site belongs to, is unknown, revoked or another user's. */
  public static final String UNAUTHORIZED = "unauthorized";
  /** Holding the batch's changes of unknown devices would pass the bound on held changes. */
  public static final String HELD_LIMIT = "held_limit";

  private final String code;

  public SealRefusedException(String code, String message) {
    super(message);
    this.code = Objects.requireNonNull(code, "code");
  }

  public String code() {
    return code;
  }
}
