package dev.cfost.identity;

import dev.cfost.CfostException;

/**
 * An error raised by the identity layer: misuse (an unknown user or device id), stored identity data
 * that cannot be read, or a key file that cannot be used.
 *
 * <p>Unchecked, like every CFOST error; the message names the user, device, file or value concerned.
 * The subclasses mark refusals that a caller usually shows to a person: {@link AuthenticationException},
 * {@link RegistrationException} and {@link PairingException}.
 */
public class IdentityException extends CfostException {
  private static final long serialVersionUID = 1L;

  public IdentityException(String message) {
    super(message);
  }

  public IdentityException(String message, Throwable cause) {
    super(message, cause);
  }
}
