package dev.cfost.server.internal;

import dev.cfost.Change;
import dev.cfost.InvalidChangeException;
import dev.cfost.Seal;
import dev.cfost.Values;
import dev.cfost.identity.DeviceId;
import dev.cfost.identity.internal.PasswordHash;
import dev.cfost.internal.PackedKey;
import dev.cfost.server.ServerStore;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Checks of everything that reaches the store from the wire, before anything is written: ids, account
 * fields, changes and seals. The bounds of changes are cfost-core's ({@code ChangeValidator}); what needs
 * the application's schema (the column exists, the key's affinity) is left to the devices.
 */
final class WireChecks {
  /** cfost-core's bounds: a causal length exact in JavaScript, a col_version an HLC value up to ~4200. */
  static final long MAX_CL = (1L << 53) - 1;
  static final long MAX_COL_VERSION = (1L << 62) - 1;
  /** Table and column names: SQLite has no limit; a replica's names are far shorter. */
  static final int MAX_NAME_CHARS = 255;
  static final int MAX_PK_BYTES = 64 * 1024;
  /** A text or blob value: a quarter of the protocol's largest frame (64 MiB), with room for JSON. */
  static final int MAX_VALUE_BYTES = 16 * 1024 * 1024;
  static final int SIGNATURE_BYTES = 64;
  static final int DIGEST_BYTES = 32;

  private static final Pattern USER_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern DATABASE_ID = Pattern.compile("[A-Za-z0-9._-]{1,128}"); // as Cfost.setDatabaseId
  // As cfost-identity's UserRules: no '@' in names, so "name or email" at login is never ambiguous.
  private static final Pattern NAME = Pattern.compile("[\\p{L}\\p{N}._-]{1,64}");
  private static final Pattern EMAIL = Pattern.compile(
      "[^@\\s\\p{Cntrl}]{1,64}@(?=.{4,253}$)([\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,61}[\\p{L}\\p{N}])?\\.)+\\p{L}[\\p{L}\\p{N}-]{1,62}");

  private WireChecks() {}

  static String userId(String id) {
    if (id == null || !USER_ID.matcher(id).matches()) {
      throw new IllegalArgumentException("user id '" + printable(id) + "' is not valid: use 1 to 64 letters,"
          + " digits, '-' or '_'");
    }
    return id;
  }

  /** A cfost-identity user id (a UUID there; any 1 to 64 letters, digits, '-' or '_' here). */
  static String identityUser(String id) {
    if (id == null || !USER_ID.matcher(id).matches()) {
      throw new IllegalArgumentException("identity user id '" + printable(id) + "' is not valid: use 1 to 64"
          + " letters, digits, '-' or '_'");
    }
    return id;
  }

  static String databaseId(String id) {
    if (id == null || !DATABASE_ID.matcher(id).matches()) {
      throw new IllegalArgumentException("database id '" + printable(id) + "' is not valid: use 1 to 128"
          + " letters, digits, '.', '_' or '-'");
    }
    return id;
  }

  /** The device id in its canonical printed form. */
  static String deviceId(String id) {
    if (id == null || id.length() > 128) {
      throw new IllegalArgumentException("device id '" + printable(id) + "' is not valid");
    }
    return DeviceId.parse(id).toString(); // throws IllegalArgumentException naming the text
  }

  static String name(String name) {
    String n = name == null ? "" : Normalizer.normalize(name.strip(), Normalizer.Form.NFC);
    if (!NAME.matcher(n).matches()) {
      throw new IllegalArgumentException("user name '" + printable(name) + "' is not valid: use 1 to 64"
          + " letters, digits, '.', '_' or '-'");
    }
    return n;
  }

  static String email(String email) {
    String e = email == null ? "" : Normalizer.normalize(email.strip(), Normalizer.Form.NFC);
    if (!EMAIL.matcher(e).matches()) {
      throw new IllegalArgumentException("email address '" + printable(email) + "' is not valid: expected"
          + " the shape name@example.org");
    }
    return e;
  }

  /** How names and emails compare: normalized and lower-cased, so "Alice" is "alice". */
  static String key(String nameOrEmail) {
    return Normalizer.normalize(nameOrEmail.strip(), Normalizer.Form.NFC).toLowerCase(Locale.ROOT);
  }

  static String passwordHash(String phc) {
    if (phc == null || phc.length() > 512) {
      throw new IllegalArgumentException("the password hash is not an Argon2id PHC string");
    }
    try {
      PasswordHash.parse(phc);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the password hash is not an Argon2id PHC string: " + e.getMessage(), e);
    }
    return phc;
  }

