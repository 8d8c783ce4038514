package dev.cfost.identity.internal;

import static dev.cfost.identity.internal.IdentitySchema.SEAL_KEY_SECRET;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.bouncycastle.crypto.macs.SipHash;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * The keys of the seal index ({@link SealStore}): SipHash-2-4 of a change's digest under a secret of this
 * database file (16 random bytes, local, never sent). 8 bytes make the index 2.6 times smaller than whole
 * digests; the secret keeps anyone who does not hold the file from grinding changes whose digests share a key
 * with another device's, which would take that change's place in the index. Not thread-safe: one per
 * statement run.
 */
final class SealKeys {
  private static final int SECRET_BYTES = 16;
  private final SipHash mac = new SipHash();

  private SealKeys(byte[] secret) {
    mac.init(new KeyParameter(secret));
  }

  /** Draws this file's secret unless it has one. Inside the schema's write transaction. */
  static void createSecret(Connection c) throws SQLException {
    byte[] secret = new byte[SECRET_BYTES];
    new SecureRandom().nextBytes(secret);
    String insert = "INSERT OR IGNORE INTO " + SEAL_KEY_SECRET + "(id, secret) VALUES (1, ?)";
    try (PreparedStatement ps = c.prepareStatement(insert)) {
      ps.setBytes(1, secret);
      ps.executeUpdate();
    }
  }

  /** The keys of this file's index. */
  static SealKeys of(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT secret FROM " + SEAL_KEY_SECRET + " WHERE id = 1");
        ResultSet rs = ps.executeQuery()) {
      byte[] secret = rs.next() ? rs.getBytes(1) : null;
      if (secret == null || secret.length != SECRET_BYTES) {
        throw new SQLException(SEAL_KEY_SECRET + " holds no secret of " + SECRET_BYTES + " bytes");
      }
      return new SealKeys(secret);
    }
  }

  long of(byte[] digest) {
    return of(digest, 0);
  }

  /** The key of the digest at {@code offset} in {@code bytes}. */
  long of(byte[] bytes, int offset) {
    mac.update(bytes, offset, ChangeDigest.BYTES);
    return mac.doFinal(); // and resets, for the next key
  }
}