  /** Checks every change of a batch; throws for the first one refused, naming its index and field. */
  static void changes(List<Change> batch) {
    if (batch == null) {
      throw new IllegalArgumentException("changes is null");
    }
    if (batch.size() > ServerStore.MAX_BATCH) {
      throw new IllegalArgumentException("a batch holds at most " + ServerStore.MAX_BATCH + " changes, not "
          + batch.size());
    }
    byte[] lastPk = null;
    for (int i = 0; i < batch.size(); i++) {
      Change c = batch.get(i);
      if (c == null) {
        throw new InvalidChangeException(i, "null change");
      }
      name(i, "table", c.table());
      name(i, "cid", c.cid());
      if (c.pk() == null) {
        throw new InvalidChangeException(i, "field 'pk' is missing (table '" + c.table() + "')");
      }
      // A row's changes come one after another: its key is decoded once (they share one array when made
      // here, equal arrays when decoded from the wire, one per change).
      if (c.pk() != lastPk && (lastPk == null || !Arrays.equals(c.pk(), lastPk))) {
        key(i, c);
        lastPk = c.pk();
      }
      if (c.siteId() == null || c.siteId().length != 16) {
        throw new InvalidChangeException(i, "field 'site_id' must be 16 bytes, not "
            + (c.siteId() == null ? "missing" : c.siteId().length + " bytes"));
      }
      if (c.cl() < 1 || c.cl() > MAX_CL) {
        throw new InvalidChangeException(i, "field 'cl' must be >= 1 and <= 2^53 - 1: " + c.cl());
      }
      if (c.colVersion() < 0 || c.colVersion() > MAX_COL_VERSION) {
        throw new InvalidChangeException(i, "field 'col_version' must be >= 0 and <= 2^62 - 1: " + c.colVersion());
      }
      if (c.dbVersion() < 0 || c.seq() < 0) {
        throw new InvalidChangeException(i, "fields 'db_version' and 'seq' must be >= 0: " + c.dbVersion()
            + ", " + c.seq());
      }
      value(i, c);
    }
  }

  private static void name(int i, String field, String s) {
    if (s == null) {
      throw new InvalidChangeException(i, "field '" + field + "' is missing");
    }
    if (s.isEmpty() || s.length() > MAX_NAME_CHARS || s.indexOf('\0') >= 0 || !wellFormed(s)) {
      throw new InvalidChangeException(i, "field '" + field + "' must be 1 to " + MAX_NAME_CHARS
          + " characters of valid Unicode without NUL: '" + printable(s) + "'");
    }
  }

  /**
   * The key must decode, have no NULL part, and be in the one encoding a replica sends (minimal
   * lengths; no NaN or -0.0, which no replica's canonical key holds): the server keys rows by these
   * bytes, so two encodings of one key would be two rows.
   */
  private static void key(int i, Change c) {
    if (c.pk().length > MAX_PK_BYTES) {
      throw new InvalidChangeException(i, "field 'pk' of table '" + c.table() + "' has " + c.pk().length
          + " bytes; at most " + MAX_PK_BYTES + " are accepted");
    }
    List<Object> key;
    try {
      key = PackedKey.unpack(c.pk());
    } catch (IllegalArgumentException e) {
      throw new InvalidChangeException(i, "field 'pk' of table '" + c.table() + "' is malformed: " + e.getMessage());
    }
    for (int k = 0; k < key.size(); k++) {
      Object part = key.get(k);
      if (part == null) {
        throw new InvalidChangeException(i, "field 'pk' of table '" + c.table() + "': key column #" + (k + 1)
            + " is NULL");
      }
      if (part instanceof Double d && (d.isNaN() || Double.doubleToRawLongBits(d) == Long.MIN_VALUE)) {
        throw new InvalidChangeException(i, "field 'pk' of table '" + c.table() + "': key column #" + (k + 1)
            + " is " + d + ", which no replica's key holds");
      }
      if (part instanceof String s && !wellFormed(s)) {
        throw new InvalidChangeException(i, "field 'pk' of table '" + c.table() + "': key column #" + (k + 1)
            + " is not valid UTF-8");
      }
    }
    if (!Arrays.equals(PackedKey.pack(key), c.pk())) {
      throw new InvalidChangeException(i, "field 'pk' of table '" + c.table() + "' is not in its minimal"
          + " encoding: " + Values.hex(c.pk()));
    }
  }

  private static void value(int i, Change c) {
    Object v = c.val();
    if (!Values.isValid(v)) {
      throw new InvalidChangeException(i, "field 'val' has unsupported type " + v.getClass().getName());
    }
    if (c.isSentinel() && v != null) {
      throw new InvalidChangeException(i, "field 'val' of a sentinel (cid '-1') must be null, not "
          + Values.typeName(v));
    }
    if (c.isSentinel() && c.colVersion() != c.cl()) {
      // Streamed with col_version = cl, as every device sends it: another value would no longer match its seal.
      throw new InvalidChangeException(i, "field 'col_version' of a sentinel (cid '-1') must equal its 'cl' ("
          + c.cl() + "), not " + c.colVersion());
    }
    if (v instanceof Double d && d.isNaN()) {
      throw new InvalidChangeException(i, "field 'val' is NaN, which SQLite cannot store");
    }
    if (v instanceof String s && (s.length() > MAX_VALUE_BYTES || !wellFormed(s))) {
      throw new InvalidChangeException(i, "field 'val' must be valid Unicode of at most " + MAX_VALUE_BYTES
          + " bytes (table '" + c.table() + "' column '" + c.cid() + "')");
    }
    if (v instanceof byte[] b && b.length > MAX_VALUE_BYTES) {
      throw new InvalidChangeException(i, "field 'val' is a blob of " + b.length + " bytes; at most "
          + MAX_VALUE_BYTES + " are accepted (table '" + c.table() + "' column '" + c.cid() + "')");
    }
  }

  /** Checks the form of a batch's seals (their signatures are the caller's to verify). */
  static void seals(List<Seal> seals) {
    if (seals == null) {
      throw new IllegalArgumentException("seals is null (pass an empty list for none)");
    }
    if (seals.size() > ServerStore.MAX_BATCH) {
      throw new IllegalArgumentException("a batch carries at most " + ServerStore.MAX_BATCH + " seals, not "
          + seals.size());
    }
    for (int s = 0; s < seals.size(); s++) {
      Seal seal = seals.get(s);
      if (seal == null) {
        throw new IllegalArgumentException("seal #" + s + " is null");
      }
      try {
        deviceId(seal.deviceId());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("seal #" + s + ": " + e.getMessage(), e);
      }
      if (seal.signature().length != SIGNATURE_BYTES) {
        throw new IllegalArgumentException("seal #" + s + ": an Ed25519 signature has " + SIGNATURE_BYTES
            + " bytes, not " + seal.signature().length);
      }
      if (seal.digests().isEmpty() || seal.digests().size() > ServerStore.MAX_BATCH) {
        throw new IllegalArgumentException("seal #" + s + " must cover 1 to " + ServerStore.MAX_BATCH
            + " digests, not " + seal.digests().size());
      }
      for (byte[] d : seal.digests()) {
        if (d == null || d.length != DIGEST_BYTES) {
          throw new IllegalArgumentException("seal #" + s + ": a digest has " + DIGEST_BYTES + " bytes, not "
              + (d == null ? "null" : d.length));
        }
      }
    }
  }

  /** A copy of the caller's digests of {@code changes} (null stays null), one 32-byte digest per change. */
  static List<byte[]> digests(List<byte[]> digests, List<Change> changes) {
    if (digests == null) {
      return null;
    }
    if (digests.size() != changes.size()) {
      throw new IllegalArgumentException("one digest per change: " + digests.size() + " digests for "
          + changes.size() + " changes");
    }
    List<byte[]> copy = new java.util.ArrayList<>(digests);
    for (int i = 0; i < copy.size(); i++) {
      if (copy.get(i) == null || copy.get(i).length != DIGEST_BYTES) {
        throw new IllegalArgumentException("the digest of change #" + i + " has " + DIGEST_BYTES + " bytes, not "
            + (copy.get(i) == null ? "null" : copy.get(i).length));
      }
    }
    return copy;
  }

  /** No lone surrogates: the digest a seal signs needs strict UTF-8, and SQLite would store '?'. */
  static boolean wellFormed(String s) {
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (Character.isHighSurrogate(ch)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(ch)) {
        return false;
      }
    }
    return true;
  }

  /** A value for an error message: control characters escaped, at most 80 characters. */
  static String printable(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && b.length() < 80; i++) {
      char ch = s.charAt(i);
      b.append(Character.isISOControl(ch) || Character.isSurrogate(ch) ? String.format("\\u%04x", (int) ch) : ch);
    }
    return s.length() > 80 ? b + "..." : b.toString();
  }
}
